import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { cachedImage } from './private/image-uri';
import type { PullThroughCache } from './pull-through-cache';

/**
 * An ECS container image pulled through a `PullThroughCache`.
 *
 * The image name is the reference's URI in the cache (`PullThroughCache.imageUri`), and binding
 * it to a container grants the task definition's execution role what the pull needs, through the
 * reference's upstream only: `ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`,
 * `ecr:BatchCheckLayerAvailability`, `ecr:BatchImportUpstreamImage` and `ecr:CreateRepository`
 * (plus `ecr:TagResource` when the repository template has resource tags) on
 * `repository/<prefix>/*`, and `ecr:GetAuthorizationToken` on `*`.
 *
 * @example
 * import * as ecs from 'aws-cdk-lib/aws-ecs';
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * declare const cache: ptc.PullThroughCache;
 *
 * const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task');
 * taskDefinition.addContainer('web', {
 *   // <account>.dkr.ecr.<region>.amazonaws.com/dockercache/library/nginx:1.27
 *   image: ptc.PullThroughCacheImage.fromCache(cache, 'nginx:1.27'),
 * });
 */
export class PullThroughCacheImage extends ecs.ContainerImage {
  /**
   * An image of one of the cache's upstreams, pulled through the cache.
   *
   * The reference is checked now: it must be a literal that an upstream of the cache serves.
   * A reference pinned by digest is kept, with the warning `cdk-pull-through-cache:digestFirstPull`
   * on the cache: ECR does not populate the cache when an image that is not cached yet is first
   * pulled by digest, so pre-warm the cache by pulling the tag through it once.
   *
   * @param cache the pull-through cache
   * @param reference the image reference as you would pull it, e.g. `alpine:3`,
   * `ghcr.io/org/app:1.0`, `registry.k8s.io/pause@sha256:...`
   */
  public static fromCache(cache: PullThroughCache, reference: string): PullThroughCacheImage {
    return new PullThroughCacheImage(cache, reference);
  }

  /** The image reference as given, e.g. `alpine:3`. */
  public readonly reference: string;

  /** The image's URI in the cache, e.g. `<account>.dkr.ecr.<region>.amazonaws.com/dockercache/library/alpine:3`. */
  public readonly imageUri: string;

  /** The prefix of the upstream the image is pulled through. */
  public readonly upstreamPrefix: string;

  private readonly cache: PullThroughCache;

  private constructor(cache: PullThroughCache, reference: string) {
    super();
    const image = cachedImage(cache, cache._upstreams, reference);
    this.cache = cache;
    this.reference = reference;
    this.imageUri = image.uri;
    this.upstreamPrefix = image.upstream.prefix;
  }

  /**
   * Called when the image is used by a container definition: grants the task definition's
   * execution role (created if the task definition has none) the pull through the upstream.
   */
  public bind(_scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    const executionRole = containerDefinition.taskDefinition.obtainExecutionRole();
    this.cache.grantPullFromUpstream(executionRole, this.upstreamPrefix);
    return { imageName: this.imageUri };
  }
}
