package snippets

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// The @examples of the library's classes (API.go.md, the Go module's doc comments).

// CachedImagesExample is the @example of CachedImages.
//
// ts-sha256: 5bb39373da167bfe
func CachedImagesExample(this awscdk.Stack) {
	var cache ptc.PullThroughCache

	images := ptc.NewCachedImages(this, jsii.String("Images"), &ptc.CachedImagesProps{Cache: cache, Images: jsii.Strings("public.ecr.aws/lambda/nodejs:22")})
	awslambda.NewDockerImageFunction(this, jsii.String("Fn"), &awslambda.DockerImageFunctionProps{Code: images.DockerImageCode(jsii.String("public.ecr.aws/lambda/nodejs:22"), nil)})
}

// ImageReferenceExample is the @example of ImageReference.
//
// ts-sha256: a3ff4f2b90fb7da8
func ImageReferenceExample(this awscdk.Stack) {
	ref := ptc.ImageReference_Parse(jsii.String("alpine:3"))
	fmt.Println(*ref.Domain(), *ref.Repository(), *ref.Tag()) // docker.io library/alpine 3
}

// PullThroughCacheExample is the @example of PullThroughCache.
//
// ts-sha256: 2f55b81937fc51e6
func PullThroughCacheExample(this awscdk.Stack) {
	var dockerSecret awssecretsmanager.ISecret
	var ghcrSecret awssecretsmanager.ISecret
	var ciRole awsiam.IRole // a role that pulls images itself; ECS pulls with the execution role (ContainerImage)

	cache := ptc.NewPullThroughCache(this, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_DockerHub(), Prefix: jsii.String("dockercache"), Credentials: dockerSecret},
			{Registry: ptc.UpstreamRegistry_GithubContainerRegistry(), Prefix: jsii.String("ghcrcache"), Credentials: ghcrSecret},
			{Registry: ptc.UpstreamRegistry_Kubernetes(), Prefix: jsii.String("k8scache")},
			{Registry: ptc.UpstreamRegistry_Quay(), Prefix: jsii.String("quaycache")},
		},
		RepositoryTemplate: &ptc.RepositoryTemplateOptions{Scope: ptc.TemplateScope_ANY_PREFIX},
	})
	cache.GrantPull(ciRole)
}

// PullThroughCacheDashboardExample is the @example of PullThroughCacheDashboard.
//
// ts-sha256: c470c433b52531d4
func PullThroughCacheDashboardExample(this awscdk.Stack) {
	var cache ptc.PullThroughCache

	ptc.NewPullThroughCacheDashboard(this, jsii.String("CacheDashboard"), &ptc.PullThroughCacheDashboardProps{Cache: cache})
}

// PullThroughCacheSecretExample is the @example of PullThroughCacheSecret.
//
// ts-sha256: 704d69c3beb3190f
func PullThroughCacheSecretExample(this awscdk.Stack) {
	var dockerSecret awssecretsmanager.ISecret = ptc.PullThroughCacheSecret_Create(this, jsii.String("DockerHubSecret"), &ptc.PullThroughCacheSecretProps{
		RegistryName: jsii.String("dockerio"),
		Username:     jsii.String("my-docker-user"),
	})
	_ = dockerSecret // an upstream's Credentials
}

// RegistryScanningExample is the @example of RegistryScanning.
//
// ts-sha256: a27e98a3a2329ce6
func RegistryScanningExample(this awscdk.Stack) {
	ptc.RegistryScanning_GetOrCreate(this).AddWildcardFilters(jsii.Strings("team-a/*"), &ptc.ScanningOptions{
		ScanType:  ptc.ScanType_ENHANCED,
		Frequency: ptc.ScanFrequency_CONTINUOUS_SCAN,
	})
}

// UpstreamRegistryExample is the @example of UpstreamRegistry.
//
// ts-sha256: f1827baa05e17847
func UpstreamRegistryExample(this awscdk.Stack) {
	dockerHub := ptc.UpstreamRegistry_DockerHub()
	fmt.Println(*dockerHub.Url(), *dockerHub.DefaultPrefix()) // registry-1.docker.io dockercache
}
