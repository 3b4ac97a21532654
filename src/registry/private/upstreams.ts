import { Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { credentialProblems } from './secrets';
import { api, Warning } from '../../core/private/diagnostics';
import { RegistryLocation } from '../../core/private/location';
import { MAX_RULES_PER_REGISTRY, PREFIX_MAX_LENGTH, PREFIX_MIN_LENGTH, PREFIX_PATTERN, PREFIX_RULE, ROOT_PREFIX, prefixPath } from '../../core/private/rules';
import type { CacheUpstream, UpstreamDefinition } from '../upstream';
import { UpstreamAuthentication, type UpstreamRegistry } from '../upstream-registry';

/** An upstream after validation, with its prefix decided and its registry bound to the cache. */
export interface PlannedUpstream extends CacheUpstream {
  readonly credentials?: secretsmanager.ISecret;
  /** The id of the construct that holds the upstream's resources: derived from the prefix. */
  readonly constructId: string;
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
  cache: IConstruct, location: RegistryLocation, definitions: UpstreamDefinition[], creating: boolean,
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
  if (creating && upstreams.some(u => u.prefix === ROOT_PREFIX)) {
    warnings.push({
      id: 'rootRule',
      message: 'an upstream has the prefix ROOT: it caches every repository of the registry that no other rule\'s prefix claims, '
        + 'its grants cover every repository (repository/*), and its repository creation template is the registry\'s ROOT template; '
        + 'give the ECR upstream a prefix to cache and grant only the repositories under it',
    });
  }
  return { upstreams, problems, warnings };
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

export function nestedPrefixMessage(inner: string, outer: string): string {
  return `prefix '${inner}' is inside prefix '${outer}': an image under '${inner}/' could match either rule, and grants for '${outer}' cover '${inner}' too; `
    + 'give the upstreams prefixes that do not nest';
}
