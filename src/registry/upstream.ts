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
   * The upstream registry, from one of `UpstreamRegistry`'s factories. To import an ECR
   * upstream, `UpstreamRegistry.ecr()` needs no `role`.
   */
  readonly registry: UpstreamRegistry;

  /**
   * The ECR repository prefix images of this upstream are cached under:
   * `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<image>`.
   *
   * 2 to 30 characters; lowercase letters and digits in segments joined by `.`, `_`, `__` or `-`,
   * with `/` between path segments. The prefix also fixes the rule's CloudFormation logical ID,
   * so changing it replaces the rule (and empties the cache).
   *
   * An ECR upstream (`UpstreamRegistry.ecr()`) may also have the prefix `ROOT`: a registry-wide
   * rule that caches every repository of the upstream registry under the same name
   * (`<cache registry>/app:1` pulls `app:1` of the upstream registry), except repositories under
   * the prefix of another rule. One ROOT rule per registry, and not with the upstream's
   * `repositoryPrefix`.
   *
   * @default - the registry's `defaultPrefix`: `dockercache`, `ghcrcache`, `k8scache`,
   * `quaycache`, `ecrpubliccache`, `gitlabcache`, `azurecache`, `chainguardcache` or `ecrcache`
   * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreatePullThroughCacheRule.html
   */
  readonly prefix?: string;
}

/**
 * One upstream registry the cache pulls through.
 */
export interface UpstreamDefinition extends UpstreamAttributes {
  /**
   * The Secrets Manager secret with the upstream registry's `username` and `accessToken`.
   *
   * Required by Docker Hub, GitHub, GitLab, Azure and Chainguard; not taken by the others. Its
   * name must start with `ecr-pullthroughcache/`, it must be encrypted with the AWS managed key,
   * and ECR needs its complete ARN (import it with `Secret.fromSecretCompleteArn`, not by name).
   * `PullThroughCacheSecret.create` makes one in the right shape.
   *
   * @default - no credentials
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html
   */
  readonly credentials?: secretsmanager.ISecret;
}
