// cdk-pull-through-cache from Go: an example app, built against the jsii-generated module.
//
//	go run . [OUTDIR]    synthesizes to OUTDIR (default: ./cdk.out) and prints a summary
//
// Six stacks:
//
//   - newReferenceStack (PullThroughCacheGo): the reference use case. Docker Hub and GitHub Container
//     Registry with credentials (PullThroughCacheSecret_Create), registry.k8s.io and Quay without, one
//     repository creation template for any prefix, a role that may pull, and cache.ImageUri().
//   - newFargateServiceStack (PullThroughCacheGoFargate): an ECS Fargate service in the same account and
//     region whose image is cache.ContainerImage("nginx:1.27").
//   - newConsumerAccountStack (PullThroughCacheGoConsumerAccount): another account (444455556666,
//     eu-central-1) imports a central cache (111122223333, eu-west-1) with
//     PullThroughCache_FromPullThroughCacheAttributes, grants an EC2 node role the pull, runs
//     cache.ContainerdNodeScript() in a launch template's user data and a Fargate task on the cache.
//   - newLookupConsumerStack (PullThroughCacheGoLookupConsumer): the same workload account finds the
//     central cache's rules with PullThroughCache_FromLookup instead of copying them by hand; the
//     CDK CLI's answers are in cdk.context.json, which newApp reads as the CLI does.
//   - newWarmLambdaStack (PullThroughCacheGoWarmLambda): its own cache of ECR Public (111122223333,
//     us-east-1) whose templates let Lambda read the cached images, NewCachedImages that pulls the
//     Lambda Node.js base image through it at deploy, and a DockerImageFunction (arm64) that runs from
//     the cache, pinned to the digest the warm-up reports.
//   - newKubernetesStack (PullThroughCacheGoKubernetes): an EKS cluster (awseksv2, Auto Mode,
//     environment-agnostic) with a Fargate profile, whose nodes take no user data: the cache's
//     KubernetesImageRewrite() manifests (a MutatingAdmissionPolicy and its binding) rewrite pod images
//     at admission, and GrantPull lets the Auto Mode node role and the pod execution role pull.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseksv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// The stack names.
const (
	stackName         = "PullThroughCacheGo"
	fargateStackName  = "PullThroughCacheGoFargate"
	consumerStackName = "PullThroughCacheGoConsumerAccount"
	lookupStackName   = "PullThroughCacheGoLookupConsumer"
	warmStackName     = "PullThroughCacheGoWarmLambda"
	k8sStackName      = "PullThroughCacheGoKubernetes"
)

// centralLookupRole is the central account's CDK lookup role (`cdk bootstrap aws://111122223333/eu-west-1
// --trust-for-lookup <account that runs cdk synth>` makes it). The CLI looks up a stack's context with
// its synthesizer's lookup role, so a lookup in the central account needs one of that account.
const centralLookupRole = "arn:${AWS::Partition}:iam::111122223333:role/cdk-hnb659fds-lookup-role-111122223333-eu-west-1"

// contextFile holds the CDK CLI's answers to the app's lookups, committed as `cdk synth` leaves it.
const contextFile = "cdk.context.json"

// lambdaImage is the image the warm-up pulls through the cache and the function runs.
const lambdaImage = "public.ecr.aws/lambda/nodejs:22"

// The central account that owns the cache, and a workload account that pulls through it from another region.
var (
	central  = &awscdk.Environment{Account: jsii.String("111122223333"), Region: jsii.String("eu-west-1")}
	consumer = &awscdk.Environment{Account: jsii.String("444455556666"), Region: jsii.String("eu-central-1")}
	// The Lambda stack's own cache: the central account, another region than the reference cache's.
	warmLambda = &awscdk.Environment{Account: jsii.String("111122223333"), Region: jsii.String("us-east-1")}
)

// kubectlLayerArn is any Lambda layer with kubectl and helm (e.g. the @aws-cdk/lambda-layer-kubectl-v36
// one, deployed once in the account and region the Kubernetes stack is deployed to).
const kubectlLayerArn = "arn:aws:lambda:eu-north-1:111122223333:layer:kubectl:1"

// alpinePath is what cache.ImageUri("alpine:3") maps Alpine to, after the registry domain.
const alpinePath = "/dockercache/library/alpine:3"

// expectedUpstreams maps each prefix to its upstream registry URL, as the reference use case configures them.
var expectedUpstreams = map[string]string{
	"dockercache": "registry-1.docker.io",
	"ghcrcache":   "ghcr.io",
	"k8scache":    "registry.k8s.io",
	"quaycache":   "quay.io",
}

// newReferenceStack builds the reference use case and returns the stack and its cache.
func newReferenceStack(scope constructs.Construct, id string, props *awscdk.StackProps) (awscdk.Stack, ptc.PullThroughCache) {
	stack := awscdk.NewStack(scope, jsii.String(id), props)

	// The secrets hold a placeholder token; put the real one with `aws secretsmanager
	// put-secret-value ... --secret-string "file://$f"` from a 0600 temporary file (docs/registries.md,
	// "Credentials"), never with the token on the command line.
	dockerSecret := ptc.PullThroughCacheSecret_Create(stack, jsii.String("DockerHubSecret"), &ptc.PullThroughCacheSecretProps{
		RegistryName: jsii.String("dockerio"),
		Username:     jsii.String("my-docker-user"),
	})
	ghcrSecret := ptc.PullThroughCacheSecret_Create(stack, jsii.String("GhcrSecret"), &ptc.PullThroughCacheSecretProps{
		RegistryName: jsii.String("ghcr"),
		Username:     jsii.String("my-github-user"),
	})

	cache := ptc.NewPullThroughCache(stack, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_DockerHub(), Prefix: jsii.String("dockercache"), Credentials: dockerSecret},
			{Registry: ptc.UpstreamRegistry_GithubContainerRegistry(), Prefix: jsii.String("ghcrcache"), Credentials: ghcrSecret},
			{Registry: ptc.UpstreamRegistry_Kubernetes(), Prefix: jsii.String("k8scache")},
			{Registry: ptc.UpstreamRegistry_Quay(), Prefix: jsii.String("quaycache")},
		},
		RepositoryTemplate: &ptc.RepositoryTemplateOptions{Scope: ptc.TemplateScope_ANY_PREFIX},
	})

	// A task that pulls images itself (a build runner); ECS pulls a task's own image with the
	// execution role, which ContainerImage() grants (see the Fargate stack).
	puller := awsiam.NewRole(stack, jsii.String("Puller"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("May pull images through the ECR pull-through cache"),
	})
	cache.GrantPull(puller)

	// Pulls and failed upstream syncs per upstream, the account's BatchGetImage rate against its quota.
	ptc.NewPullThroughCacheDashboard(stack, jsii.String("Dashboard"), &ptc.PullThroughCacheDashboardProps{
		Cache: cache,
	})

	// The stack is environment-agnostic, so the URI is a token: `${AWS::AccountId}.dkr.ecr.${AWS::Region}...`.
	alpineURI := cache.ImageUri(jsii.String("alpine:3"))
	awscdk.NewCfnOutput(stack, jsii.String("AlpineImageUri"), &awscdk.CfnOutputProps{
		Description: jsii.String("Alpine in the cache"),
		Value:       alpineURI,
	})
	awscdk.NewCfnOutput(stack, jsii.String("PullExample"), &awscdk.CfnOutputProps{
		Description: jsii.String("Pull Alpine through the cache"),
		Value:       jsii.String("docker pull " + *alpineURI),
	})
	return stack, cache
}

// newFargateServiceStack builds an ECS Fargate service whose image is pulled through a cache of the
// same account and region.
func newFargateServiceStack(scope constructs.Construct, id string, cache ptc.IPullThroughCache, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)

	// Public subnets only: the tasks reach ECR through the internet gateway, no NAT gateway to pay for.
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC},
		},
	})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})

	taskDefinition := awsecs.NewFargateTaskDefinition(stack, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(256),
		MemoryLimitMiB: jsii.Number(512),
	})
	// nginx:1.27 is docker.io/library/nginx:1.27, pulled as <registry>/dockercache/library/nginx:1.27.
	// Binding the image grants the execution role the pull through that upstream, first pull included.
	taskDefinition.AddContainer(jsii.String("web"), &awsecs.ContainerDefinitionOptions{
		Image:        cache.ContainerImage(jsii.String("nginx:1.27")),
		PortMappings: &[]*awsecs.PortMapping{{ContainerPort: jsii.Number(80)}},
	})
	awsecs.NewFargateService(stack, jsii.String("Service"), &awsecs.FargateServiceProps{
		Cluster:        cluster,
		TaskDefinition: taskDefinition,
		DesiredCount:   jsii.Number(1),
		AssignPublicIp: jsii.Bool(true),
		// Start the new task before stopping the old one, and roll back a deployment whose tasks fail.
		MinHealthyPercent: jsii.Number(100),
		CircuitBreaker:    &awsecs.DeploymentCircuitBreaker{Rollback: jsii.Bool(true)},
	})
	return stack
}

// newConsumerAccountStack builds a workload account's stack that pulls through the central account's
// cache, from another region, and returns the stack and the imported cache.
//
// The central account must open the cache to this one (CrossAccountAccess, see docs/multi-account.md,
// "Cross-account and organization access"); this side writes its own principals' policies.
func newConsumerAccountStack(scope constructs.Construct, id string) (awscdk.Stack, ptc.IPullThroughCache) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{Env: consumer})

	// The upstreams as the central stack names them: registry and prefix, no credentials (UpstreamAttributes).
	cache := ptc.PullThroughCache_FromPullThroughCacheAttributes(stack, jsii.String("SharedCache"), &ptc.PullThroughCacheAttributes{
		Account: central.Account,
		Region:  central.Region,
		Upstreams: &[]*ptc.UpstreamAttributes{
			{Registry: ptc.UpstreamRegistry_DockerHub(), Prefix: jsii.String("dockercache")},
			{Registry: ptc.UpstreamRegistry_Quay(), Prefix: jsii.String("quaycache")},
		},
	})

	// EC2 (or EKS) nodes whose containerd pulls through the cache: the script fetches an ECR token
	// from the cache's registry and region with the node role, which therefore needs GrantPull.
	nodeRole := awsiam.NewRole(stack, jsii.String("NodeRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
	})
	cache.GrantPull(nodeRole)
	userData := awsec2.UserData_ForLinux(nil)
	userData.AddCommands(cache.ContainerdNodeScript(nil))
	awsec2.NewLaunchTemplate(stack, jsii.String("NodeTemplate"), &awsec2.LaunchTemplateProps{
		MachineImage: awsec2.MachineImage_LatestAmazonLinux2023(nil),
		Role:         nodeRole,
		UserData:     userData,
	})

	// An ECS task of this account, its image pulled from the central registry.
	taskDefinition := awsecs.NewFargateTaskDefinition(stack, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(256),
		MemoryLimitMiB: jsii.Number(512),
	})
	taskDefinition.AddContainer(jsii.String("web"), &awsecs.ContainerDefinitionOptions{
		Image: cache.ContainerImage(jsii.String("nginx:1.27")),
	})

	awscdk.NewCfnOutput(stack, jsii.String("NginxImageUri"), &awscdk.CfnOutputProps{
		Value: cache.ImageUri(jsii.String("nginx:1.27")),
	})
	return stack, cache
}

// newLookupConsumerStack builds a workload account's stack that finds the central cache with a lookup:
// its prefixes and upstream registries come from the central account's rules, not from a copied list.
func newLookupConsumerStack(scope constructs.Construct, id string) (awscdk.Stack, ptc.IPullThroughCache) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Env: consumer,
		Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
			LookupRoleArn: jsii.String(centralLookupRole),
		}),
	})
	cache := ptc.PullThroughCache_FromLookup(stack, jsii.String("SharedCache"), &ptc.PullThroughCacheLookupOptions{
		Account: central.Account,
		Region:  central.Region,
	})

	// Fargate pulls the image with the task's execution role, which ContainerImage grants.
	taskDefinition := awsecs.NewFargateTaskDefinition(stack, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(256),
		MemoryLimitMiB: jsii.Number(512),
	})
	taskDefinition.AddContainer(jsii.String("web"), &awsecs.ContainerDefinitionOptions{
		Image: cache.ContainerImage(jsii.String("nginx:1.27")),
	})
	awscdk.NewCfnOutput(stack, jsii.String("PrometheusImageUri"), &awscdk.CfnOutputProps{
		Value: cache.ImageUri(jsii.String("quay.io/prometheus/prometheus:v3.1.0")),
	})
	return stack, cache
}

// readContext reads the CDK CLI's answers to lookups (cdk.context.json), or none when the file is missing.
func readContext(path string) map[string]any {
	data, err := os.ReadFile(path)
	if err != nil {
		return map[string]any{}
	}
	var context map[string]any
	if err := json.Unmarshal(data, &context); err != nil {
		panic(fmt.Sprintf("%s: %v", path, err))
	}
	return context
}

// newWarmLambdaStack builds a Lambda function that runs from the pull-through cache: NewCachedImages
// pulls the image through the cache at deploy, and the function is created afterwards, pinned to
// the digest of the image's linux/arm64 manifest.
func newWarmLambdaStack(scope constructs.Construct, id string) (awscdk.Stack, ptc.CachedImages) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{Env: warmLambda})
	cache := ptc.NewPullThroughCache(stack, jsii.String("LambdaCache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_EcrPublic(), Prefix: jsii.String("ecrpubliccache")},
		},
		// A repository policy statement that lets this account's functions read the cached images.
		RepositoryTemplate: &ptc.RepositoryTemplateOptions{AllowLambda: jsii.Bool(true)},
	})
	images := ptc.NewCachedImages(stack, jsii.String("Images"), &ptc.CachedImagesProps{
		Cache:     cache,
		Images:    jsii.Strings(lambdaImage),
		Platforms: jsii.Strings("linux/arm64"),
	})
	awslambda.NewDockerImageFunction(stack, jsii.String("FromCache"), &awslambda.DockerImageFunctionProps{
		Architecture: awslambda.Architecture_ARM_64(),
		Code:         images.DockerImageCode(jsii.String(lambdaImage), nil),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ImageDigest"), &awscdk.CfnOutputProps{
		Description: jsii.String("What the tag pointed to at deploy"),
		Value:       images.DigestOf(jsii.String(lambdaImage)),
	})
	// The same warm image in an ECS task, pinned to its digest (ECS pulls with the execution role,
	// which ContainerImage grants).
	task := awsecs.NewFargateTaskDefinition(stack, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu:             jsii.Number(256),
		MemoryLimitMiB:  jsii.Number(512),
		RuntimePlatform: &awsecs.RuntimePlatform{CpuArchitecture: awsecs.CpuArchitecture_ARM64()},
	})
	task.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{
		Image: images.ContainerImage(jsii.String(lambdaImage)),
	})
	return stack, images
}

// kubernetesStack is what the tests read of newKubernetesStack.
type kubernetesStack struct {
	stack          awscdk.Stack
	nodeRole       awsiam.Role
	fargateProfile awseksv2.FargateProfile
}

// newKubernetesStack builds an EKS cluster whose pods pull through the cache without touching a
// node: Auto Mode nodes and Fargate pods. A MutatingAdmissionPolicy (Kubernetes 1.36 or later)
// rewrites the images at admission; the node role and the pod execution role may pull.
func newKubernetesStack(scope constructs.Construct, id string) kubernetesStack {
	// Environment-agnostic: the cluster's VPC takes its zones with Fn::GetAZs, so `go run .` needs no
	// availability-zones lookup (cdk.context.json holds only the cache lookup's answers).
	stack := awscdk.NewStack(scope, jsii.String(id), nil)
	cache := ptc.NewPullThroughCache(stack, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_Kubernetes()},
			{Registry: ptc.UpstreamRegistry_Quay()},
			{Registry: ptc.UpstreamRegistry_EcrPublic()},
		},
	})
	// Auto Mode: EKS manages the nodes; they pull with this role.
	nodeRole := awsiam.NewRole(stack, jsii.String("AutoModeNodeRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AmazonEKSWorkerNodeMinimalPolicy")),
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AmazonEC2ContainerRegistryPullOnly")),
		},
	})
	cluster := awseksv2.NewCluster(stack, jsii.String("Cluster"), &awseksv2.ClusterProps{
		// MutatingAdmissionPolicy is admissionregistration.k8s.io/v1 from Kubernetes 1.36.
		Version: awseksv2.KubernetesVersion_Of(jsii.String("1.36")),
		Compute: &awseksv2.ComputeConfig{NodeRole: nodeRole},
		KubectlProviderOptions: &awseksv2.KubectlProviderOptions{
			KubectlLayer: awslambda.LayerVersion_FromLayerVersionArn(stack, jsii.String("KubectlLayer"), jsii.String(kubectlLayerArn)),
		},
	})
	// Fargate: pods of the `apps` namespace run on Fargate, pulling with the pod execution role.
	profile := cluster.AddFargateProfile(jsii.String("Apps"), &awseksv2.FargateProfileOptions{
		Selectors: &[]*awseksv2.Selector{{Namespace: jsii.String("apps")}},
	})

	manifests := cache.KubernetesImageRewrite(&ptc.KubernetesImageRewriteOptions{
		Engine: ptc.KubernetesPolicyEngine_MUTATING_ADMISSION_POLICY,
	})
	cluster.AddManifest(jsii.String("ImageRewrite"), *manifests...)
	cache.GrantPull(nodeRole)
	cache.GrantPull(profile.PodExecutionRole())
	return kubernetesStack{stack: stack, nodeRole: nodeRole, fargateProfile: profile}
}

// newApp builds the app: the reference stack, a Fargate service on its cache, a consumer account
// that imports the central cache by attributes and one that looks it up, and a Lambda function that
// runs from a warmed cache, and an EKS cluster whose pod images are rewritten to a cache. The app's
// context is cdk.context.json's, as when the CDK CLI runs the app.
func newApp(outdir string) awscdk.App {
	return newAppWithContext(outdir, readContext(contextFile))
}

// newAppWithContext builds the app with the given context (the lookups' answers).
func newAppWithContext(outdir string, context map[string]any) awscdk.App {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &context})
	_, cache := newReferenceStack(app, stackName, nil)
	newFargateServiceStack(app, fargateStackName, cache, nil)
	newConsumerAccountStack(app, consumerStackName)
	newLookupConsumerStack(app, lookupStackName)
	newWarmLambdaStack(app, warmStackName)
	newKubernetesStack(app, k8sStackName)
	return app
}

// synth synthesizes the app into outdir and returns the path of each stack's template, by stack name.
func synth(outdir string) map[string]string {
	assembly := newApp(outdir).Synth(nil)
	paths := map[string]string{}
	for _, stack := range *assembly.Stacks() {
		paths[*stack.StackName()] = filepath.Join(*assembly.Directory(), *stack.TemplateFile())
	}
	return paths
}

// template is the part of a CloudFormation template the summary and the tests read.
type template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
	} `json:"Resources"`
	Outputs map[string]struct {
		Value any `json:"Value"`
	} `json:"Outputs"`
}

func readTemplate(path string) (*template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// ofType returns the properties of the template's resources of a type.
func (t *template) ofType(cfnType string) []map[string]any {
	var found []map[string]any
	for _, r := range t.Resources {
		if r.Type == cfnType {
			found = append(found, r.Properties)
		}
	}
	return found
}

func main() {
	outdir := "cdk.out"
	if len(os.Args) > 1 {
		outdir = os.Args[1]
	}
	defer jsii.Close()

	ref := ptc.ImageReference_Parse(jsii.String("alpine:3"))
	fmt.Printf("ImageReference_Parse(\"alpine:3\") -> %s (domain=%s, repository=%s, tag=%s, isDockerHub=%t)\n",
		*ref.ToString(), *ref.Domain(), *ref.Repository(), *ref.Tag(), *ref.IsDockerHub())

	paths := synth(outdir)
	path := paths[stackName]
	t, err := readTemplate(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("synthesized %s to %s: %d resources\n", stackName, path, len(t.Resources))
	rules := t.ofType("AWS::ECR::PullThroughCacheRule")
	sort.Slice(rules, func(i, j int) bool {
		return fmt.Sprint(rules[i]["EcrRepositoryPrefix"]) < fmt.Sprint(rules[j]["EcrRepositoryPrefix"])
	})
	for _, rule := range rules {
		fmt.Printf("  rule %-12v <- %v\n", rule["EcrRepositoryPrefix"], rule["UpstreamRegistryUrl"])
	}
	var prefixes []any
	for _, tpl := range t.ofType("AWS::ECR::RepositoryCreationTemplate") {
		prefixes = append(prefixes, tpl["Prefix"])
	}
	fmt.Printf("  creation templates: %v\n", prefixes)
	if len(rules) != len(expectedUpstreams) || len(prefixes) != 1 || prefixes[0] != "ROOT" {
		fmt.Fprintln(os.Stderr, "unexpected rules or templates")
		os.Exit(1)
	}

	for _, name := range []string{fargateStackName, consumerStackName, lookupStackName, warmStackName, k8sStackName} {
		other, err := readTemplate(paths[name])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		types := map[string]bool{}
		for _, r := range other.Resources {
			types[r.Type] = true
		}
		var sorted []string
		for cfnType := range types {
			sorted = append(sorted, cfnType)
		}
		sort.Strings(sorted)
		fmt.Printf("synthesized %s: %v\n", name, sorted)
	}
}
