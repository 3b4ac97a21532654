import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { UpstreamRegistry } from './upstream-registry';

/**
 * One upstream of a pull-through cache, as every construct that pulls through the cache sees it.
 */
export interface CacheUpstream {
  /**
   * The upstream registry. An ECR upstream's omitted account and region are the cache's.
   */
  readonly registry: UpstreamRegistry;

  /**
   * The ECR repository prefix the upstream's images are cached under, e.g. `dockercache`
   * (`ROOT` for a registry-wide ECR-to-ECR rule).
   */
  readonly prefix: string;
}

/**
 * An upstream of a cache defined elsewhere: what importing it needs (no credentials, no role).
 */
export interface UpstreamAttributes {
  /**
   * The upstream registry. To import an ECR upstream, `UpstreamRegistry.ecr()` needs no `role`.
   */
  readonly registry: UpstreamRegistry;

  /**
   * The ECR repository prefix this upstream's images are cached under, `<registryDomain>/<prefix>/<image>`.
   *
   * 2 to 30 characters: lowercase letters and digits in segments joined by `.`, `_`, `__` or `-`,
   * `/` between path segments; `ROOT` (an ECR upstream only) caches the whole upstream registry.
   * Changing it replaces the rule and empties the cache.
   *
   * @default - the registry's `defaultPrefix`, e.g. `dockercache`
   * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreatePullThroughCacheRule.html
   */
  readonly prefix?: string;
}

/**
 * One upstream registry the cache pulls through.
 */
export interface UpstreamDefinition extends UpstreamAttributes {
  /**
   * The Secrets Manager secret with the upstream's `username` and `accessToken`: required by
   * Docker Hub, GitHub, GitLab, Azure and Chainguard. `PullThroughCacheSecret.create` makes one.
   *
   * @default - no credentials
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html
   */
  readonly credentials?: secretsmanager.ISecret;
}
