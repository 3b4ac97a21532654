import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { PullThroughCache, PullThroughCacheSecret, UpstreamRegistry } from '../src';

/**
 * A Fargate task whose images come through the cache: one with `containerImage()`, one
 * rewritten by `redirectImages()`. The task's execution role gets what a first pull needs
 * (`ecr:BatchImportUpstreamImage`, `ecr:CreateRepository`) on the cached prefixes only.
 */
export class FargateStack extends Stack {
  public readonly cache: PullThroughCache;
  public readonly taskDefinition: ecs.FargateTaskDefinition;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const dockerSecret = PullThroughCacheSecret.create(this, 'DockerHubSecret', {
      registryName: 'dockerio',
      username: 'my-docker-user',
    });
    this.cache = new PullThroughCache(this, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), credentials: dockerSecret },
        { registry: UpstreamRegistry.quay() },
      ],
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', { cpu: 256, memoryLimitMiB: 512 });
    // nginx:1.27 is docker.io/library/nginx:1.27: pulled as <registry>/dockercache/library/nginx:1.27.
    this.taskDefinition.addContainer('web', {
      image: this.cache.containerImage('nginx:1.27'),
      portMappings: [{ containerPort: 80 }],
    });
    // Written as usual, and redirected through the cache at synth time.
    this.taskDefinition.addContainer('exporter', {
      image: ecs.ContainerImage.fromRegistry('quay.io/prometheus/node-exporter:v1.8.1'),
    });
    this.cache.redirectImages(this);

    new CfnOutput(this, 'WebImage', { value: this.cache.imageUri('nginx:1.27') });
  }
}
