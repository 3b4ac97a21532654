import { Annotations, AspectPriority, Aspects, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct, IConstruct } from 'constructs';
import { ContainerdMirror, ContainerdMirrorOptions } from './containerd-mirror';
import { CrossAccountAccess } from './cross-account-access';
import { ImageRedirect } from './image-redirect';
import { containerdMirrors } from './private/containerd';
import { templatePolicyStatements } from './private/cross-account';
import { grantPullThrough } from './private/grants';
import { cachedImage } from './private/image-uri';
import { PlannedUpstream, planCache, prefixProblems } from './private/plan';
import { contributeToRegistry } from './private/registry-contributions';
import { comparePrefixes } from './private/rules';
import { renderTemplate, TemplateRenderer } from './private/template';
import { PullThroughCacheImage } from './pull-through-cache-image';
import { ScanningOptions } from './registry-scanning';
import { RepositoryTemplateOptions, TemplateScope } from './repository-template';
import { UpstreamRegistry } from './upstream-registry';

/**
 * One upstream registry the cache pulls through.
 */
export interface UpstreamDefinition {
  /**
   * The upstream registry, from one of `UpstreamRegistry`'s factories.
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
   * @default - the registry's `defaultPrefix`: `dockercache`, `ghcrcache`, `k8scache`,
   * `quaycache`, `ecrpubliccache`, `gitlabcache`, `azurecache`, `chainguardcache` or `ecrcache`
   * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreatePullThroughCacheRule.html
   */
  readonly prefix?: string;

  /**
   * The Secrets Manager secret with the upstream registry's `username` and `accessToken`.
   *
   * Required by Docker Hub, GitHub, GitLab, Azure and Chainguard; not taken by the others. Its
   * name must start with `ecr-pullthroughcache/`, it must be encrypted with the AWS managed key,
   * and ECR needs its complete ARN (import it with `Secret.fromSecretCompleteArn`, not by name).
   * `PullThroughCacheSecret` creates one in the right shape.
   *
   * @default - no credentials
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html
   */
  readonly credentials?: secretsmanager.ISecret;
}

/**
 * Properties of a `PullThroughCache`.
 */
export interface PullThroughCacheProps {
  /**
   * The upstream registries to cache: 1 to 50 (ECR's quota of rules per registry), each with a
   * distinct prefix.
   */
  readonly upstreams: UpstreamDefinition[];

  /**
   * Settings of the repositories ECR creates on the first pull through the cache.
   *
   * @default - one template per upstream prefix: mutable tags, AES-256 encryption
   */
  readonly repositoryTemplate?: RepositoryTemplateOptions;

  /**
   * Other accounts, or an AWS Organization, that may pull through the cache: adds statements to
   * the stack's `RegistryPolicy` and to the repository policy of the creation templates.
   *
   * @default - only principals of the cache's own account may pull
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html
   */
  readonly crossAccountAccess?: CrossAccountAccess;

  /**
   * Scan the cached repositories (`<prefix>/*`) for vulnerabilities: adds the prefixes' filters
   * to the stack's `RegistryScanning`.
   *
   * @default - the registry's scanning configuration is not managed by this cache
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
   */
  readonly scanning?: ScanningOptions;
}

/**
 * An ECR pull-through cache: what other constructs need to pull through it.
 */
export interface IPullThroughCache extends IConstruct {
  /**
   * The ECR repository prefixes of the cache's upstreams, in the order they were given.
   */
  readonly prefixes: string[];

  /**
   * The domain of the registry that serves the cache, `<account>.dkr.ecr.<region>.<url suffix>`.
   */
  readonly registryDomain: string;

  /**
   * Grant what pulling an image through any upstream of the cache needs, including the first
   * pull, which creates the repository.
   */
  grantPull(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grant what pulling an image through one upstream of the cache needs.
   *
   * @param grantee the principal
   * @param prefix the upstream's prefix
   */
  grantPullFromUpstream(grantee: iam.IGrantable, prefix: string): iam.Grant;
}

/**
 * Attributes of a pull-through cache defined elsewhere (another stack or another app).
 */
export interface PullThroughCacheAttributes {
  /**
   * The ECR repository prefixes of the cache's upstreams.
   */
  readonly prefixes: string[];

  /**
   * Whether the cache's repository creation templates set resource tags: the first pull then
   * tags the repository it creates, so grants add `ecr:TagResource`.
   *
   * @default false
   */
  readonly repositoryTemplateHasResourceTags?: boolean;
}

/**
 * An Amazon ECR pull-through cache for one or more upstream registries.
 *
 * Creates one pull-through cache rule per upstream and repository creation templates for the
 * repositories the cache creates. Images are then pulled as
 * `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<image>`.
 *
 * @example
 * import * as iam from 'aws-cdk-lib/aws-iam';
 * import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * declare const dockerSecret: secretsmanager.ISecret;
 * declare const ghcrSecret: secretsmanager.ISecret;
 * declare const taskRole: iam.IRole;
 *
 * const cache = new ptc.PullThroughCache(this, 'Cache', {
 *   upstreams: [
 *     { registry: ptc.UpstreamRegistry.dockerHub(), prefix: 'dockercache', credentials: dockerSecret },
 *     { registry: ptc.UpstreamRegistry.githubContainerRegistry(), prefix: 'ghcrcache', credentials: ghcrSecret },
 *     { registry: ptc.UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
 *     { registry: ptc.UpstreamRegistry.quay(), prefix: 'quaycache' },
 *   ],
 *   repositoryTemplate: { scope: ptc.TemplateScope.ANY_PREFIX },
 * });
 * cache.grantPull(taskRole);
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
 */
export class PullThroughCache extends Construct implements IPullThroughCache {
  /**
   * Refer to a pull-through cache defined elsewhere in the same account and region, to grant pulls.
   */
  public static fromPullThroughCacheAttributes(
    scope: Construct, id: string, attrs: PullThroughCacheAttributes,
  ): IPullThroughCache {
    const prefixes: string[] = Array.isArray(attrs?.prefixes) ? attrs.prefixes : [];
    const problems = prefixes.length === 0
      ? ['prefixes: the list is empty; give the prefixes of the cache\'s upstreams']
      : prefixes.flatMap(prefix => prefixProblems(prefix).map(p => `prefixes: ${p}`));
    if (problems.length > 0) {
      throw new Error(`PullThroughCache.fromPullThroughCacheAttributes at '${scope.node.path}/${id}' is invalid:\n${problems.map(p => `  - ${p}`).join('\n')}`);
    }
    return new ImportedPullThroughCache(scope, id, prefixes, attrs.repositoryTemplateHasResourceTags ?? false);
  }

  public readonly prefixes: string[];
  public readonly registryDomain: string;

  /** The pull-through cache rules, in the order the upstreams were given. */
  public readonly rules: ecr.CfnPullThroughCacheRule[];

  /** The repository creation templates: one per upstream, or the single `ROOT` template. */
  public readonly templates: ecr.CfnRepositoryCreationTemplate[];

  /**
   * The role ECR assumes to apply the templates (`CustomRoleArn`), when resource tags or a
   * customer-managed KMS key need one.
   */
  public readonly templateRole?: iam.IRole;

  /**
   * The upstreams with their prefixes, in the order given: what image references are mapped with.
   * @internal
   */
  public readonly _upstreams: PlannedUpstream[];

  /** Whether the first pull tags the new repository (the templates have resource tags). */
  private readonly tagsOnCreate: boolean;

  constructor(scope: Construct, id: string, props: PullThroughCacheProps) {
    super(scope, id);
    // Everything is validated before the first resource exists: a bad input leaves nothing behind.
    const plan = planCache(this, props);
    for (const warning of plan.warnings) {
      Annotations.of(this).addWarningV2(`cdk-pull-through-cache:${warning.id}`, warning.message);
    }
    // The registry policy and scanning configuration are per-stack singletons shared with others.
    contributeToRegistry(this, plan.upstreams.map(u => u.prefix), props);

    const stack = Stack.of(this);
    this.prefixes = plan.upstreams.map(u => u.prefix);
    this._upstreams = plan.upstreams;
    this.registryDomain = registryDomain(stack);

    const templateOptions = props.repositoryTemplate ?? {};
    const renderer = new TemplateRenderer(this, templateOptions, plan.templatePrefixes, templatePolicyStatements(props.crossAccountAccess));
    this.templateRole = renderer.role;
    this.tagsOnCreate = Object.keys(templateOptions.resourceTags ?? {}).length > 0;

    const rootTemplate = templateOptions.scope === TemplateScope.ANY_PREFIX
      ? renderTemplate(this, 'RootTemplate', renderer, plan.templatePrefixes[0])
      : undefined;

    const rules = new Map<PlannedUpstream, ecr.CfnPullThroughCacheRule>();
    const templates = new Map<PlannedUpstream, ecr.CfnRepositoryCreationTemplate>();
    // Logical IDs derive from the prefix, never from the position in the list; the resources are
    // also created in prefix order, so reordering the upstreams does not change the template.
    const sorted = [...plan.upstreams].sort((a, b) => comparePrefixes(a.prefix, b.prefix));
    for (const upstream of sorted) {
      const upstreamScope = new Construct(this, upstream.constructId);
      const template = rootTemplate ?? renderTemplate(upstreamScope, 'Template', renderer, upstream.prefix);
      templates.set(upstream, template);
      const rule = new ecr.CfnPullThroughCacheRule(upstreamScope, 'Rule', {
        ecrRepositoryPrefix: upstream.prefix,
        upstreamRegistryUrl: upstream.registry.url,
        upstreamRegistry: upstream.registry.registryType,
        credentialArn: upstream.credentials?.secretFullArn,
        customRoleArn: upstream.registry.role?.roleArn,
        upstreamRepositoryPrefix: upstream.registry.upstreamRepositoryPrefix,
      });
      // The template must exist before the first pull creates a repository. Both are L1s of this
      // stack: a CloudFormation-level DependsOn, cheaper to synthesize than a construct dependency.
      rule.addDependency(template);
      // The CredentialArn reference orders the rule after its secret. ECR checks the upstream
      // role's permissions when the rule is created: depend on the role construct, which covers
      // the policies added to it after the cache too.
      if (upstream.registry.role) {
        rule.node.addDependency(upstream.registry.role);
      }
      rules.set(upstream, rule);
    }
    this.rules = plan.upstreams.map(u => rules.get(u)!);
    this.templates = rootTemplate ? [rootTemplate] : plan.upstreams.map(u => templates.get(u)!);
  }

  public grantPull(grantee: iam.IGrantable): iam.Grant {
    return grantPullThrough(this, grantee, this.prefixes, this.tagsOnCreate);
  }

  public grantPullFromUpstream(grantee: iam.IGrantable, prefix: string): iam.Grant {
    checkKnownPrefix(this, this.prefixes, prefix);
    return grantPullThrough(this, grantee, [prefix], this.tagsOnCreate);
  }

  /**
   * The URI of an image in the cache: what to pull instead of `reference`.
   *
   * The reference is parsed like Docker does (`alpine:3` is `docker.io/library/alpine:3`) and
   * pulled through the upstream that serves its registry (the first one, when several do):
   * `imageUri('alpine:3')` is `<account>.dkr.ecr.<region>.amazonaws.com/dockercache/library/alpine:3`.
   * Tags and digests are kept. The domain is a literal in a stack with an account and a region
   * (`amazonaws.com.cn` in the China regions), and tokens in an environment-agnostic stack.
   *
   * @param reference a literal image reference, e.g. `alpine:3`, `ghcr.io/org/app:1.0`,
   * `registry.k8s.io/pause@sha256:...`
   * @throws a plain `Error` naming the reference and listing the cache's upstreams when the
   * reference is invalid, a token, or of a registry no upstream serves
   */
  public imageUri(reference: string): string {
    return cachedImage(this, this._upstreams, reference).uri;
  }

  /**
   * An ECS container image pulled through the cache: its name is `imageUri(reference)`, and the
   * task definition's execution role is granted the pull through the reference's upstream.
   *
   * The reference is checked now, as `imageUri` does.
   *
   * @param reference a literal image reference, e.g. `nginx:1.27`
   */
  public containerImage(reference: string): ecs.ContainerImage {
    return PullThroughCacheImage.fromCache(this, reference);
  }

  /**
   * Send the ECS container images of a scope through the cache: adds an `ImageRedirect` aspect
   * (priority `AspectPriority.MUTATING`) to the scope.
   *
   * @param scope the scope whose task definitions are rewritten, e.g. the stack or the app
   * @returns the aspect
   */
  public redirectImages(scope: IConstruct): ImageRedirect {
    const aspect = new ImageRedirect(this);
    Aspects.of(scope).add(aspect, { priority: AspectPriority.MUTATING });
    return aspect;
  }

  /**
   * containerd registry-host configuration (`hosts.toml`) that makes nodes pull the images of
   * each upstream registry through the cache, one file per upstream registry.
   *
   * containerd does not send ECR credentials to a mirror by itself, so the node must be set up
   * to authenticate to the cache: see the README's "Node-level mirrors (containerd)" section.
   * The node role needs `grantPull`. An ECR upstream limited to an upstream repository prefix has
   * no mirror (containerd cannot rewrite its paths), and of two upstreams of the same registry only
   * the first has one; both are reported as a warning `cdk-pull-through-cache:mirrorSkipped`.
   *
   * @param options where containerd reads the files from
   */
  public containerdMirrors(options?: ContainerdMirrorOptions): ContainerdMirror[] {
    const mirrors: ContainerdMirror[] = [];
    for (const result of containerdMirrors(this, this._upstreams, options)) {
      if (result.kind === 'mirror') {
        mirrors.push(result.mirror);
      } else {
        Annotations.of(this).addWarningV2('cdk-pull-through-cache:mirrorSkipped', result.reason);
      }
    }
    return mirrors;
  }
}

/** The cache's registry domain: literal when the stack's account and region are known. */
function registryDomain(stack: Stack): string {
  const region = stack.region;
  const suffix = Token.isUnresolved(region) ? stack.urlSuffix : (RegionInfo.get(region).domainSuffix ?? stack.urlSuffix);
  return `${stack.account}.dkr.ecr.${region}.${suffix}`;
}

function checkKnownPrefix(cache: IPullThroughCache, prefixes: string[], prefix: string) {
  if (!Token.isUnresolved(prefix) && !prefixes.includes(prefix)) {
    throw new Error(
      `PullThroughCache at '${cache.node.path}': no upstream has prefix '${prefix}'; the prefixes are ${prefixes.map(p => `'${p}'`).join(', ')}`,
    );
  }
}

class ImportedPullThroughCache extends Construct implements IPullThroughCache {
  public readonly registryDomain: string;

  constructor(scope: Construct, id: string, public readonly prefixes: string[], private readonly tagsOnCreate: boolean) {
    super(scope, id);
    const stack = Stack.of(this);
    this.registryDomain = registryDomain(stack);
  }

  public grantPull(grantee: iam.IGrantable): iam.Grant {
    return grantPullThrough(this, grantee, this.prefixes, this.tagsOnCreate);
  }

  public grantPullFromUpstream(grantee: iam.IGrantable, prefix: string): iam.Grant {
    checkKnownPrefix(this, this.prefixes, prefix);
    return grantPullThrough(this, grantee, [prefix], this.tagsOnCreate);
  }
}
