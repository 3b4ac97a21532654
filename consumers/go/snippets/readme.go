package snippets

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseks"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// QuickStart is README.md's first snippet.
//
// ts-sha256: a2c291648bf2ec3e
func QuickStart(this awscdk.Stack) {
	ptc.NewPullThroughCache(this, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_Kubernetes()},
			{Registry: ptc.UpstreamRegistry_Quay()},
		},
	})
	// then: docker pull <account>.dkr.ecr.<region>.amazonaws.com/k8scache/pause:3.9
}

// EcrUpstream is docs/registries.md's "Private ECR upstream (ECR to ECR)".
//
// ts-sha256: 8e34c0d365314bd6
func EcrUpstream(this awscdk.Stack) {
	pullRole := awsiam.NewRole(this, jsii.String("EcrUpstreamRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("pullthroughcache.ecr.amazonaws.com"), nil),
	})
	pullRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ecr:GetAuthorizationToken"),
		Resources: jsii.Strings("*"),
	}))
	pullRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings(
			"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage",
			"ecr:GetImageCopyStatus", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
			"ecr:CompleteLayerUpload", "ecr:PutImage",
		),
		Resources: &[]*string{
			jsii.String("arn:aws:ecr:us-east-1:111122223333:repository/*"),
			awscdk.Stack_Of(this).FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ecr"), Resource: jsii.String("repository"), ResourceName: jsii.String("central/*"),
			}),
		},
	}))

	ptc.NewPullThroughCache(this, jsii.String("EcrCache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{{
			Registry: ptc.UpstreamRegistry_Ecr(&ptc.EcrUpstreamOptions{
				Role: pullRole, Account: jsii.String("111122223333"), Region: jsii.String("us-east-1"),
			}),
			Prefix: jsii.String("central"),
		}},
	})
}

// RootMirror is docs/registries.md's "A registry-wide mirror: the ROOT prefix".
//
// ts-sha256: 529196c5cdfe3f12
func RootMirror(this awscdk.Stack) {
	var pullRole awsiam.IRole
	var dockerSecret awssecretsmanager.ISecret

	mirror := ptc.NewPullThroughCache(this, jsii.String("Mirror"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{
				Registry: ptc.UpstreamRegistry_Ecr(&ptc.EcrUpstreamOptions{
					Role: pullRole, Account: jsii.String("111122223333"), Region: jsii.String("us-east-1"),
				}),
				Prefix: jsii.String("ROOT"),
			},
			{Registry: ptc.UpstreamRegistry_DockerHub(), Credentials: dockerSecret},
		},
	})
	// <this registry>/app:1 pulls app:1 of 111122223333's us-east-1 registry.
	appImage := mirror.ImageUri(jsii.String("111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1"))
	awscdk.NewCfnOutput(this, jsii.String("AppImage"), &awscdk.CfnOutputProps{Value: appImage})
}

// ImportedSecret is docs/registries.md's "Credentials": a secret created outside the stack.
//
// ts-sha256: d694c39ab6d84c97
func ImportedSecret(this awscdk.Stack) {
	imported := awssecretsmanager.Secret_FromSecretCompleteArn(this, jsii.String("DockerSecret"),
		jsii.String("arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/dockerio-AbCdEf"))
	_ = imported // an upstream's Credentials
}

// RepositoryTemplates is docs/registries.md's (and README.md's) "Repository creation templates".
//
// ts-sha256: eb3cacdb07085772
func RepositoryTemplates(this awscdk.Stack) {
	key := awskms.NewKey(this, jsii.String("CacheKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})

	ptc.NewPullThroughCache(this, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{{Registry: ptc.UpstreamRegistry_Quay()}},
		RepositoryTemplate: &ptc.RepositoryTemplateOptions{
			Scope:              ptc.TemplateScope_PER_UPSTREAM,
			ImageTagMutability: awsecr.TagMutability_MUTABLE,
			Encryption:         awsecr.RepositoryEncryption_KMS(),
			EncryptionKey:      key,
			LifecycleRules: &[]*awsecr.LifecycleRule{
				{Description: jsii.String("keep 20 tagged images"), TagPatternList: jsii.Strings("*"), MaxImageCount: jsii.Number(20)},
				{Description: jsii.String("drop anything older than 90 days"), MaxImageAge: awscdk.Duration_Days(jsii.Number(90))},
			},
			ResourceTags: &map[string]*string{"team": jsii.String("platform"), "cost-center": jsii.String("cache")},
			Description:  jsii.String("Cached upstream images"),
		},
	})
}

// ImageUris is docs/images.md's (and README.md's) "Image URIs".
//
// ts-sha256: 7b89b72d9dbe7f21
func ImageUris(this awscdk.Stack) {
	var cache ptc.PullThroughCache

	cache.ImageUri(jsii.String("alpine:3"))
	// <account>.dkr.ecr.<region>.amazonaws.com/dockercache/library/alpine:3
	cache.ImageUri(jsii.String("ghcr.io/org/app:1.0"))
	// <account>.dkr.ecr.<region>.amazonaws.com/ghcrcache/org/app:1.0
	cache.ImageUri(jsii.String("registry.k8s.io/pause:3.9@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097"))
	// <account>.dkr.ecr.<region>.amazonaws.com/k8scache/pause:3.9@sha256:7031c1b2...
	// (and the warning digestFirstPull: pre-warm the cache with the tag)
}

// EcsContainerImage is docs/images.md's "ECS: containerImage".
//
// ts-sha256: 3879a08bdf2ded34
func EcsContainerImage(this awscdk.Stack) {
	var cache ptc.PullThroughCache

	taskDefinition := awsecs.NewFargateTaskDefinition(this, jsii.String("Task"), nil)
	taskDefinition.AddContainer(jsii.String("web"), &awsecs.ContainerDefinitionOptions{
		Image:        cache.ContainerImage(jsii.String("nginx:1.27")),
		PortMappings: &[]*awsecs.PortMapping{{ContainerPort: jsii.Number(80)}},
	})
}

// RedirectImages is docs/images.md's "Redirect every ECS image of an app".
//
// ts-sha256: 1b1dd021dafb1b9f
func RedirectImages(this awscdk.Stack) {
	var cache ptc.PullThroughCache

	taskDefinition := awsecs.NewFargateTaskDefinition(this, jsii.String("Task"), nil)
	taskDefinition.AddContainer(jsii.String("web"), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromRegistry(jsii.String("nginx:1.27"), nil),
	})
	taskDefinition.AddContainer(jsii.String("agent"), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/datadog/agent:7"), nil),
	})

	// Every ECS container image in this stack that an upstream of the cache serves now comes from the cache.
	cache.RedirectImages(this)
}

// ContainerdMirrors is docs/nodes.md's "Node-level mirrors (containerd)".
//
// ts-sha256: b3ce7e24b23dffdb
func ContainerdMirrors(this awscdk.Stack) {
	var cache ptc.PullThroughCache
	var nodeRole awsiam.IRole

	userData := awsec2.UserData_ForLinux(nil)
	for _, mirror := range *cache.ContainerdMirrors(nil) {
		// One command per line: the file's content, then the heredoc's end marker.
		userData.AddCommands(
			jsii.String("mkdir -p /etc/containerd/certs.d/"+*mirror.UpstreamHost),
			jsii.String("cat > "+*mirror.Path+" <<'EOF'"),
			mirror.Content,
			jsii.String("EOF"),
		)
	}
	cache.GrantPull(nodeRole)
}

// NodeScriptLaunchTemplate is docs/nodes.md's (and README.md's) "Kubernetes and EC2 nodes": an EC2 launch template.
//
// ts-sha256: b2fa421275b9120b
func NodeScriptLaunchTemplate(this awscdk.Stack) {
	var cache ptc.PullThroughCache
	var nodeRole awsiam.IRole
	var machineImage awsec2.IMachineImage

	userData := awsec2.UserData_ForLinux(nil)
	userData.AddCommands(cache.ContainerdNodeScript(nil))
	awsec2.NewLaunchTemplate(this, jsii.String("NodeTemplate"), &awsec2.LaunchTemplateProps{
		MachineImage: machineImage, Role: nodeRole, UserData: userData,
	})
	cache.GrantPull(nodeRole)
}

// NodeScriptManagedNodeGroup is docs/nodes.md's "Kubernetes and EC2 nodes": an EKS managed node group
// on AL2023 (MIME multi-part user data).
//
// ts-sha256: 3765c6b037676cb4
func NodeScriptManagedNodeGroup(this awscdk.Stack) {
	var cache ptc.PullThroughCache
	var cluster awseks.ICluster
	var nodeRole awsiam.IRole

	nodeConfig := "apiVersion: node.eks.aws/v1alpha1\n" +
		"kind: NodeConfig\n" +
		"spec:\n" +
		"  kubelet:\n" +
		"    flags:\n" +
		"      - --node-labels=pull-through-cache=ecr\n"
	userData := awsec2.NewMultipartUserData(nil)
	userData.AddPart(awsec2.MultipartBody_FromRawBody(&awsec2.MultipartBodyOptions{
		ContentType: jsii.String(`text/x-shellscript; charset="us-ascii"`),
		Body:        cache.ContainerdNodeScript(nil),
	}))
	userData.AddPart(awsec2.MultipartBody_FromRawBody(&awsec2.MultipartBodyOptions{
		ContentType: jsii.String("application/node.eks.aws"), Body: jsii.String(nodeConfig),
	}))
	launchTemplate := awsec2.NewLaunchTemplate(this, jsii.String("NodeTemplate"), &awsec2.LaunchTemplateProps{UserData: userData})
	awseks.NewNodegroup(this, jsii.String("Nodes"), &awseks.NodegroupProps{
		Cluster:  cluster,
		NodeRole: nodeRole,
		AmiType:  awseks.NodegroupAmiType_AL2023_X86_64_STANDARD,
		LaunchTemplateSpec: &awseks.LaunchTemplateSpec{
			Id: awscdk.Token_AsString(launchTemplate.LaunchTemplateId(), nil), Version: launchTemplate.LatestVersionNumber(),
		},
	})
	cache.GrantPull(nodeRole)
}

// NodeScriptKarpenter is docs/nodes.md's "Kubernetes and EC2 nodes": a Karpenter EC2NodeClass.
//
// ts-sha256: d1a13f61945c348c
func NodeScriptKarpenter(this awscdk.Stack) {
	var cache ptc.PullThroughCache
	var cluster awseks.ICluster
	var karpenterNodeRole awsiam.IRole

	discovery := map[string]interface{}{"karpenter.sh/discovery": "my-cluster"}
	cluster.AddManifest(jsii.String("CachedNodeClass"), &map[string]interface{}{
		"apiVersion": "karpenter.k8s.aws/v1",
		"kind":       "EC2NodeClass",
		"metadata":   map[string]interface{}{"name": "cached"},
		"spec": map[string]interface{}{
			"amiSelectorTerms":           []interface{}{map[string]interface{}{"alias": "al2023@latest"}},
			"role":                       karpenterNodeRole.RoleName(),
			"subnetSelectorTerms":        []interface{}{map[string]interface{}{"tags": discovery}},
			"securityGroupSelectorTerms": []interface{}{map[string]interface{}{"tags": discovery}},
			"userData":                   cache.ContainerdNodeScript(nil),
		},
	})
	cache.GrantPull(karpenterNodeRole)
}

// GrantingPulls is docs/images.md's (and README.md's) "Granting pulls".
//
// ts-sha256: 3e437abbe96c9668
func GrantingPulls(this awscdk.Stack) {
	var cache ptc.PullThroughCache
	var role awsiam.IRole

	cache.GrantPull(role)                                         // every upstream
	cache.GrantPullFromUpstream(role, jsii.String("dockercache")) // one upstream
}

// CrossAccount is docs/multi-account.md's (and README.md's) "Cross-account and organization access".
//
// ts-sha256: 201f2ec28fec5b0f
func CrossAccount(this awscdk.Stack) {
	ptc.NewPullThroughCache(this, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_Kubernetes()},
			{Registry: ptc.UpstreamRegistry_Quay()},
		},
		CrossAccountAccess: &ptc.CrossAccountAccess{
			OrganizationId: jsii.String("o-a1b2c3d4e5"),  // every account of the organization
			Accounts:       jsii.Strings("444455556666"), // and one outside it
		},
	})
}

// RegistryPolicyStatements is docs/multi-account.md's "One registry policy per registry", and the @example of
// RegistryPolicy.
//
// ts-sha256: 0bd833fdfc0bb863
func RegistryPolicyStatements(this awscdk.Stack) {
	ptc.RegistryPolicy_GetOrCreate(this).AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewAccountPrincipal(jsii.String("444455556666"))},
		Actions:    jsii.Strings("ecr:ReplicateImage"),
		Resources: &[]*string{awscdk.Stack_Of(this).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ecr"), Resource: jsii.String("repository"), ResourceName: jsii.String("shared/*"),
		})},
	}))
}

// Scanning is docs/registries.md's "Vulnerability scanning".
//
// ts-sha256: 652ed69845e64f17
func Scanning(this awscdk.Stack) {
	ptc.NewPullThroughCache(this, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{{Registry: ptc.UpstreamRegistry_Quay()}},
		Scanning:  &ptc.ScanningOptions{ScanType: ptc.ScanType_ENHANCED, Frequency: ptc.ScanFrequency_CONTINUOUS_SCAN},
	})
}

// Operating is docs/operations.md's "Events, alarms and the dashboard".
//
// ts-sha256: 35844cc041fb6ce5
func Operating(this awscdk.Stack) {
	var cache ptc.PullThroughCache
	alertTopic := awssns.NewTopic(this, jsii.String("CacheAlerts"), nil)

	// Every failed sync, as an SNS message: the event says which image, which upstream and why.
	failures := cache.OnPullFailure(jsii.String("PullFailures"), &awsevents.OnEventOptions{
		Target: awseventstargets.NewSnsTopic(alertTopic, nil),
	})

	// An alarm on the failures that rule matches.
	alarm := awscloudwatch.NewAlarm(this, jsii.String("SyncFailuresAlarm"), &awscloudwatch.AlarmProps{
		Metric:            cache.MetricSyncFailures(failures, nil),
		Threshold:         jsii.Number(1),
		EvaluationPeriods: jsii.Number(1),
		TreatMissingData:  awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(alertTopic))

	// Pulls and failed syncs per upstream, the account's pull rate against its quota, the alarm.
	ptc.NewPullThroughCacheDashboard(this, jsii.String("CacheDashboard"), &ptc.PullThroughCacheDashboardProps{
		Cache: cache, Alarms: &[]awscloudwatch.IAlarm{alarm},
	})
}

// ManyRegions is docs/multi-account.md's "Many regions and accounts".
//
// ts-sha256: 87434de368a3af50
func ManyRegions(this awscdk.Stack) {
	var app awscdk.App

	for _, region := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
		stage := awscdk.NewStage(app, jsii.String(region), &awscdk.StageProps{
			Env: &awscdk.Environment{Account: jsii.String("111122223333"), Region: jsii.String(region)},
		})
		stack := awscdk.NewStack(stage, jsii.String("PullThroughCache"), nil) // the same id in every region
		ptc.NewPullThroughCache(stack, jsii.String("Cache"), &ptc.PullThroughCacheProps{
			Upstreams: &[]*ptc.UpstreamDefinition{
				{Registry: ptc.UpstreamRegistry_Kubernetes()},
				{Registry: ptc.UpstreamRegistry_Quay()},
				{Registry: ptc.UpstreamRegistry_EcrPublic()},
			},
			CrossAccountAccess: &ptc.CrossAccountAccess{OrganizationId: jsii.String("o-a1b2c3d4e5")},
			Scanning:           &ptc.ScanningOptions{ScanType: ptc.ScanType_BASIC},
		})
	}
}
