package snippets

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// LambdaFunctions is docs/images.md's "Lambda functions".
//
// ts-sha256: 36a6ca8331eebe87
func LambdaFunctions(this awscdk.Stack) {
	cache := ptc.NewPullThroughCache(this, jsii.String("LambdaCache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_EcrPublic(), Prefix: jsii.String("ecrpubliccache")},
		},
		// A repository policy statement for lambda.amazonaws.com, limited to this account's functions.
		RepositoryTemplate: &ptc.RepositoryTemplateOptions{AllowLambda: jsii.Bool(true)},
	})
	images := ptc.NewCachedImages(this, jsii.String("LambdaImages"), &ptc.CachedImagesProps{
		Cache:  cache,
		Images: jsii.Strings("public.ecr.aws/lambda/nodejs:22"),
	})
	awslambda.NewDockerImageFunction(this, jsii.String("FromCache"), &awslambda.DockerImageFunctionProps{
		Architecture: awslambda.Architecture_ARM_64(),
		// <cache>/ecrpubliccache/lambda/nodejs@sha256:<the linux/arm64 manifest>, created after the warm-up.
		Code: images.DockerImageCode(jsii.String("public.ecr.aws/lambda/nodejs:22"), nil),
	})
}

// WarmTheCache is docs/warm-up.md's (and README.md's) "Warm the cache".
//
// ts-sha256: 2b98ab127da41212
func WarmTheCache(this awscdk.Stack) {
	var cache ptc.PullThroughCache

	warm := ptc.NewCachedImages(this, jsii.String("WarmImages"), &ptc.CachedImagesProps{
		Cache:     cache,
		Images:    jsii.Strings("nginx:1.27", "quay.io/prometheus/prometheus:v3.5.0"),
		Platforms: jsii.Strings("linux/amd64", "linux/arm64"),
	})
	task := awsecs.NewFargateTaskDefinition(this, jsii.String("PinnedTask"), nil)
	// <cache>/dockercache/library/nginx@sha256:..., what the warm-up pulled.
	task.AddContainer(jsii.String("web"), &awsecs.ContainerDefinitionOptions{Image: warm.ContainerImage(jsii.String("nginx:1.27"))})
}
