package snippets

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseks"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// KubernetesImageRewrite is docs/kubernetes.md's "Kubernetes without node access".
//
// ts-sha256: 0f20e4b55718f5c2
func KubernetesImageRewrite(this awscdk.Stack) {
	var cache ptc.PullThroughCache
	var cluster awseks.ICluster
	var fargateProfile awseks.FargateProfile

	// Kubernetes' own MutatingAdmissionPolicy and its binding: no extra software
	awseks.NewKubernetesManifest(this, jsii.String("ImageRewrite"), &awseks.KubernetesManifestProps{
		Cluster: cluster,
		Manifest: cache.KubernetesImageRewrite(&ptc.KubernetesImageRewriteOptions{
			Engine:             ptc.KubernetesPolicyEngine_MUTATING_ADMISSION_POLICY,
			ExcludedNamespaces: jsii.Strings("kube-system", "monitoring"),
		}),
	})
	// the role that pulls: Fargate's pod execution role, or the node role of Auto Mode's node pools
	cache.GrantPull(fargateProfile.PodExecutionRole())
}
