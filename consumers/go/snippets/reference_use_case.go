package snippets

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// ReferenceUseCase is README.md's "The reference use case".
//
// ts-sha256: 0975a617c51254da
func ReferenceUseCase(this awscdk.Stack) {
	var dockerSecret awssecretsmanager.ISecret = ptc.PullThroughCacheSecret_Create(this, jsii.String("DockerHubSecret"), &ptc.PullThroughCacheSecretProps{
		RegistryName: jsii.String("dockerio"), // ecr-pullthroughcache/dockerio
		Username:     jsii.String("my-docker-user"),
	})
	var ghcrSecret awssecretsmanager.ISecret = ptc.PullThroughCacheSecret_Create(this, jsii.String("GhcrSecret"), &ptc.PullThroughCacheSecretProps{
		RegistryName: jsii.String("ghcr"), // ecr-pullthroughcache/ghcr
		Username:     jsii.String("my-github-user"),
	})
	// The role of a task that runs `docker pull` or `crane` itself; not the role ECS pulls the
	// task's own image with (that is the execution role: use ContainerImage()).
	taskRole := awsiam.NewRole(this, jsii.String("TaskRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
	})

	cache := ptc.NewPullThroughCache(this, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_DockerHub(), Prefix: jsii.String("dockercache"), Credentials: dockerSecret},
			{Registry: ptc.UpstreamRegistry_GithubContainerRegistry(), Prefix: jsii.String("ghcrcache"), Credentials: ghcrSecret},
			{Registry: ptc.UpstreamRegistry_Kubernetes(), Prefix: jsii.String("k8scache")},
			{Registry: ptc.UpstreamRegistry_Quay(), Prefix: jsii.String("quaycache")},
		},
		RepositoryTemplate: &ptc.RepositoryTemplateOptions{Scope: ptc.TemplateScope_ANY_PREFIX},
	})
	cache.GrantPull(taskRole)
}
