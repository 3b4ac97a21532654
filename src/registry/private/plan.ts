import { Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { CrossAccountAccess } from '../cross-account-access';
import { RegistryScanning, ScanningOptions } from '../registry-scanning';
import { RepositoryTemplateOptions, TemplateScope } from '../repository-template';
import { UpstreamAuthentication, UpstreamRegistry } from '../upstream-registry';
import { crossAccountProblems, crossAccountWarnings } from './cross-account';
import { templateProblems, templateWarnings } from './template';
import { api, Warning } from '../../core/private/diagnostics';
import { rootRuleTagResourceWarning, tagResourceUnconditionedWarning, tagsCanCondition } from '../../core/private/grants';
import {
  MAX_RULES_PER_REGISTRY,
  PREFIX_MAX_LENGTH,
  PREFIX_MIN_LENGTH,
  PREFIX_PATTERN,
  PREFIX_RULE,
  PULL_THROUGH_CACHE_SECRET_PREFIX,
  ROOT_PREFIX,
  coveringPrefixes,
  prefixPath,
  repositoryPattern,
} from '../../core/private/rules';

/** An upstream as given: the shape of `UpstreamDefinition` (and of `UpstreamAttributes`, without credentials). */
export interface UpstreamInput {
  readonly registry: UpstreamRegistry;
  readonly prefix?: string;
  readonly credentials?: secretsmanager.ISecret;
}

/** An upstream after validation, with its prefix decided and its registry bound to the cache. */
export interface PlannedUpstream {
  readonly registry: UpstreamRegistry;
  readonly prefix: string;
  readonly credentials?: secretsmanager.ISecret;
  /** The id of the construct that holds the upstream's resources: derived from the prefix. */
  readonly constructId: string;
}

/** Where the cache's registry is. */
export interface CacheLocation {
  readonly account: string;
  readonly region: string;
}

/** The upstreams, with what is wrong with them and what is risky. */
export interface UpstreamsPlan {
  readonly upstreams: PlannedUpstream[];
  readonly problems: string[];
  readonly warnings: Warning[];
}

/**
 * Validate the upstreams of a cache (owned, or imported when `creating` is false) and
 * decide their prefixes and construct IDs. Problems name the upstream by its prefix.
 */
export function planUpstreams(
  cache: IConstruct, location: CacheLocation, definitions: UpstreamInput[], creating: boolean,
): UpstreamsPlan {
  const problems: string[] = [];
  const warnings: Warning[] = [];
  if (definitions.length === 0) {
    problems.push('upstreams: the list is empty; give at least one upstream registry');
  }
  if (definitions.length > MAX_RULES_PER_REGISTRY) {
    problems.push(
      `upstreams: ${definitions.length} upstreams given; ECR allows at most ${MAX_RULES_PER_REGISTRY} pull-through cache rules per registry: `
      + 'move some upstreams to a cache in another region or account',
    );
  }

  const upstreams: PlannedUpstream[] = [];
  const seen = new Map<string, number>();
  definitions.forEach((definition, index) => {
    // An ECR upstream's omitted account and region are the cache's.
    const registry = definition.registry._bind(cache, location.account, location.region);
    const prefix = definition.prefix ?? registry.defaultPrefix;
    const literal = !Token.isUnresolved(prefix);
    const name = literal ? `upstream '${prefix}'` : `upstreams[${index}] (${registry.registryType})`;

    problems.push(...registry._problems.map(p => `${name}: registry: ${p}`));
    problems.push(...prefixProblems(prefix, registry).map(p => `${name}: ${p}`));
    if (literal) {
      const first = seen.get(prefixPath(prefix));
      if (first !== undefined) {
        const isDefault = prefixPath(prefix) === registry.defaultPrefix
          ? ` ('${registry.defaultPrefix}' is the default prefix of ${api(factoryOf(registry))})` : '';
        problems.push(`${name}: prefix '${prefix}' is already used by upstreams[${first}]${isDefault}; every upstream needs its own prefix: `
          + 'give one of them another `prefix`');
      } else {
        seen.set(prefixPath(prefix), index);
      }
    } else if (creating) {
      // An import creates no rule: its position decides nothing.
      warnings.push({
        id: 'tokenPrefix',
        message: `upstreams[${index}] has an unresolved prefix: its resources' logical IDs follow its position in the list, so reordering the upstreams replaces its rule; `
          + 'give the prefix as a literal to make its logical IDs follow the prefix',
      });
    }
    if (creating) {
      problems.push(...credentialProblems(registry, definition.credentials).map(p => `${name}: ${p}`));
      if (registry.authentication === UpstreamAuthentication.IAM_ROLE && !registry.role) {
        problems.push(`${name}: registry: role is missing: a cache created with an ECR upstream needs the IAM role ECR assumes to pull from it (the rule's CustomRoleArn); `
          + `give ${api('UpstreamRegistry.ecr({ role })')}, a role that ECR (pullthroughcache.ecr.amazonaws.com) may assume`);
      }
    }
    upstreams.push({
      registry,
      prefix,
      credentials: definition.credentials,
      constructId: literal ? prefixPath(prefix).split('/').join('+') : `Upstream${index}`,
    });
  });
  warnings.push(...nestedPrefixWarnings([...seen.keys()]));
  return { upstreams, problems, warnings };
}

/** What a cache needs of its props: the shape of `PullThroughCacheProps`. */
export interface CacheInput {
  readonly upstreams: UpstreamInput[];
  readonly repositoryTemplate?: RepositoryTemplateOptions;
  readonly crossAccountAccess?: CrossAccountAccess;
  readonly scanning?: ScanningOptions;
}

/** Another cache this app creates in the same registry, as far as its prefixes go. */
export interface NeighbourCache {
  /** Its construct path. */
  readonly path: string;
  /** Where the registry the two share is, for messages: `in the same stack`, or its account and region. */
  readonly where: string;
  /** The prefixes of its rules. */
  readonly rulePrefixes: string[];
  /** Whether it has the registry's ROOT repository creation template. */
  readonly hasRootTemplate: boolean;
}

export interface CachePlan extends UpstreamsPlan {
  /** The prefixes the repository creation templates cover: the upstreams' prefixes, or ROOT. */
  readonly templatePrefixes: string[];
}

/**
 * Validate every input of a cache this app creates, before any resource exists. Every problem is
 * collected; the caller throws one `Error` listing them all.
 */
export function planCache(cache: IConstruct, props: CacheInput, neighbours: NeighbourCache[] = []): CachePlan {
  const stack = Stack.of(cache);
  const { upstreams, problems, warnings } = planUpstreams(cache, stack, props.upstreams, true);

  const options = props.repositoryTemplate ?? {};
  const scope = options.scope ?? TemplateScope.PER_UPSTREAM;
  problems.push(...templateProblems(options, 'repositoryTemplate'));
  warnings.push(...templateWarnings(options));
  if (options.resourceTags !== undefined && Object.keys(options.resourceTags).length > 0 && !tagsCanCondition(options.resourceTags)) {
    warnings.push(tagResourceUnconditionedWarning(`a key of ${api('repositoryTemplate.resourceTags')} is a token, which cannot name a condition key (aws:RequestTag/<key>)`,
      'give the tag keys as literals (values may be tokens) to allow only the templates\' tags'));
  }
  const templatePrefixes = scope === TemplateScope.ANY_PREFIX ? [ROOT_PREFIX] : upstreams.map(u => u.prefix);
  if (props.crossAccountAccess !== undefined) {
    problems.push(...crossAccountProblems(props.crossAccountAccess, 'crossAccountAccess'));
    warnings.push(...crossAccountWarnings(props.crossAccountAccess, templatePrefixes, upstreams.map(u => u.prefix)));
  }
  if (props.scanning !== undefined) {
    // Each prefix's filter first, named by its upstream; then the options and the registry's
    // configuration with the filters that are valid.
    const filters: string[] = [];
    for (const upstream of upstreams.filter(u => coveringPrefixes(upstreams.map(v => v.prefix)).includes(u.prefix))) {
      const filter = repositoryPattern(upstream.prefix);
      const filterProblems = RegistryScanning._filterProblems(filter);
      problems.push(...filterProblems.map(p => `upstream '${upstream.prefix}': scanning: ${p}`));
      if (filterProblems.length === 0) {
        filters.push(filter);
      }
    }
    problems.push(...RegistryScanning._problems(stack, filters, props.scanning, 'scanning'));
  }
  problems.push(...neighbourProblems(upstreams, scope, neighbours));
  warnings.push(...neighbourWarnings(upstreams, neighbours));
  if (upstreams.some(u => u.prefix === ROOT_PREFIX)) {
    warnings.push({
      id: 'rootRule',
      message: 'an upstream has the prefix ROOT: it caches every repository of the registry that no other rule\'s prefix claims, '
        + 'its grants cover every repository (repository/*), and its repository creation template is the registry\'s ROOT template; '
        + 'give the ECR upstream a prefix to cache and grant only the repositories under it',
    });
  }
  if (upstreams.some(u => u.prefix === ROOT_PREFIX) && Object.keys(options.resourceTags ?? {}).length > 0) {
    warnings.push(rootRuleTagResourceWarning(api('repositoryTemplate.resourceTags')));
  }
  return {
    upstreams,
    problems,
    warnings,
    templatePrefixes,
  };
}

/**
 * What other caches of the same registry already claim. ECR holds one pull-through cache rule per
 * prefix, one repository creation template per prefix (so one ROOT template) and at most 50 rules
 * per registry: a second claim fails only at deployment (of the second stack, or of the one stack),
 * so say it at synth. `x` and `x/` count as one prefix: both rules would claim the repositories
 * `x/*` (the check within one cache does the same). Tokens are not compared.
 */
function neighbourProblems(upstreams: PlannedUpstream[], scope: TemplateScope, neighbours: NeighbourCache[]): string[] {
  const problems: string[] = [];
  const share = `import that cache where you pull through it (${api('PullThroughCache.fromPullThroughCacheAttributes')})`;
  for (const neighbour of neighbours) {
    const other = `the PullThroughCache at '${neighbour.path}' (${neighbour.where})`;
    const rules = new Map(neighbour.rulePrefixes.filter(p => !Token.isUnresolved(p)).map(p => [prefixPath(p), p]));
    let rootRuleTaken = false;
    for (const upstream of upstreams.filter(u => !Token.isUnresolved(u.prefix))) {
      const taken = rules.get(prefixPath(upstream.prefix));
      if (taken !== undefined) {
        rootRuleTaken ||= upstream.prefix === ROOT_PREFIX;
        problems.push(
          `upstream '${upstream.prefix}': prefix '${upstream.prefix}' is already the prefix of a rule of ${other}`
          + (taken !== upstream.prefix ? `, there written '${taken}'` : '')
          + `; a registry has one pull-through cache rule per prefix: give this upstream another prefix, or ${share}`,
        );
      }
    }
    // Templates of other prefixes collide only where their rules do; the ROOT template is the one
    // a cache can have without a ROOT rule (TemplateScope.ANY_PREFIX).
    if (!neighbour.hasRootTemplate || rootRuleTaken) {
      continue;
    }
    const ownRootRule = upstreams.some(u => u.prefix === ROOT_PREFIX);
    if (scope !== TemplateScope.ANY_PREFIX && !ownRootRule) {
      continue;
    }
    const theirsFromRule = neighbour.rulePrefixes.includes(ROOT_PREFIX);
    const remedies = [
      // A ROOT upstream makes the ROOT template whatever the scope.
      ...(scope === TemplateScope.ANY_PREFIX && !ownRootRule ? ['use TemplateScope.PER_UPSTREAM here'] : []),
      ...(theirsFromRule ? [] : [`give the PullThroughCache at '${neighbour.path}' TemplateScope.PER_UPSTREAM`]),
      share,
    ];
    problems.push(
      (scope === TemplateScope.ANY_PREFIX ? `${api('repositoryTemplate.scope')}: TemplateScope.ANY_PREFIX makes` : "upstream 'ROOT': its repository creation template is")
      + ` the registry's ROOT repository creation template, which ${other} already has `
      + `(${theirsFromRule ? 'the template of its ROOT upstream' : 'its scope is TemplateScope.ANY_PREFIX'}); `
      + `a registry has one ROOT template: ${remedies.join(', or ')}`,
    );
  }
  const rules = upstreams.length + neighbours.reduce((sum, n) => sum + n.rulePrefixes.length, 0);
  if (neighbours.length > 0 && rules > MAX_RULES_PER_REGISTRY) {
    problems.push(
      `upstreams: with the rules of ${neighbours.map(n => `the PullThroughCache at '${n.path}' (${n.where})`).join(', ')}, the registry would hold ${rules} `
      + `pull-through cache rules; ECR allows at most ${MAX_RULES_PER_REGISTRY} per registry: `
      + 'move some upstreams to a cache in another region or account',
    );
  }
  return problems;
}

/** A prefix of this cache inside a prefix of another cache of the same registry, or around one. */
function neighbourWarnings(upstreams: PlannedUpstream[], neighbours: NeighbourCache[]): Warning[] {
  const literal = (prefixes: string[]) => prefixes.filter(p => !Token.isUnresolved(p)).map(prefixPath);
  const mine = literal(upstreams.map(u => u.prefix));
  const warnings: Warning[] = [];
  for (const neighbour of neighbours) {
    for (const theirs of literal(neighbour.rulePrefixes)) {
      for (const prefix of mine) {
        const [inner, outer] = theirs.startsWith(`${prefix}/`) ? [theirs, prefix] : prefix.startsWith(`${theirs}/`) ? [prefix, theirs] : [];
        if (inner !== undefined && outer !== undefined) {
          warnings.push({
            id: 'nestedPrefix',
            message: `${nestedPrefixMessage(inner, outer)}; '${theirs}' is a rule of the PullThroughCache at '${neighbour.path}' (${neighbour.where})`,
          });
        }
      }
    }
  }
  return warnings;
}

/** What is wrong with a prefix for an upstream (nothing for a token). */
function prefixProblems(prefix: string, registry: UpstreamRegistry): string[] {
  if (Token.isUnresolved(prefix)) {
    return [];
  }
  if (prefix === ROOT_PREFIX) {
    if (registry.authentication !== UpstreamAuthentication.IAM_ROLE) {
      return [`prefix 'ROOT' is only for an ECR upstream (UpstreamRegistry.ecr()): a ROOT rule of ${registry.url} would claim every repository of the registry; give a prefix (${PREFIX_RULE})`];
    }
    const upstreamPrefix = registry.upstreamRepositoryPrefix;
    if (upstreamPrefix !== undefined && upstreamPrefix !== ROOT_PREFIX) {
      return [`prefix 'ROOT' cannot be combined with the ECR upstream's ${api('repositoryPrefix')} '${upstreamPrefix}': ECR sets an upstream repository prefix only on a rule whose prefix is not ROOT; `
        + `give this upstream another prefix, or drop ${api('repositoryPrefix')}`];
    }
    return [];
  }
  if (prefix.length < PREFIX_MIN_LENGTH || prefix.length > PREFIX_MAX_LENGTH) {
    return [`prefix '${prefix}' is ${prefix.length} ${prefix.length === 1 ? 'character' : 'characters'} long, but a prefix is ${PREFIX_RULE}; `
      + `${prefix.length < PREFIX_MIN_LENGTH ? 'lengthen' : 'shorten'} it (or leave \`prefix\` out for ${registry.defaultPrefix}, the registry's default)`];
  }
  if (!PREFIX_PATTERN.test(prefix)) {
    return [`prefix '${prefix}' is invalid; a prefix is ${PREFIX_RULE}, e.g. '${registry.defaultPrefix}' (the registry's default, used when \`prefix\` is left out)`];
  }
  return [];
}

/** The factory of a registry, as a message names it: `UpstreamRegistry.quay()`. */
function factoryOf(registry: UpstreamRegistry): string {
  const name = registry.registryType === 'k8s' ? 'kubernetes' : registry.registryType.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return `UpstreamRegistry.${name}()`;
}

function credentialProblems(registry: UpstreamRegistry, secret: secretsmanager.ISecret | undefined): string[] {
  if (!secret) {
    return registry.authentication === UpstreamAuthentication.REQUIRED
      ? [`credentials are missing: ECR requires a Secrets Manager secret named '${PULL_THROUGH_CACHE_SECRET_PREFIX}<name>' `
        + `with 'username' and 'accessToken' for ${registry.url}; give \`credentials\`: ${api('PullThroughCacheSecret.create')} makes such a secret`]
      : [];
  }
  if (registry.authentication !== UpstreamAuthentication.REQUIRED) {
    const instead = registry.authentication === UpstreamAuthentication.IAM_ROLE ? '; an ECR upstream uses its role instead' : '';
    return [`credentials were given but ${registry.url} takes none${instead}; remove credentials`];
  }

  const problems: string[] = [];
  const name = knownSecretName(secret);
  if (name === null) {
    problems.push(
      `credentials: the secret has no name, so CloudFormation would generate one; ECR needs a name starting with '${PULL_THROUGH_CACHE_SECRET_PREFIX}': `
      + `set ${api('secretName')}, or use ${api('PullThroughCacheSecret.create')}`,
    );
  } else if (name !== undefined && !name.startsWith(PULL_THROUGH_CACHE_SECRET_PREFIX)) {
    problems.push(`credentials: secret name '${name}' does not start with '${PULL_THROUGH_CACHE_SECRET_PREFIX}', which ECR requires: `
      + `use a secret named '${PULL_THROUGH_CACHE_SECRET_PREFIX}<name>' (${api('PullThroughCacheSecret.create')} makes one)`);
  }
  if (secret.encryptionKey) {
    problems.push(
      'credentials: the secret is encrypted with a customer-managed KMS key; ECR reads pull-through cache secrets only when they use the AWS managed key (aws/secretsmanager): '
      + `drop the secret's ${api('encryptionKey')}`,
    );
  }
  if (secret.secretFullArn === undefined) {
    problems.push(
      'credentials: the secret was imported without its complete ARN (by name or partial ARN), but ECR needs the full ARN with its 6-character suffix; '
      + `import it with ${api('Secret.fromSecretCompleteArn')}(scope, id, 'arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>-AbCdEf')`,
    );
  }
  return problems;
}

/**
 * The secret's name when it can be known at synth time; `undefined` when it is a token (the
 * check is skipped); `null` for a secret this app creates without a name.
 */
function knownSecretName(secret: secretsmanager.ISecret): string | undefined | null {
  const resource = secret.node.defaultChild;
  if (resource instanceof secretsmanager.CfnSecret) {
    // A Secret without secretName still has a `name`: a token that resolves to nothing.
    if (resource.name === undefined || Stack.of(resource).resolve(resource.name) === undefined) {
      return null;
    }
    return Token.isUnresolved(resource.name) ? undefined : resource.name;
  }
  return Token.isUnresolved(secret.secretName) ? undefined : secret.secretName;
}

function nestedPrefixWarnings(prefixes: string[]): Warning[] {
  const warnings: Warning[] = [];
  for (const outer of prefixes.filter(p => p !== ROOT_PREFIX)) {
    for (const inner of prefixes) {
      if (inner !== outer && inner.startsWith(`${outer}/`)) {
        warnings.push({ id: 'nestedPrefix', message: nestedPrefixMessage(inner, outer) });
      }
    }
  }
  return warnings;
}

function nestedPrefixMessage(inner: string, outer: string): string {
  return `prefix '${inner}' is inside prefix '${outer}': an image under '${inner}/' could match either rule, and grants for '${outer}' cover '${inner}' too; `
    + 'give the upstreams prefixes that do not nest';
}
