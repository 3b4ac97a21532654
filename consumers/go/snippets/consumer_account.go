package snippets

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// ConsumerAccount is README.md's "The consumer account's side".
//
// ts-sha256: 57193d7ba8909768
func ConsumerAccount(this awscdk.Stack) {
	// In a consumer account (444455556666, eu-central-1): the cache is in 111122223333, eu-west-1.
	var taskRole awsiam.IRole

	shared := ptc.PullThroughCache_FromPullThroughCacheAttributes(this, jsii.String("SharedCache"), &ptc.PullThroughCacheAttributes{
		Account: jsii.String("111122223333"), // default: this stack's
		Region:  jsii.String("eu-west-1"),    // default: this stack's
		Upstreams: &[]*ptc.UpstreamAttributes{
			{Registry: ptc.UpstreamRegistry_Kubernetes()},
			{Registry: ptc.UpstreamRegistry_Quay(), Prefix: jsii.String("quay")},
		},
	})
	shared.GrantPull(taskRole)                                               // arn:aws:ecr:eu-west-1:111122223333:repository/k8scache/* and .../quay/*
	pauseImage := shared.ImageUri(jsii.String("registry.k8s.io/pause:3.10")) // 111122223333.dkr.ecr.eu-west-1.amazonaws.com/k8scache/pause:3.10

	taskDefinition := awsecs.NewFargateTaskDefinition(this, jsii.String("Task"), nil)
	taskDefinition.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{
		Image:       shared.ContainerImage(jsii.String("quay.io/prometheus/node-exporter:v1.8.1")),
		Environment: &map[string]*string{"PAUSE_IMAGE": pauseImage},
	})
}
