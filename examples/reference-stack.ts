import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PullThroughCache, PullThroughCacheSecret, TemplateScope, UpstreamRegistry } from '../src';

/**
 * The reference use case: Docker Hub and GitHub Container Registry with credentials,
 * registry.k8s.io and Quay without, one ROOT creation template (mutable tags, AES-256), and a
 * role that may pull through the cache: the task role of a task that pulls images itself. ECS
 * pulls a task's own image with the execution role, which `containerImage()` grants.
 */
export class ReferenceStack extends Stack {
  public readonly cache: PullThroughCache;
  public readonly puller: iam.Role;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // The secrets hold a placeholder token; put the real one with `aws secretsmanager
    // put-secret-value ... --secret-string "file://$f"` from a 0600 temporary file (docs/registries.md,
    // "Credentials"), never with the token on the command line.
    const dockerSecret = PullThroughCacheSecret.create(this, 'DockerHubSecret', {
      registryName: 'dockerio',
      username: 'my-docker-user',
    });
    const ghcrSecret = PullThroughCacheSecret.create(this, 'GhcrSecret', {
      registryName: 'ghcr',
      username: 'my-github-user',
    });

    this.cache = new PullThroughCache(this, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), prefix: 'dockercache', credentials: dockerSecret },
        { registry: UpstreamRegistry.githubContainerRegistry(), prefix: 'ghcrcache', credentials: ghcrSecret },
        { registry: UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
        { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
      ],
      repositoryTemplate: { scope: TemplateScope.ANY_PREFIX },
    });

    // A task that pulls images itself (e.g. a build runner); not the role ECS pulls the task's
    // image with (the execution role, which containerImage() grants: see fargate-stack.ts).
    this.puller = new iam.Role(this, 'Puller', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'May pull images through the ECR pull-through cache',
    });
    this.cache.grantPull(this.puller);

    new CfnOutput(this, 'PullExample', {
      description: 'Pull Alpine through the cache',
      value: `docker pull ${this.cache.registryDomain}/dockercache/library/alpine:3`,
    });
  }
}
