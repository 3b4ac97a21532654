import { CfnOutput, Duration, Stack, StackProps, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  CrossAccountAccess,
  PullThroughCache,
  PullThroughCacheSecret,
  ScanType,
  UpstreamRegistry,
} from '../src';

/** What every regional cache of the platform shares. */
export interface RegionalCacheProps {
  /** Who else may pull through the cache: the organization, and accounts outside it. */
  readonly crossAccountAccess: CrossAccountAccess;
}

/**
 * One region's pull-through cache: Docker Hub (with credentials), registry.k8s.io, Quay and ECR
 * Public, scanned on push, open to the organization. The same class in every region, so every
 * region's template has the same logical IDs.
 */
export class RegionalCacheStack extends Stack {
  public readonly cache: PullThroughCache;

  constructor(scope: Construct, id: string, props: RegionalCacheProps & StackProps) {
    super(scope, id, props);

    // Secrets are regional: put the Docker Hub token once per region after the first deployment.
    const dockerSecret = PullThroughCacheSecret.create(this, 'DockerHubSecret', {
      registryName: 'dockerio',
      username: 'platform-docker-user',
    });

    this.cache = new PullThroughCache(this, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), prefix: 'dockercache', credentials: dockerSecret },
        { registry: UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
        { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
        { registry: UpstreamRegistry.ecrPublic(), prefix: 'ecrpubliccache' },
      ],
      repositoryTemplate: {
        lifecycleRules: [{ description: 'expire images cached more than 90 days ago', maxImageAge: Duration.days(90) }],
      },
      crossAccountAccess: props.crossAccountAccess,
      scanning: { scanType: ScanType.BASIC },
    });

    new CfnOutput(this, 'RegistryDomain', {
      description: 'Pull through the cache of this region: <domain>/<prefix>/<image>',
      value: this.cache.registryDomain,
    });
  }
}

/** A deployment unit of one region: a Stage holding that region's cache stack. */
export class RegionalCacheStage extends Stage {
  public readonly stack: RegionalCacheStack;

  constructor(scope: Construct, id: string, props: RegionalCacheProps & StageProps) {
    super(scope, id, props);
    // The stack id is the same in every stage: only the stage (and the environment) differ.
    this.stack = new RegionalCacheStack(this, 'PullThroughCache', { crossAccountAccess: props.crossAccountAccess });
  }
}
