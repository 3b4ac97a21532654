import { CfnResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CrossAccountAccess } from './cross-account-access';
import { planClaims } from './private/claims';
import { planCrossAccountAccess } from './private/cross-account';
import { lookupRules } from './private/lookup';
import { recordInApp } from './private/registry';
import { planScanning } from './private/scanning';
import { planImportedTemplateTags, planTemplates } from './private/template';
import { PlannedUpstream, planUpstreams, UpstreamsPlan } from './private/upstreams';
import { RegistryPolicy } from './registry-policy';
import { RegistryScanning } from './registry-scanning';
import { RepositoryTemplateOptions, TemplateScope } from './repository-template';
import { ScanningOptions } from './scanning-options';
import { CacheUpstream, UpstreamAttributes, UpstreamDefinition } from './upstream';
import { UpstreamRegistry } from './upstream-registry';
import { api, throwIfInvalid, warn, Warning } from '../core/private/diagnostics';
import { grantPullThrough } from '../core/private/grants';
import { locationProblems, registryDomain, RegistryLocation } from '../core/private/location';
import { comparePrefixes, ROOT_PREFIX } from '../core/private/rules';
import { IPullThroughCache, PullThroughCacheBase } from '../core/pull-through-cache-base';
import { ImageReference } from '../images/image-reference';
import { lambdaPullStatement } from '../images/private/lambda-images';

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
    const upstreams = planUpstreams(scope, location, attrs.upstreams, false);
    const tags = planImportedTemplateTags(attrs.repositoryTemplateHasResourceTags, attrs.repositoryTemplateResourceTags,
      upstreams.upstreams.map(u => u.prefix));
    throwIfInvalid(`${api('PullThroughCache.fromPullThroughCacheAttributes')} at '${scope.node.path}/${id}'`,
      [...locationProblems(location, stack), ...tags.problems, ...upstreams.problems]);
    return new ImportedPullThroughCache(scope, id, location, upstreams, tags);
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
    const found = lookupRules(scope, `${scope.node.path}/${id}`, UpstreamRegistry, options.account, options.region);
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
    reportWarnings(cache, found.warnings);
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
    // Each option is checked in its room, which hands back its planned form; then it is rendered.
    const upstreams = planUpstreams(this, Stack.of(this), props.upstreams, true);
    const rulePrefixes = upstreams.upstreams.map(u => u.prefix);
    const templateOptions = props.repositoryTemplate ?? {};
    const templates = planTemplates(templateOptions, rulePrefixes);
    const access = planCrossAccountAccess(props.crossAccountAccess, templates.prefixes, rulePrefixes);
    const scanning = props.scanning && planScanning(this, rulePrefixes, props.scanning);
    const claims = planClaims(this, upstreams.upstreams, templates.scope);
    throwIfInvalid(`PullThroughCache at '${this.node.path}'`,
      [...upstreams.problems, ...templates.problems, ...access.problems, ...(scanning?.problems ?? []), ...claims.problems]);
    reportWarnings(this, [...upstreams.warnings, ...templates.warnings, ...access.warnings, ...claims.warnings]);
    this.upstreams = upstreams.upstreams.map(u => ({ registry: u.registry, prefix: u.prefix }));

    // The registry policy and scanning configuration are per-stack singletons shared with others.
    if (scanning) {
      RegistryScanning.getOrCreate(this).addWildcardFilters(scanning.filters, scanning.options);
    }
    if (props.crossAccountAccess) {
      RegistryPolicy.getOrCreate(this).addStatements(...access.registryStatements(this, this.prefixes));
    }
    this.registryDomain = registryDomain(this.env.account, this.env.region, Stack.of(this).urlSuffix);

    const renderer = templates.renderer(this,
      [...access.templateStatements(), ...(templateOptions.allowLambda ? [lambdaPullStatement(this)] : [])]);
    this.templateRole = renderer.role;
    this.repositoryTemplateHasResourceTags = Object.keys(templateOptions.resourceTags ?? {}).length > 0;
    this.repositoryTemplateResourceTags = this.repositoryTemplateHasResourceTags ? { ...templateOptions.resourceTags } : undefined;

    const rootTemplate = templates.scope === TemplateScope.ANY_PREFIX
      ? renderer.template(this, 'RootTemplate', ROOT_PREFIX)
      : undefined;

    const rules = new Map<PlannedUpstream, ecr.CfnPullThroughCacheRule>();
    const templateOf = new Map<PlannedUpstream, ecr.CfnRepositoryCreationTemplate>();
    // Logical IDs derive from the prefix, never from the position in the list; the resources are
    // also created in prefix order, so reordering the upstreams does not change the template.
    const sorted = [...upstreams.upstreams].sort((a, b) => comparePrefixes(a.prefix, b.prefix));
    for (const upstream of sorted) {
      const upstreamScope = new Construct(this, upstream.constructId);
      const template = rootTemplate ?? renderer.template(upstreamScope, 'Template', upstream.prefix);
      templateOf.set(upstream, template);
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
    this.rules = upstreams.upstreams.map(u => rules.get(u)!);
    this.templates = rootTemplate ? [rootTemplate] : upstreams.upstreams.map(u => templateOf.get(u)!);
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

/** Add each warning to the construct, with its namespaced id. */
function reportWarnings(scope: Construct, warnings: Warning[]): void {
  for (const warning of warnings) {
    warn(scope, warning.id, warning.message);
  }
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

  public readonly repositoryTemplateHasResourceTags: boolean;
  public readonly repositoryTemplateResourceTags?: { [key: string]: string };

  constructor(
    scope: Construct, id: string, location: RegistryLocation, plan: UpstreamsPlan,
    tags: ReturnType<typeof planImportedTemplateTags>,
  ) {
    super(scope, id, location);
    reportWarnings(this, [...plan.warnings, ...tags.warnings]);
    this.repositoryTemplateHasResourceTags = tags.tagged;
    this.repositoryTemplateResourceTags = tags.tags;
    this.upstreams = plan.upstreams.map(u => ({ registry: u.registry, prefix: u.prefix }));
    this.registryDomain = registryDomain(this.env.account, this.env.region, Stack.of(this).urlSuffix);
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
