import { App, AppProps, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { newStack } from './helpers';
import { PullThroughCache, PullThroughCacheSecret, RepositoryTemplateOptions, UpstreamDefinition, UpstreamRegistry } from '../../src';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
/** ACCOUNT and REGION as a stack's `env`. */
export const ENV = { account: ACCOUNT, region: REGION };
/** The cache's registry domain in an env-bound stack of ACCOUNT and REGION. */
export const DOMAIN = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
/** The upstream private ECR registries of the full cache. */
export const CENTRAL = '444455556666.dkr.ecr.us-east-1.amazonaws.com';
export const PROD = '444455556666.dkr.ecr.us-west-2.amazonaws.com';

export const SHA256 = 'sha256:' + '0123456789abcdef'.repeat(4);

/** What pulling through one upstream grants, in the order grantPull renders it. */
export const PULL_ACTIONS = [
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchImportUpstreamImage',
  'ecr:CreateRepository',
];

export interface FullCache {
  readonly app: App;
  readonly stack: Stack;
  readonly cache: PullThroughCache;
}

/** A stack of its own app; env-bound to ACCOUNT/REGION unless `stackProps` say otherwise. */
export function newEnvStack(stackProps: StackProps = { env: { account: ACCOUNT, region: REGION } }, appProps?: AppProps): Stack {
  return newStack(stackProps, appProps);
}

/**
 * A cache of every kind of upstream: each default prefix, Azure registry `myregistry`, an ECR
 * upstream `central` (CENTRAL) and an ECR upstream `prodmirror` limited to PROD's `prod/` prefix.
 */
export function fullCache(stack: Stack, extra: UpstreamDefinition[] = []): PullThroughCache {
  const secret = (name: string) => PullThroughCacheSecret.create(stack, `${name}Secret`, { registryName: name, username: 'user' });
  const role = new iam.Role(stack, 'EcrUpstreamRole', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
  return new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.dockerHub(), credentials: secret('dockerio') },
      { registry: UpstreamRegistry.githubContainerRegistry(), credentials: secret('ghcr') },
      { registry: UpstreamRegistry.gitlabContainerRegistry(), credentials: secret('gitlab') },
      { registry: UpstreamRegistry.azureContainerRegistry('MyRegistry'), credentials: secret('azure') },
      { registry: UpstreamRegistry.chainguard(), credentials: secret('chainguard') },
      { registry: UpstreamRegistry.kubernetes() },
      { registry: UpstreamRegistry.quay() },
      { registry: UpstreamRegistry.ecrPublic() },
      { registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-east-1' }), prefix: 'central' },
      {
        registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-west-2', repositoryPrefix: 'prod' }),
        prefix: 'prodmirror',
      },
      ...extra,
    ],
  });
}

/** A cache of public upstreams only (no secrets): registry.k8s.io, Quay and ECR Public. */
export function publicCache(stack: Stack, id = 'Cache', prefixes: { k8s?: string; quay?: string } = {}): PullThroughCache {
  return new PullThroughCache(stack, id, {
    upstreams: [
      { registry: UpstreamRegistry.kubernetes(), prefix: prefixes.k8s },
      { registry: UpstreamRegistry.quay(), prefix: prefixes.quay },
      { registry: UpstreamRegistry.ecrPublic() },
    ],
  });
}

/** registry.k8s.io and Quay (default prefixes, no secrets) with the given repository template options. */
export function k8sAndQuayCache(stack: Stack, repositoryTemplate?: RepositoryTemplateOptions, id = 'Cache'): PullThroughCache {
  return new PullThroughCache(stack, id, {
    upstreams: [
      { registry: UpstreamRegistry.kubernetes() },
      { registry: UpstreamRegistry.quay() },
    ],
    repositoryTemplate,
  });
}

/** Docker Hub (with a secret) and GHCR (with a secret) plus the public upstreams. */
export function dockerAndGhcrCache(stack: Stack, id = 'Cache'): PullThroughCache {
  const docker = PullThroughCacheSecret.create(stack, `${id}DockerSecret`, { registryName: `${id.toLowerCase()}docker`, username: 'u' });
  const ghcr = PullThroughCacheSecret.create(stack, `${id}GhcrSecret`, { registryName: `${id.toLowerCase()}ghcr`, username: 'u' });
  return new PullThroughCache(stack, id, {
    upstreams: [
      { registry: UpstreamRegistry.dockerHub(), credentials: docker },
      { registry: UpstreamRegistry.githubContainerRegistry(), credentials: ghcr },
      { registry: UpstreamRegistry.kubernetes() },
    ],
  });
}

/**
 * The ARN of the cached repositories of a prefix in an env-bound stack (the partition is a
 * reference unless the app enables partition literals).
 */
export function cachedArn(prefix: string, region = REGION, account = ACCOUNT): any {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:${region}:${account}:repository/${prefix}/*`]] };
}
