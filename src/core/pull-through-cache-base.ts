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
 * needs, and the ways to pull.
 *
 * `env.account` and `env.region` are the account and region of the cache's registry.
 */
export interface IPullThroughCache extends IResource {
  /**
   * The domain of the registry that serves the cache, `<account>.dkr.ecr.<region>.<url suffix>`:
   * a literal when the account and region are known (`amazonaws.com.cn` in the China regions),
   * tokens otherwise.
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
   * Whether the cache's repository creation templates set resource tags: the first pull then
   * tags the repository it creates, so the grants add `ecr:TagResource`.
   */
  readonly repositoryTemplateHasResourceTags: boolean;

  /**
   * The resource tags of the cache's repository creation templates, when they are known: the
   * grants then allow `ecr:TagResource` only with exactly these tags (keys and values).
   *
   * @default - not known: with `repositoryTemplateHasResourceTags`, the grants allow
   * `ecr:TagResource` with any tags
   */
  readonly repositoryTemplateResourceTags?: { [key: string]: string };

  /**
   * Grant what pulling an image through any upstream of the cache needs, the first pull
   * included (which creates the repository).
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
   * An ECS container image pulled through the cache, whose task definition's execution role is
   * granted the pull through the reference's upstream.
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
   * containerd registry-host configuration (`hosts.toml`) that makes nodes try the cache first
   * for each upstream registry, one file per upstream registry.
   *
   * @param options where containerd reads the files from
   */
  containerdMirrors(options?: ContainerdMirrorOptions): ContainerdMirror[];

  /**
   * A bash script that makes a systemd + containerd node pull through the cache with ECR
   * credentials, refreshed by a systemd timer.
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
   * Client pulls of the cache's repositories (`AWS/ECR` `RepositoryPullCount`), summed: of every
   * upstream, or of `options.prefix`'s. A metric math `SEARCH`: fit for graphs; alarms refuse it.
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
 * What every pull-through cache does, whether this app creates it (`PullThroughCache`) or imports
 * it (`PullThroughCache.fromPullThroughCacheAttributes`): grants, image URIs, ECS images, the
 * image redirect and containerd mirrors, for the cache's account and region.
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
    // image must stay in ECR, and the cache's lifecycle rules may expire it (see the README).
    Aspects.of(Stack.of(this)).add(new LambdaImageGuard(this), { priority: AspectPriority.READONLY });
  }

  /** The ECR repository prefixes of the cache's upstreams, in the order they were given. */
  public get prefixes(): string[] {
    return this.upstreams.map(u => u.prefix);
  }

  /**
   * Grant what pulling an image through any upstream of the cache needs, the first pull
   * included: `ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`,
   * `ecr:BatchCheckLayerAvailability`, `ecr:BatchImportUpstreamImage` and `ecr:CreateRepository`
   * (plus `ecr:TagResource` when the templates set resource tags, only with exactly those tags
   * when `repositoryTemplateResourceTags` is known and its keys are not tokens; otherwise with
   * any tags, warning `cdk-pull-through-cache:tagResourceUnconditioned`) on `repository/<prefix>/*` of the cache's
   * registry (`repository/*` for a ROOT rule), and `ecr:GetAuthorizationToken` on `*`.
   *
   * @param grantee the principal
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
   * The reference is parsed like Docker does (`alpine:3` is `docker.io/library/alpine:3`) and
   * pulled through the upstream that serves its registry (the first one, when several do):
   * `imageUri('alpine:3')` is `<account>.dkr.ecr.<region>.amazonaws.com/dockercache/library/alpine:3`,
   * and through a ROOT rule of an ECR upstream, `imageUri('<upstream registry>/app:1')` is
   * `<cache registry>/app:1`. Tags and digests are kept; a reference pinned by digest gets the
   * warning `cdk-pull-through-cache:digestFirstPull` (ECR does not fill the cache on a first pull
   * by digest).
   *
   * @param reference a literal image reference, e.g. `alpine:3`, `ghcr.io/org/app:1.0`,
   * `registry.k8s.io/pause@sha256:...`
   * @throws a plain `Error` naming the reference and listing the cache's upstreams when the
   * reference is invalid, a token, or of a registry no upstream serves
   */
  public imageUri(reference: string): string {
    return cachedImage(this, reference).uri;
  }

  /**
   * An ECS container image pulled through the cache: its name is `imageUri(reference)`, and the
   * task definition's execution role (created if it has none) is granted the pull through the
   * reference's upstream only, as `grantPullFromUpstream` does.
   *
   * The reference is checked now, as `imageUri` does.
   *
   * @param reference a literal image reference, e.g. `nginx:1.27`
   */
  public containerImage(reference: string): ecs.ContainerImage {
    return new PullThroughCacheImage(this, reference);
  }

  /**
   * Send the ECS container images of a scope through the cache: adds an aspect (priority
   * `AspectPriority.MUTATING`) that visits every ECS task definition in the scope, the L2
   * `ecs.TaskDefinition` and the plain `ecs.CfnTaskDefinition` whose `containerDefinitions` is a
   * literal list. Every literal image reference that an upstream of the cache serves is rewritten
   * to its URI in the cache (an override of `ContainerDefinitions.<i>.Image`), and the task's
   * execution role is granted the pull through that upstream (an L2 task definition without one
   * gets one).
   *
   * Left untouched:
   * - images that are tokens (`ContainerImage.fromAsset`, `fromEcrRepository`, parameters), and
   *   images already in a private ECR registry, silently;
   * - literal images of a registry the cache does not serve, with the warning
   *   `cdk-pull-through-cache:imageNotCached`;
   * - images pinned by digest, containers with `repositoryCredentials`, and L1 task definitions
   *   without an execution role, with the warning `cdk-pull-through-cache:imageNotRedirected`;
   * - everything that is not an ECS task definition: Lambda functions, Batch, App Runner,
   *   CodeBuild, Kubernetes manifests and Helm values.
   *
   * An execution role the aspect cannot grant (an L1 task definition's literal `executionRoleArn`,
   * an immutable imported role) gets the warning `cdk-pull-through-cache:executionRoleNotGranted`.
   *
   * @param scope the scope whose task definitions are rewritten, e.g. the stack or the app
   */
  public redirectImages(scope: IConstruct): void {
    Aspects.of(scope).add(new ImageRedirect(this), { priority: AspectPriority.MUTATING });
  }

  /**
   * containerd registry-host configuration (`hosts.toml`) that makes nodes pull the images of
   * each upstream registry through the cache, one file per upstream registry.
   *
   * containerd does not send ECR credentials to a mirror by itself, so the node must be set up
   * to authenticate to the cache: `containerdNodeScript` does (see the README's "Kubernetes and EC2
   * nodes" section).
   * The node role needs `grantPull`. An ECR upstream limited to an upstream repository prefix has
   * no mirror (containerd cannot rewrite its paths), and of two upstreams of the same registry only
   * the first has one; both are reported as a warning `cdk-pull-through-cache:mirrorSkipped`.
   *
   * @param options where containerd reads the files from
   */
  public containerdMirrors(options?: ContainerdMirrorOptions): ContainerdMirror[] {
    return cacheMirrors(this, options);
  }

  /**
   * A bash script that makes a systemd + containerd node (EKS Amazon Linux 2023 first) pull
   * through the cache with ECR credentials: run as root at boot (user data), it installs a program
   * that fetches an ECR authorization token with the instance role, from the cache's region and
   * registry (so a node of another account pulls through a central cache), and writes
   * `containerdMirrors()`' `hosts.toml` files with the token in the cache host's `Authorization`
   * header; a systemd service that runs it at boot before containerd and kubelet (and again every
   * 5 minutes after a failure, until it succeeds, on systemd 244 or newer), and a timer that runs
   * it every `refreshInterval`; then it runs the program once.
   *
   * The token never leaves the node: it is fetched at run time, written only into the `hosts.toml`
   * files (root only) and sent only to the cache, never to the upstream registry containerd falls
   * back to. The node role needs `grantPull`; the node needs the AWS CLI. Safe to run twice; each
   * cache has its own program and units, so several caches' scripts can share a node. A value that
   * is a token is checked on the node before any use. In an EKS managed node group's launch
   * template, put it in MIME multi-part user data (`ec2.MultipartUserData`): EKS refuses anything
   * else, and the app gets the warning `cdk-pull-through-cache:nodeScriptUserDataNotMime`. See the
   * README's "Kubernetes and EC2 nodes" section.
   *
   * @param options where containerd reads the files from, how often the token is refreshed
   */
  public containerdNodeScript(options?: ContainerdNodeScriptOptions): string {
    return cacheNodeScript(this, options);
  }

  /**
   * Kubernetes manifests (plain objects, for `cluster.addManifest` or `kubectl apply`) that
   * rewrite, at pod admission, every image of the upstreams' registries to exactly what
   * `imageUri()` gives: of containers and init containers when a pod is created, of ephemeral
   * containers when they are added. Other registries, invalid references, digest pins (unless
   * `rewriteDigests`) and images already in the cache are left byte for byte.
   *
   * A Kyverno `MutatingPolicy` (Kyverno 1.18 or later), or a `MutatingAdmissionPolicy` and its
   * binding (`admissionregistration.k8s.io/v1`: Kubernetes 1.36 or later, EKS included).
   *
   * The role that pulls needs `grantPull`, first pulls included (`ecr:BatchImportUpstreamImage`,
   * `ecr:CreateRepository`): the node role on Auto Mode and EC2 nodes, the pod execution role on
   * Fargate. They pull with the kubelet's ECR credential provider, which EKS nodes, Auto Mode and
   * Fargate ship; other clusters need that plugin (`ecr-credential-provider`) configured. See the
   * README's "Kubernetes without node access" section.
   *
   * @param options the engine, upstreams, namespaces left alone, digests
   * @throws a plain `Error` naming the option when an upstream, namespace or label is invalid
   */
  public kubernetesImageRewrite(options?: KubernetesImageRewriteOptions): { [key: string]: any }[] {
    return kubernetesImageRewrite(this, options ?? {});
  }

  /**
   * An EventBridge rule for every pull-through cache action of the cache's prefixes, successful or
   * not: ECR sends an `ECR Pull Through Cache Action` event (source `aws.ecr`) for each attempt to
   * cache an image, and the rule matches those whose `detail.ecr-repository-prefix` is one of the
   * cache's.
   *
   * Like `ecr.Repository.onImageScanCompleted`: `options.eventPattern` is merged into the
   * pattern, `options.target` is added. The rule is created under the cache, on the default event
   * bus of its stack's account and region; ECR sends the events to the cache's own account and
   * region, so for a cache imported from another account or region this is an error.
   *
   * @param id the construct id of the rule, under the cache
   * @param options the rule's options: target, description, rule name, more event pattern
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
   */
  public onPullThroughCacheAction(id: string, options?: events.OnEventOptions): events.Rule {
    return pullThroughCacheRule(this, id, 'onPullThroughCacheAction', { prefixes: this.prefixes, failedOnly: false, options, cacheEnvironment: this.env });
  }

  /**
   * An EventBridge rule for the failed pull-through cache actions of the cache's prefixes: an
   * expired upstream token, an upstream that is down, a secret without its `username` or
   * `accessToken`.
   *
   * The rule matches the cache's `ECR Pull Through Cache Action` events whose
   * `detail.sync-status` is anything but `SUCCESS` (the only value the ECR user guide documents);
   * `detail.failure-code` and `detail.failure-reason` say what went wrong. Options as
   * `onPullThroughCacheAction`.
   *
   * @param id the construct id of the rule, under the cache
   * @param options the rule's options: target, description, rule name, more event pattern
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
   */
  public onPullFailure(id: string, options?: events.OnEventOptions): events.Rule {
    return pullThroughCacheRule(this, id, 'onPullFailure', { prefixes: this.prefixes, failedOnly: true, options, cacheEnvironment: this.env });
  }

  /**
   * Client pulls of the cache's repositories, summed into one time series: every upstream's, or
   * `options.prefix`'s. `Sum` over 5 minutes.
   *
   * A metric math `SUM(SEARCH(...))` over `AWS/ECR` `RepositoryPullCount` of the repositories whose
   * name holds the prefix's words: graphs take it, CloudWatch alarms refuse `SEARCH` (alarm on
   * `metricRepositoryPulls`). ECR publishes no data point for a repository nobody pulls. The
   * statistic applies per repository, before the sum; with a prefix, the other prefixes its
   * search would also match (ROOT's, `docker-hub` for `docker`) are left out.
   *
   * @param options the upstream's prefix, the period, statistic and label
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-repository-metrics.html
   */
  public metricPulls(options?: PullMetricOptions): cloudwatch.IMetric {
    return cacheMetrics(this).pulls(options);
  }

  /**
   * Client pulls of one cached repository: `AWS/ECR` `RepositoryPullCount` by `RepositoryName`,
   * `Sum` over 5 minutes.
   *
   * @param repositoryName a repository under one of the cache's prefixes, e.g. `dockercache/library/alpine`
   * @param props change the statistic, period, label, ...
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-repository-metrics.html
   */
  public metricRepositoryPulls(repositoryName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cacheMetrics(this).repositoryPulls(repositoryName, props);
  }

  /**
   * Upstream syncs (ECR caching an image), successful or not: `AWS/Events` `MatchedEvents` of
   * `rule`, `Sum` over 5 minutes. Creates nothing; EventBridge publishes no data point while
   * nothing matches.
   *
   * @param rule a rule made by `onPullThroughCacheAction`
   * @param props change the statistic, period, label, ...
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
   */
  public metricSyncs(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cacheMetrics(this).syncs(rule, false, props);
  }

  /**
   * Failed upstream syncs: `AWS/Events` `MatchedEvents` of `rule`, `Sum` over 5 minutes. Creates
   * nothing; alarm with `treatMissingData: TreatMissingData.NOT_BREACHING`.
   *
   * @param rule a rule made by `onPullFailure`
   * @param props change the statistic, period, label, ...
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
   */
  public metricSyncFailures(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cacheMetrics(this).syncs(rule, true, props);
  }

  /**
   * `BatchGetImage` calls (one per image pull) of the whole account in the cache's region, every
   * repository included: `AWS/Usage` `CallCount`, `Sum` over 1 minute. The quota is per second.
   *
   * @param props change the statistic, period, label, ...
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/monitoring-usage.html
   */
  public metricBatchGetImageCalls(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cacheMetrics(this).batchGetImageCalls(props);
  }
}
