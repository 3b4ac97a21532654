import { AspectPriority, Aspects, IResource, Resource, ResourceProps, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { PullThroughCacheImage } from '../images/private/container-image';
import { KubernetesImageRewriteOptions } from '../kubernetes/kubernetes-image-rewrite';
import { api } from './private/diagnostics';
import { grantPullThrough, TagsOnCreate } from './private/grants';
import { prefixPath } from './private/rules';
import { ImageRedirect } from '../images/private/image-redirect';
import { cachedImage } from '../images/private/image-uri';
import { LambdaImageGuard } from '../images/private/lambda-images';
import { kubernetesImageRewrite } from '../kubernetes/private/image-rewrite';
import { ContainerdMirror, ContainerdMirrorOptions } from '../nodes/containerd-mirror';
import { ContainerdNodeScriptOptions } from '../nodes/containerd-node-script';
import { cacheMirrors, cacheNodeScript } from '../nodes/private/node-files';
import { PullMetricOptions } from '../operations/metric-options';
import { cacheMetrics } from '../operations/private/cache-metrics';
import { pullThroughCacheRule } from '../operations/private/events';
import { CacheUpstream } from '../registry/upstream';

/**
 * An ECR pull-through cache, created by this app or defined elsewhere: what pulling through it
 * needs, and the ways to pull. `env.account` and `env.region` are those of the cache's registry.
 */
export interface IPullThroughCache extends IResource {
  /**
   * The domain of the registry that serves the cache, `<account>.dkr.ecr.<region>.<url suffix>`.
   */
  readonly registryDomain: string;

  /**
   * The upstreams of the cache with their prefixes, in the order they were given.
   */
  readonly upstreams: CacheUpstream[];

  /**
   * The ECR repository prefixes of the cache's upstreams, in the order they were given.
   */
  readonly prefixes: string[];

  /**
   * Whether the cache's repository creation templates set resource tags, so grants add `ecr:TagResource`.
   */
  readonly repositoryTemplateHasResourceTags: boolean;

  /**
   * The resource tags of the cache's repository creation templates: grants allow `ecr:TagResource` with exactly these.
   *
   * @default - not known: with `repositoryTemplateHasResourceTags`, any tags
   */
  readonly repositoryTemplateResourceTags?: { [key: string]: string };

  /**
   * Grant what pulling an image through any upstream of the cache needs, the first pull included.
   *
   * @param grantee the principal
   */
  grantPull(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grant what pulling an image through one upstream of the cache needs.
   *
   * @param grantee the principal
   * @param prefix the upstream's prefix
   */
  grantPullFromUpstream(grantee: iam.IGrantable, prefix: string): iam.Grant;

  /**
   * The URI of an image in the cache: what to pull instead of `reference`.
   *
   * @param reference a literal image reference, e.g. `alpine:3`, `ghcr.io/org/app:1.0`
   */
  imageUri(reference: string): string;

  /**
   * An ECS container image pulled through the cache; the task's execution role gets the pull grant.
   *
   * @param reference a literal image reference, e.g. `nginx:1.27`
   */
  containerImage(reference: string): ecs.ContainerImage;

  /**
   * Send the ECS container images of a scope through the cache.
   *
   * @param scope the scope whose task definitions are rewritten, e.g. the stack or the app
   */
  redirectImages(scope: IConstruct): void;

  /**
   * containerd `hosts.toml` files that make nodes try the cache first, one per upstream registry.
   *
   * @param options where containerd reads the files from
   */
  containerdMirrors(options?: ContainerdMirrorOptions): ContainerdMirror[];

  /**
   * A bash script that makes a systemd + containerd node pull through the cache with ECR credentials.
   *
   * @param options where containerd reads the files from, how often the token is refreshed
   */
  containerdNodeScript(options?: ContainerdNodeScriptOptions): string;

  /**
   * Kubernetes manifests that rewrite pods' images at admission to `imageUri()`'s.
   *
   * @param options the engine, upstreams, namespaces left alone, digests
   */
  kubernetesImageRewrite(options?: KubernetesImageRewriteOptions): { [key: string]: any }[];

  /**
   * An EventBridge rule for every pull-through cache action of the cache's prefixes.
   *
   * @param id the construct id of the rule, under the cache
   * @param options the rule's options: target, description, rule name, more event pattern
   */
  onPullThroughCacheAction(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * An EventBridge rule for the failed pull-through cache actions of the cache's prefixes.
   *
   * @param id the construct id of the rule, under the cache
   * @param options the rule's options: target, description, rule name, more event pattern
   */
  onPullFailure(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * Client pulls of the cache's repositories, summed: a metric math `SEARCH`, fit for graphs, not alarms.
   *
   * @param options the upstream's prefix, the period, statistic and label
   */
  metricPulls(options?: PullMetricOptions): cloudwatch.IMetric;

  /**
   * Client pulls of one cached repository (`AWS/ECR` `RepositoryPullCount`): fit for alarms.
   *
   * @param repositoryName a repository under one of the cache's prefixes, e.g. `dockercache/library/alpine`
   * @param props change the statistic, period, label, ...
   */
  metricRepositoryPulls(repositoryName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Upstream syncs, successful or not: the `MatchedEvents` of a rule made by `onPullThroughCacheAction`.
   *
   * @param rule the rule whose matches are counted
   * @param props change the statistic, period, label, ...
   */
  metricSyncs(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Failed upstream syncs: the `MatchedEvents` of a rule made by `onPullFailure`.
   *
   * @param rule the rule whose matches are counted
   * @param props change the statistic, period, label, ...
   */
  metricSyncFailures(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * `BatchGetImage` calls of the whole account in the cache's region (`AWS/Usage` `CallCount`).
   *
   * @param props change the statistic, period, label, ...
   */
  metricBatchGetImageCalls(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * What every pull-through cache does, created (`PullThroughCache`) or imported
 * (`PullThroughCache.fromPullThroughCacheAttributes`): grants, image URIs, ECS images, the image
 * redirect, node mirrors, events and metrics.
 */
export abstract class PullThroughCacheBase extends Resource implements IPullThroughCache {
  /** The domain of the registry that serves the cache, `<account>.dkr.ecr.<region>.<url suffix>`. */
  public abstract readonly registryDomain: string;

  /** The upstreams of the cache with their prefixes, in the order they were given. */
  public abstract readonly upstreams: CacheUpstream[];

  /** Whether the first pull tags the repository it creates, so grants add `ecr:TagResource`. */
  public abstract readonly repositoryTemplateHasResourceTags: boolean;

  /** The resource tags of the cache's repository creation templates, when they are known. */
  public abstract readonly repositoryTemplateResourceTags?: { [key: string]: string };

  constructor(scope: Construct, id: string, props: ResourceProps = {}) {
    super(scope, id, props);
    // Lambda functions of the stack whose image points into the cache get a warning: a function
    // image must stay in ECR, and the cache's lifecycle rules may expire it (see docs/warm-up.md).
    Aspects.of(Stack.of(this)).add(new LambdaImageGuard(this), { priority: AspectPriority.READONLY });
  }

  /** The ECR repository prefixes of the cache's upstreams, in the order they were given. */
  public get prefixes(): string[] {
    return this.upstreams.map(u => u.prefix);
  }

  /**
   * Grant what pulling an image through any upstream of the cache needs, the first pull included.
   *
   * `ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`, `ecr:BatchCheckLayerAvailability`,
   * `ecr:BatchImportUpstreamImage` and `ecr:CreateRepository` on `repository/<prefix>/*`
   * (`repository/*` for a ROOT rule), `ecr:GetAuthorizationToken` on `*`, and `ecr:TagResource`
   * (limited to the templates' tags) when the templates set resource tags.
   *
   * @param grantee the principal
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/images.md
   */
  public grantPull(grantee: iam.IGrantable): iam.Grant {
    return grantPullThrough(this, this.env, grantee, this.prefixes, this.tagsOnCreate());
  }

  /**
   * Grant what pulling an image through one upstream of the cache needs: as `grantPull`, on that
   * upstream's repositories only.
   *
   * @param grantee the principal
   * @param prefix the upstream's prefix
   * @throws a plain `Error` listing the cache's prefixes when no upstream has `prefix`
   */
  public grantPullFromUpstream(grantee: iam.IGrantable, prefix: string): iam.Grant {
    const prefixes = this.prefixes;
    // `quaycache/` and `quaycache` are one prefix to ECR.
    if (!Token.isUnresolved(prefix) && !prefixes.some(p => prefixPath(p) === prefixPath(prefix))) {
      throw new Error(
        `PullThroughCache at '${this.node.path}': ${api('grantPullFromUpstream')}: no upstream has prefix '${prefix}': give one of the cache's prefixes, `
        + `${prefixes.map(p => `'${p}'`).join(', ')}`,
      );
    }
    return grantPullThrough(this, this.env, grantee, [prefix], this.tagsOnCreate());
  }

  /** The tags the first pull puts on a repository: known, unknown (`{}`), or none. */
  private tagsOnCreate(): TagsOnCreate {
    return this.repositoryTemplateHasResourceTags ? (this.repositoryTemplateResourceTags ?? {}) : undefined;
  }

  /**
   * The URI of an image in the cache: what to pull instead of `reference`.
   *
   * `imageUri('alpine:3')` is `<registryDomain>/dockercache/library/alpine:3`. A reference pinned by
   * digest gets the warning `cdk-pull-through-cache:digestFirstPull`: ECR does not fill the cache on
   * a first pull by digest.
   *
   * @param reference a literal image reference, e.g. `alpine:3`, `ghcr.io/org/app:1.0`
   * @throws a plain `Error` when the reference is invalid, a token, or of a registry no upstream serves
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/images.md
   */
  public imageUri(reference: string): string {
    return cachedImage(this, reference).uri;
  }

  /**
   * An ECS container image pulled through the cache, named `imageUri(reference)`; the task
   * definition's execution role (created if missing) gets `grantPullFromUpstream` for its upstream.
   *
   * @param reference a literal image reference, e.g. `nginx:1.27`
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/images.md
   */
  public containerImage(reference: string): ecs.ContainerImage {
    return new PullThroughCacheImage(this, reference);
  }

  /**
   * Send the ECS container images of a scope through the cache.
   *
   * An aspect rewrites every literal image of an upstream's registry in the scope's task
   * definitions to its `imageUri` and grants the execution role the pull. Images it cannot
   * redirect are left alone with a warning.
   *
   * @param scope the scope whose task definitions are rewritten, e.g. the stack or the app
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/images.md
   */
  public redirectImages(scope: IConstruct): void {
    Aspects.of(scope).add(new ImageRedirect(this), { priority: AspectPriority.MUTATING });
  }

  /**
   * containerd `hosts.toml` files that make nodes pull each upstream registry's images through the
   * cache, one file per upstream registry.
   *
   * containerd sends no ECR credentials by itself: use `containerdNodeScript`, or grant the node
   * role `grantPull` and configure authentication yourself.
   *
   * @param options where containerd reads the files from
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/nodes.md
   */
  public containerdMirrors(options?: ContainerdMirrorOptions): ContainerdMirror[] {
    return cacheMirrors(this, options);
  }

  /**
   * A bash script that makes a systemd + containerd node pull through the cache with ECR
   * credentials: run it as root at boot (user data); a systemd timer refreshes the token.
   *
   * The node role needs `grantPull`; the node needs the AWS CLI. In an EKS managed node group,
   * use MIME multi-part user data (`ec2.MultipartUserData`).
   *
   * @param options where containerd reads the files from, how often the token is refreshed
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/nodes.md
   */
  public containerdNodeScript(options?: ContainerdNodeScriptOptions): string {
    return cacheNodeScript(this, options);
  }

  /**
   * Kubernetes manifests (plain objects, for `cluster.addManifest`) that rewrite pods' images at
   * admission to `imageUri()`'s: a Kyverno `MutatingPolicy`, or a `MutatingAdmissionPolicy`.
   *
   * The role that pulls (node role, or Fargate pod execution role) needs `grantPull`.
   *
   * @param options the engine, upstreams, namespaces left alone, digests
   * @throws a plain `Error` naming the option when an upstream, namespace or label is invalid
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/kubernetes.md
   */
  public kubernetesImageRewrite(options?: KubernetesImageRewriteOptions): { [key: string]: any }[] {
    return kubernetesImageRewrite(this, options ?? {});
  }

  /**
   * An EventBridge rule for every pull-through cache action (`ECR Pull Through Cache Action`) of
   * the cache's prefixes, successful or not. Only for a cache of this stack's account and region.
   *
   * @param id the construct id of the rule, under the cache
   * @param options the rule's options: target, description, rule name, more event pattern
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
   */
  public onPullThroughCacheAction(id: string, options?: events.OnEventOptions): events.Rule {
    return pullThroughCacheRule(this, id, 'onPullThroughCacheAction', { prefixes: this.prefixes, failedOnly: false, options, cacheEnvironment: this.env });
  }

  /**
   * An EventBridge rule for the failed pull-through cache actions of the cache's prefixes
   * (`detail.sync-status` other than `SUCCESS`), e.g. an expired upstream token.
   *
   * @param id the construct id of the rule, under the cache
   * @param options the rule's options: target, description, rule name, more event pattern
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
   */
  public onPullFailure(id: string, options?: events.OnEventOptions): events.Rule {
    return pullThroughCacheRule(this, id, 'onPullFailure', { prefixes: this.prefixes, failedOnly: true, options, cacheEnvironment: this.env });
  }

  /**
   * Client pulls of the cache's repositories (`AWS/ECR` `RepositoryPullCount`), summed: every
   * upstream's, or `options.prefix`'s. A metric math `SEARCH`: graphs take it, alarms refuse it
   * (alarm on `metricRepositoryPulls`).
   *
   * @default - `Sum` over 5 minutes
   * @param options the upstream's prefix, the period, statistic and label
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/operations.md
   */
  public metricPulls(options?: PullMetricOptions): cloudwatch.IMetric {
    return cacheMetrics(this).pulls(options);
  }

  /**
   * Client pulls of one cached repository: `AWS/ECR` `RepositoryPullCount`, `Sum` over 5 minutes.
   *
   * @param repositoryName a repository under one of the cache's prefixes, e.g. `dockercache/library/alpine`
   * @param props change the statistic, period, label, ...
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-repository-metrics.html
   */
  public metricRepositoryPulls(repositoryName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cacheMetrics(this).repositoryPulls(repositoryName, props);
  }

  /**
   * Upstream syncs, successful or not: `AWS/Events` `MatchedEvents` of `rule`, `Sum` over 5 minutes.
   *
   * @param rule a rule made by `onPullThroughCacheAction`
   * @param props change the statistic, period, label, ...
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
   */
  public metricSyncs(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cacheMetrics(this).syncs(rule, false, props);
  }

  /**
   * Failed upstream syncs: `AWS/Events` `MatchedEvents` of `rule`, `Sum` over 5 minutes. Alarm with
   * `treatMissingData: TreatMissingData.NOT_BREACHING`.
   *
   * @param rule a rule made by `onPullFailure`
   * @param props change the statistic, period, label, ...
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
   */
  public metricSyncFailures(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cacheMetrics(this).syncs(rule, true, props);
  }

  /**
   * `BatchGetImage` calls of the whole account in the cache's region (`AWS/Usage` `CallCount`),
   * `Sum` over 1 minute; the quota is per second.
   *
   * @param props change the statistic, period, label, ...
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/monitoring-usage.html
   */
  public metricBatchGetImageCalls(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cacheMetrics(this).batchGetImageCalls(props);
  }
}
