import { CfnResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct, IConstruct } from 'constructs';
import { CrossAccountAccess } from './cross-account-access';
import { ImageReference } from './image-reference';
import { templatePolicyStatements } from './private/cross-account';
import { api, fieldProblem, throwIfInvalid, warn } from './private/diagnostics';
import { grantPullThrough, rootRuleTagResourceWarning, tagResourceUnconditionedWarning, tagsCanCondition } from './private/grants';
import { lambdaPullStatement, markLambdaReadable } from './private/lambda-images';
import { lookupRules } from './private/lookup';
import { CacheLocation, PlannedUpstream, planCache, planUpstreams, UpstreamsPlan } from './private/plan';
import { othersInSameRegistry, recordInApp, sharedRegistry } from './private/registry';
import { contributeToRegistry } from './private/registry-contributions';
import { ACCOUNT_ID_PATTERN, comparePrefixes, REGION_PATTERN, ROOT_PREFIX } from './private/rules';
import { renderTemplate, TemplateRenderer } from './private/template';
import { CacheUpstream, IPullThroughCache, PullThroughCacheBase } from './pull-through-cache-base';
import { ScanningOptions } from './registry-scanning';
import { RepositoryTemplateOptions, TemplateScope } from './repository-template';
import { UpstreamRegistry } from './upstream-registry';

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
 * Attributes of a pull-through cache defined elsewhere: another stack, another app, another
 * account or region.
 */
export interface PullThroughCacheAttributes {
  /**
   * The account of the cache's registry.
   *
   * @default - the account of the stack the cache is imported into
   */
  readonly account?: string;

  /**
   * The region of the cache's registry; the domain suffix and the ARNs' partition follow from it.
   *
   * @default - the region of the stack the cache is imported into
   */
  readonly region?: string;

  /**
   * The cache's upstreams as it was given them: each registry, with its prefix when not the default.
   */
  readonly upstreams: UpstreamAttributes[];

  /**
   * Whether the cache's repository creation templates set resource tags, so grants add `ecr:TagResource`.
   *
   * @default false
   */
  readonly repositoryTemplateHasResourceTags?: boolean;

  /**
   * The cache's `repositoryTemplate.resourceTags`: grants then allow `ecr:TagResource` with exactly
   * these tags. Implies `repositoryTemplateHasResourceTags`.
   *
   * @default - not known: with `repositoryTemplateHasResourceTags`, the grants allow any tags
   * (warning `cdk-pull-through-cache:tagResourceUnconditioned`)
   */
  readonly repositoryTemplateResourceTags?: { [key: string]: string };
}

/**
 * Where to look up a pull-through cache defined elsewhere, and what a lookup cannot find.
 */
export interface PullThroughCacheLookupOptions {
  /**
   * The account of the cache's registry. Across accounts, the stack's lookup role must be of this account.
   *
   * @default - the account of the stack the cache is imported into
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/multi-account.md
   */
  readonly account?: string;

  /**
   * The region of the cache's registry.
   *
   * @default - the region of the stack the cache is imported into
   */
  readonly region?: string;

  /**
   * Whether the cache's repository creation templates set resource tags, as in
   * `PullThroughCacheAttributes`: the lookup reads the rules, not the templates.
   *
   * @default false
   */
  readonly repositoryTemplateHasResourceTags?: boolean;

  /**
   * The resource tags of the cache's repository creation templates, as in
   * `PullThroughCacheAttributes`. Implies `repositoryTemplateHasResourceTags`.
   *
   * @default - not known
   */
  readonly repositoryTemplateResourceTags?: { [key: string]: string };
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
 * declare const ciRole: iam.IRole; // a role that pulls images itself; ECS pulls with the execution role (containerImage)
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
 * cache.grantPull(ciRole);
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
 */
export class PullThroughCache extends PullThroughCacheBase {
  /**
   * Refer to a pull-through cache defined elsewhere, in this account and region or another.
   *
   * Across accounts, the cache's owner must let this account pull (`crossAccountAccess`).
   *
   * @param scope the scope of the imported cache
   * @param id its construct id
   * @param attrs the cache's account, region and upstreams
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/multi-account.md
   */
  public static fromPullThroughCacheAttributes(
    scope: Construct, id: string, attrs: PullThroughCacheAttributes,
  ): IPullThroughCache {
    // Validated before the construct exists: a bad import leaves nothing in the tree.
    const stack = Stack.of(scope);
    const location = { account: attrs.account ?? stack.account, region: attrs.region ?? stack.region };
    const problems: string[] = [];
    if (!Token.isUnresolved(location.account) && !ACCOUNT_ID_PATTERN.test(location.account)) {
      problems.push(`account: '${location.account}' is not a 12-digit AWS account ID: give the account of the cache's registry`);
    }
    if (!Token.isUnresolved(location.region) && !REGION_PATTERN.test(location.region)) {
      problems.push(`region: '${location.region}' is not an AWS region name: give the cache's region, such as 'eu-west-1'`);
    }
    const stackRegion = stack.region;
    if (!Token.isUnresolved(location.region) && !Token.isUnresolved(stackRegion) && REGION_PATTERN.test(location.region)
      && RegionInfo.get(location.region).partition !== RegionInfo.get(stackRegion).partition) {
      problems.push(`region: '${location.region}' is in partition ${RegionInfo.get(location.region).partition}, this stack's region '${stackRegion}' in `
        + `${RegionInfo.get(stackRegion).partition}; IAM principals cannot be granted across partitions: use a cache in the stack's partition`);
    }
    const tags = attrs.repositoryTemplateResourceTags;
    const tagsKnown = tags !== undefined && Object.keys(tags).length > 0;
    if (attrs.repositoryTemplateHasResourceTags === false && tagsKnown) {
      problems.push(fieldProblem('repositoryTemplateHasResourceTags', `false, but ${api('repositoryTemplateResourceTags')} gives ${Object.keys(tags).length} tag(s); `
        + `templates with tags make the first pull tag the repository: drop ${api('repositoryTemplateHasResourceTags')} or set it to true`));
    }
    const plan = planUpstreams(scope, location, attrs.upstreams, false);
    throwIfInvalid(`${api('PullThroughCache.fromPullThroughCacheAttributes')} at '${scope.node.path}/${id}'`, [...problems, ...plan.problems]);
    return new ImportedPullThroughCache(scope, id, location, plan,
      attrs.repositoryTemplateHasResourceTags ?? tagsKnown, tagsKnown ? { ...tags } : undefined);
  }

  /**
   * Find a pull-through cache of this account or another at synth time, as
   * `ecr.Repository.fromLookup` does; the answer is kept in `cdk.context.json`. The stack needs a
   * literal account and region.
   *
   * @param scope the scope of the imported cache
   * @param id its construct id
   * @param options the cache's account and region
   * @throws a plain `Error` when the registry has no pull-through cache rule
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/multi-account.md
   */
  public static fromLookup(scope: Construct, id: string, options: PullThroughCacheLookupOptions = {}): IPullThroughCache {
    const found = lookupRules(scope, `${scope.node.path}/${id}`, options.account, options.region);
    const cache = PullThroughCache.fromPullThroughCacheAttributes(scope, id, {
      account: found.account,
      region: found.region,
      upstreams: found.upstreams,
      repositoryTemplateHasResourceTags: options.repositoryTemplateHasResourceTags,
      repositoryTemplateResourceTags: options.repositoryTemplateResourceTags,
    }) as ImportedPullThroughCache;
    if (found.pending) {
      cache._lookupPending = true;
    }
    for (const warning of found.warnings) {
      warn(cache, warning.id, warning.message);
    }
    return cache;
  }

  /**
   * The domain of the registry that serves the cache, `<account>.dkr.ecr.<region>.<url suffix>`:
   * literal in a stack with an account and a region, tokens otherwise.
   */
  public readonly registryDomain: string;

  /** The upstreams with their prefixes (defaults filled in), in the order they were given. */
  public readonly upstreams: CacheUpstream[];

  /** Whether `repositoryTemplate.resourceTags` is set: the first pull then tags the repository. */
  public readonly repositoryTemplateHasResourceTags: boolean;

  /** `repositoryTemplate.resourceTags`, when set: the only tags the grants let a puller put. */
  public readonly repositoryTemplateResourceTags?: { [key: string]: string };

  /** The pull-through cache rules, in the order the upstreams were given. */
  public readonly rules: ecr.CfnPullThroughCacheRule[];

  /** The repository creation templates: one per upstream, or the single `ROOT` template. */
  public readonly templates: ecr.CfnRepositoryCreationTemplate[];

  /**
   * The role ECR assumes to apply the templates (`CustomRoleArn`), when resource tags or a
   * customer-managed KMS key need one.
   */
  public readonly templateRole?: iam.IRole;

  constructor(scope: Construct, id: string, props: PullThroughCacheProps) {
    super(scope, id);
    // Everything is validated before the first resource exists: a bad input leaves nothing behind.
    // The caches this app already creates in the same registry (recorded once complete: one
    // whose constructor threw claims nothing).
    const neighbours = othersInSameRegistry(this, 'PullThroughCache').map(c => c as PullThroughCache);
    const plan = planCache(this, props, neighbours.map(other => ({
      path: other.node.path,
      where: sharedRegistry(this, other),
      rulePrefixes: other.prefixes,
      hasRootTemplate: other.templates.some(t => t.prefix === ROOT_PREFIX),
    })));
    throwIfInvalid(`PullThroughCache at '${this.node.path}'`, plan.problems);
    for (const warning of plan.warnings) {
      warn(this, warning.id, warning.message);
    }
    this.upstreams = plan.upstreams.map(u => ({ registry: u.registry, prefix: u.prefix }));
    // The registry policy and scanning configuration are per-stack singletons shared with others.
    contributeToRegistry(this, this.prefixes, props.crossAccountAccess, props.scanning);
    this.registryDomain = registryDomain(this, this.env.account, this.env.region);

    const templateOptions = props.repositoryTemplate ?? {};
    const lambdaStatements = templateOptions.allowLambda ? [lambdaPullStatement(this)] : [];
    const renderer = new TemplateRenderer(this, templateOptions, plan.templatePrefixes,
      [...templatePolicyStatements(props.crossAccountAccess), ...lambdaStatements]);
    if (templateOptions.allowLambda) {
      markLambdaReadable(this);
    }
    this.templateRole = renderer.role;
    this.repositoryTemplateHasResourceTags = Object.keys(templateOptions.resourceTags ?? {}).length > 0;
    this.repositoryTemplateResourceTags = this.repositoryTemplateHasResourceTags ? { ...templateOptions.resourceTags } : undefined;

    const rootTemplate = templateOptions.scope === TemplateScope.ANY_PREFIX
      ? renderTemplate(this, 'RootTemplate', renderer, ROOT_PREFIX)
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
      // The template must exist before the first pull creates a repository. A construct
      // dependency: CfnResource.addDependency is deprecated in newer aws-cdk-lib, and its
      // replacement does not exist in the oldest one this library supports.
      rule.node.addDependency(template);
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
    recordInApp(this, 'PullThroughCache');
  }

  /**
   * Apply a removal policy to the rules, the templates and the template role. Deleting a rule
   * does not delete the repositories it cached.
   *
   * @param policy the removal policy
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    for (const resource of new Set<CfnResource>([...this.rules, ...this.templates])) {
      resource.applyRemovalPolicy(policy);
    }
    this.templateRole?.applyRemovalPolicy(policy);
  }
}

/**
 * The domain of the registry of an account and region: literal when both are, with the region's
 * URL suffix (`amazonaws.com.cn` in the China regions).
 */
function registryDomain(scope: IConstruct, account: string, region: string): string {
  const suffix = Token.isUnresolved(region) ? Stack.of(scope).urlSuffix : (RegionInfo.get(region).domainSuffix ?? Stack.of(scope).urlSuffix);
  return `${account}.dkr.ecr.${region}.${suffix}`;
}

/** The object `fromPullThroughCacheAttributes` and `fromLookup` return. */
class ImportedPullThroughCache extends PullThroughCacheBase {
  public readonly registryDomain: string;
  public readonly upstreams: CacheUpstream[];

  /**
   * A lookup's first pass, before the CLI has answered: the upstreams are stand-ins, so a
   * reference or prefix they do not know gets a placeholder instead of an error (an error would
   * stop the synthesis that reports the lookup).
   * @internal
   */
  public _lookupPending = false;

  constructor(
    scope: Construct, id: string, location: CacheLocation, plan: UpstreamsPlan,
    public readonly repositoryTemplateHasResourceTags: boolean,
    public readonly repositoryTemplateResourceTags: { [key: string]: string } | undefined,
  ) {
    super(scope, id, location);
    for (const warning of plan.warnings) {
      warn(this, warning.id, warning.message);
    }
    const unconditioned = repositoryTemplateHasResourceTags && repositoryTemplateResourceTags === undefined
      ? tagResourceUnconditionedWarning(`${api('repositoryTemplateHasResourceTags')} without ${api('repositoryTemplateResourceTags')}`,
        `give the templates' tags as ${api('repositoryTemplateResourceTags')} to allow only those`)
      : repositoryTemplateResourceTags !== undefined && !tagsCanCondition(repositoryTemplateResourceTags)
        ? tagResourceUnconditionedWarning(`a key of ${api('repositoryTemplateResourceTags')} is a token, which cannot name a condition key (aws:RequestTag/<key>)`,
          'give the tag keys as literals (values may be tokens) to allow only the templates\' tags')
        : undefined;
    if (unconditioned) {
      warn(this, unconditioned.id, unconditioned.message);
    }
    if (repositoryTemplateHasResourceTags && plan.upstreams.some(u => u.prefix === ROOT_PREFIX)) {
      const root = rootRuleTagResourceWarning(`tagging repository creation templates (${api('repositoryTemplateHasResourceTags')})`);
      warn(this, root.id, root.message);
    }
    this.upstreams = plan.upstreams.map(u => ({ registry: u.registry, prefix: u.prefix }));
    this.registryDomain = registryDomain(this, this.env.account, this.env.region);
  }


  public imageUri(reference: string): string {
    try {
      return super.imageUri(reference);
    } catch (e) {
      return this.placeholder(reference, e);
    }
  }

  public containerImage(reference: string): ecs.ContainerImage {
    try {
      return super.containerImage(reference);
    } catch (e) {
      return ecs.ContainerImage.fromRegistry(this.placeholder(reference, e));
    }
  }

  public grantPullFromUpstream(grantee: iam.IGrantable, prefix: string): iam.Grant {
    return this._lookupPending && !this.prefixes.includes(prefix)
      ? grantPullThrough(this, this.env, grantee, [prefix], undefined)
      : super.grantPullFromUpstream(grantee, prefix);
  }

  /** On a lookup's first pass, a placeholder for a literal reference the stand-ins do not serve. */
  private placeholder(reference: string, error: unknown): string {
    if (!this._lookupPending || Token.isUnresolved(reference)) {
      throw error;
    }
    const parsed = ImageReference.parse(reference);
    return `${this.registryDomain}/lookup-pending/${parsed.repository}:${parsed.tag ?? 'latest'}`;
  }
}
