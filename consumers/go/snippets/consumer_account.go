package snippets

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// ConsumerAccount is docs/multi-account.md's "The consumer account's side".
//
// ts-sha256: 0f6a4b59511349e7
func ConsumerAccount(this awscdk.Stack) {
	// In a consumer account (444455556666, eu-central-1): the cache is in 111122223333, eu-west-1.
	var ciRole awsiam.IRole // e.g. a CodeBuild project's role that pulls images itself

	shared := ptc.PullThroughCache_FromPullThroughCacheAttributes(this, jsii.String("SharedCache"), &ptc.PullThroughCacheAttributes{
		Account: jsii.String("111122223333"), // default: this stack's
		Region:  jsii.String("eu-west-1"),    // default: this stack's
		Upstreams: &[]*ptc.UpstreamAttributes{
			{Registry: ptc.UpstreamRegistry_Kubernetes()},
			{Registry: ptc.UpstreamRegistry_Quay(), Prefix: jsii.String("quay")},
		},
	})
	shared.GrantPull(ciRole)                                                 // arn:aws:ecr:eu-west-1:111122223333:repository/k8scache/* and .../quay/*
	pauseImage := shared.ImageUri(jsii.String("registry.k8s.io/pause:3.10")) // 111122223333.dkr.ecr.eu-west-1.amazonaws.com/k8scache/pause:3.10

	_ = pauseImage

	// ECS pulls with the task definition's execution role: ContainerImage() grants it the pull
	// through that upstream. The task role needs no grant to start the container.
	taskDefinition := awsecs.NewFargateTaskDefinition(this, jsii.String("Task"), nil)
	taskDefinition.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{
		Image: shared.ContainerImage(jsii.String("quay.io/prometheus/node-exporter:v1.8.1")),
	})
}

// ConsumerAccountLookup is docs/multi-account.md's "The consumer account's side": the cache found with a lookup.
//
// ts-sha256: dd097f4ca39e845d
func ConsumerAccountLookup(this awscdk.Stack) {
	// A consumer account's stack (444455556666, eu-central-1); the cache is in 111122223333, eu-west-1.
	consumer := awscdk.NewStack(this, jsii.String("Consumer"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("444455556666"), Region: jsii.String("eu-central-1")},
		// The CDK CLI looks up a stack's context with its synthesizer's lookup role: the central account's.
		Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
			LookupRoleArn: jsii.String("arn:${AWS::Partition}:iam::111122223333:role/cdk-hnb659fds-lookup-role-111122223333-eu-west-1"),
		}),
	})
	shared := ptc.PullThroughCache_FromLookup(consumer, jsii.String("SharedCache"), &ptc.PullThroughCacheLookupOptions{
		Account: jsii.String("111122223333"), // default: this stack's
		Region:  jsii.String("eu-west-1"),    // default: this stack's
	})

	// Fargate pulls with the task's execution role: ContainerImage grants it the pull through nginx's upstream.
	taskDefinition := awsecs.NewFargateTaskDefinition(consumer, jsii.String("Task"), nil)
	taskDefinition.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{
		Image: shared.ContainerImage(jsii.String("nginx:1.27")),
	})
}
