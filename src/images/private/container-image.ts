import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { cachedImage, ImageCache } from './image-uri';

/** What an image pulled through a cache needs of the cache: a part of `IPullThroughCache`. */
export interface GrantingCache extends ImageCache {
  grantPullFromUpstream(grantee: iam.IGrantable, prefix: string): iam.Grant;
}

/**
 * An ECS container image pulled through a cache: `cache.containerImage()` returns it as an
 * `ecs.ContainerImage`. Not exported: a public subclass of `ecs.ContainerImage` would answer
 * `fromRegistry()` and the other static factories, whose images do not go through the cache.
 */
export class PullThroughCacheImage extends ecs.ContainerImage {
  private readonly uri: string;
  private readonly prefix: string;

  /** Checks the reference now: a literal that an upstream of the cache serves. */
  constructor(private readonly cache: GrantingCache, reference: string) {
    super();
    const image = cachedImage(cache, reference);
    this.uri = image.uri;
    this.prefix = image.upstream.prefix;
  }

  /**
   * Grants the task definition's execution role (created if the task definition has none) the
   * pull through the reference's upstream.
   */
  public bind(_scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    this.cache.grantPullFromUpstream(containerDefinition.taskDefinition.obtainExecutionRole(), this.prefix);
    return { imageName: this.uri };
  }
}
