import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { IPullThroughCache, PullThroughCache, PullThroughCacheSecret, UpstreamDefinition, UpstreamRegistry } from '../src';

/** The central account that owns the cache, and the region it is in. */
export const CENTRAL = { account: '555566667777', region: 'eu-west-1' };
/** A workload account that pulls through the central cache from another region. */
export const CONSUMER = { account: '444455556666', region: 'eu-central-1' };

/** The upstreams, as both sides name them: the central stack creates them, the consumer imports them. */
function upstreams(dockerSecret?: secretsmanager.ISecret): UpstreamDefinition[] {
  return [
    { registry: UpstreamRegistry.dockerHub(), credentials: dockerSecret },
    { registry: UpstreamRegistry.quay(), prefix: 'quay' },
  ];
}

/** The central account: the cache, open to the consumer account. */
export class CentralCacheStack extends Stack {
  public readonly cache: PullThroughCache;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { ...props, env: CENTRAL });
    const dockerSecret = PullThroughCacheSecret.create(this, 'DockerHubSecret', { registryName: 'dockerio', username: 'my-docker-user' });
    this.cache = new PullThroughCache(this, 'Cache', {
      upstreams: upstreams(dockerSecret),
      crossAccountAccess: { accounts: [CONSUMER.account] },
    });
  }
}

/**
 * A workload account: imports the central cache by account, region and upstreams, and runs a
 * Fargate task whose image is pulled through it. The library writes the cross-account ARNs.
 */
export class ConsumerStack extends Stack {
  public readonly cache: IPullThroughCache;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly puller: iam.Role;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { ...props, env: CONSUMER });
    this.cache = PullThroughCache.fromPullThroughCacheAttributes(this, 'SharedCache', {
      account: CENTRAL.account,
      region: CENTRAL.region,
      upstreams: upstreams(),
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', { cpu: 256, memoryLimitMiB: 512 });
    this.taskDefinition.addContainer('web', { image: this.cache.containerImage('nginx:1.27'), portMappings: [{ containerPort: 80 }] });

    // Any other principal of this account: a CI role that pulls every upstream's images.
    this.puller = new iam.Role(this, 'Puller', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    this.cache.grantPull(this.puller);

    new CfnOutput(this, 'AlpineImage', { value: this.cache.imageUri('alpine:3') });
  }
}
