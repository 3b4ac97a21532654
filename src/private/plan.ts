import { Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import type { PullThroughCacheProps, UpstreamDefinition } from '../pull-through-cache';
import { RepositoryTemplateOptions, TemplateScope } from '../repository-template';
import { UpstreamAuthentication, UpstreamRegistry } from '../upstream-registry';
import { crossAccountProblems, crossAccountWarnings } from './cross-account';
import { scanningFilter } from './registry-contributions';
import {
  MAX_RULES_PER_REGISTRY,
  PREFIX_MAX_LENGTH,
  PREFIX_MIN_LENGTH,
  PREFIX_PATTERN,
  PREFIX_RULE,
  PULL_THROUGH_CACHE_SECRET_PREFIX,
  ROOT_PREFIX,
  prefixPath,
} from './rules';
import { scanningOptionProblems, wildcardFilterProblems } from './scanning';
import { templateProblems, templateWarnings } from './template';
import { describeJson, describeValue, isRecord, isSecret } from './values';

/** An upstream after validation, with its prefix decided. */
export interface PlannedUpstream {
  readonly registry: UpstreamRegistry;
  readonly prefix: string;
  readonly credentials?: secretsmanager.ISecret;
  /** The id of the construct that holds the upstream's resources: derived from the prefix. */
  readonly constructId: string;
}

/** A legal but risky choice, reported as a warning with a namespaced id. */
export interface PlanWarning {
  readonly id: string;
  readonly message: string;
}

export interface CachePlan {
  readonly upstreams: PlannedUpstream[];
  /** The prefixes the repository creation templates cover: the upstreams' prefixes, or ROOT. */
  readonly templatePrefixes: string[];
  readonly warnings: PlanWarning[];
}

/**
 * Validate every input of a cache and decide prefixes and construct IDs, before any resource
 * exists. Every problem is collected; one `Error` lists them all.
 */
export function planCache(cache: IConstruct, props: PullThroughCacheProps): CachePlan {
  const path = cache.node.path;
  const problems: string[] = [];
  const warnings: PlanWarning[] = [];
  const definitions: UpstreamDefinition[] = Array.isArray(props?.upstreams) ? props.upstreams : [];

  if (props?.upstreams !== undefined && !Array.isArray(props.upstreams)) {
    problems.push(`upstreams: ${describeValue(props.upstreams)} is not a list; give a list of { registry, prefix?, credentials? }`);
  } else if (definitions.length === 0) {
    problems.push('upstreams: the list is empty; give at least one upstream registry');
  }
  if (definitions.length > MAX_RULES_PER_REGISTRY) {
    problems.push(
      `upstreams: ${definitions.length} upstreams given; ECR allows at most ${MAX_RULES_PER_REGISTRY} pull-through cache rules per registry`,
    );
  }

  const upstreams: PlannedUpstream[] = [];
  const seen = new Map<string, number>();
  definitions.forEach((definition, index) => {
    if (!definition || !(definition.registry instanceof UpstreamRegistry)) {
      problems.push(`upstreams[${index}]: registry is missing; use one of the UpstreamRegistry factories`);
      return;
    }
    // An ECR upstream's omitted account and region are the cache's stack's.
    const registry = definition.registry._bind(cache);
    const prefix = definition.prefix ?? registry.defaultPrefix;
    const name = typeof prefix !== 'string' || Token.isUnresolved(prefix) ? `upstreams[${index}] (${registry.registryType})` : `upstream '${prefix}'`;

    for (const problem of registry._problems) {
      problems.push(`${name}: registry: ${problem}`);
    }
    problems.push(...prefixProblems(prefix).map(p => `${name}: ${p}`));
    if (typeof prefix !== 'string') {
      // Reported by prefixProblems; JavaScript callers can pass anything.
    } else if (!Token.isUnresolved(prefix)) {
      const first = seen.get(prefixPath(prefix));
      if (first !== undefined) {
        problems.push(`${name}: prefix '${prefix}' is already used by upstreams[${first}]; every upstream needs its own prefix`);
      } else {
        seen.set(prefixPath(prefix), index);
      }
    } else {
      warnings.push({
        id: 'tokenPrefix',
        message: `upstreams[${index}] has an unresolved prefix: its resources' logical IDs follow its position in the list, so reordering the upstreams replaces its rule`,
      });
    }
    problems.push(...credentialProblems(registry, definition.credentials).map(p => `${name}: ${p}`));

    upstreams.push({
      registry,
      prefix,
      credentials: definition.credentials,
      constructId: typeof prefix !== 'string' || Token.isUnresolved(prefix) ? `Upstream${index}` : prefixPath(prefix).split('/').join('+'),
    });
  });
  warnings.push(...nestedPrefixWarnings([...seen.keys()]));

  const givenOptions = props?.repositoryTemplate ?? {};
  if (!isRecord(givenOptions)) {
    problems.push(`repositoryTemplate: ${describeValue(givenOptions)} is not an object of RepositoryTemplateOptions`);
  }
  const options: RepositoryTemplateOptions = isRecord(givenOptions) ? givenOptions : {};
  const scope = options.scope ?? TemplateScope.PER_UPSTREAM;
  if (!Object.values(TemplateScope).includes(scope)) {
    problems.push(`repositoryTemplate.scope: ${describeValue(scope)} is not a TemplateScope; use PER_UPSTREAM or ANY_PREFIX`);
  }
  problems.push(...templateProblems(options).map(p => `repositoryTemplate.${p}`));
  warnings.push(...templateWarnings(options));
  if (props?.crossAccountAccess !== undefined && !isRecord(props.crossAccountAccess)) {
    problems.push(`crossAccountAccess: ${describeValue(props.crossAccountAccess)} is not an object; give { accounts?, organizationId? }`);
  } else {
    problems.push(...crossAccountProblems(props?.crossAccountAccess).map(p => `crossAccountAccess.${p}`));
    warnings.push(...crossAccountWarnings(props?.crossAccountAccess, scope));
  }
  if (props?.scanning !== undefined && !isRecord(props.scanning)) {
    problems.push(`scanning: ${describeValue(props.scanning)} is not an object; give { scanType?, frequency? }`);
  } else if (props?.scanning !== undefined) {
    problems.push(...scanningOptionProblems(props.scanning).map(p => `scanning.${p}`));
    for (const upstream of upstreams.filter(u => typeof u.prefix === 'string')) {
      problems.push(...wildcardFilterProblems(scanningFilter(upstream.prefix)).map(p => `upstream '${upstream.prefix}': scanning: ${p}`));
    }
  }

  if (problems.length > 0) {
    throw new Error(`PullThroughCache at '${path}' is invalid:\n${problems.map(p => `  - ${p}`).join('\n')}`);
  }

  return {
    upstreams,
    templatePrefixes: scope === TemplateScope.ANY_PREFIX ? [ROOT_PREFIX] : upstreams.map(u => u.prefix),
    warnings,
  };
}

export function prefixProblems(prefix: string): string[] {
  if (Token.isUnresolved(prefix)) {
    return [];
  }
  if (typeof prefix !== 'string') {
    return [`prefix ${describeJson(prefix)} is not a string`];
  }
  if (prefix === ROOT_PREFIX) {
    return [`prefix '${prefix}' is not supported: a ROOT rule would cache into every repository of the registry; give a prefix (${PREFIX_RULE})`];
  }
  if (prefix.length < PREFIX_MIN_LENGTH || prefix.length > PREFIX_MAX_LENGTH) {
    return [`prefix '${prefix}' is ${prefix.length} characters; a prefix is ${PREFIX_RULE}`];
  }
  if (!PREFIX_PATTERN.test(prefix)) {
    return [`prefix '${prefix}' is invalid; a prefix is ${PREFIX_RULE}`];
  }
  return [];
}

function credentialProblems(registry: UpstreamRegistry, secret: secretsmanager.ISecret | undefined): string[] {
  if (secret !== undefined && secret !== null && !isSecret(secret)) {
    return [
      `credentials: ${describeValue(secret)} is not a secretsmanager.ISecret; `
      + 'give a secret construct (PullThroughCacheSecret, or import one with Secret.fromSecretCompleteArn)',
    ];
  }
  if (!secret) {
    return registry.authentication === UpstreamAuthentication.REQUIRED
      ? [`credentials are missing: ECR requires a Secrets Manager secret named '${PULL_THROUGH_CACHE_SECRET_PREFIX}<name>' `
        + `with 'username' and 'accessToken' for ${registry.url} (PullThroughCacheSecret creates one)`]
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
      `credentials: the secret has no name, so CloudFormation would generate one; ECR needs a name starting with '${PULL_THROUGH_CACHE_SECRET_PREFIX}' (set secretName, or use PullThroughCacheSecret)`,
    );
  } else if (name !== undefined && !name.startsWith(PULL_THROUGH_CACHE_SECRET_PREFIX)) {
    problems.push(`credentials: secret name '${name}' does not start with '${PULL_THROUGH_CACHE_SECRET_PREFIX}', which ECR requires`);
  }
  if (secret.encryptionKey) {
    problems.push(
      'credentials: the secret is encrypted with a customer-managed KMS key; ECR reads pull-through cache secrets only when they use the AWS managed key (aws/secretsmanager)',
    );
  }
  if (secret.secretFullArn === undefined) {
    problems.push(
      'credentials: the secret was imported without its complete ARN (by name or partial ARN), but ECR needs the full ARN with its 6-character suffix; '
      + 'import it with Secret.fromSecretCompleteArn(scope, id, \'arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>-AbCdEf\')',
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

function nestedPrefixWarnings(prefixes: string[]): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  for (const outer of prefixes) {
    for (const inner of prefixes) {
      if (inner !== outer && inner.startsWith(`${outer}/`)) {
        warnings.push({
          id: 'nestedPrefix',
          message: `prefix '${inner}' is inside prefix '${outer}': an image under '${inner}/' could match either rule, and grants for '${outer}' cover '${inner}' too`,
        });
      }
    }
  }
  return warnings;
}
