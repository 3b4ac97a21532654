import { Token } from 'aws-cdk-lib';

/**
 * The constraints AWS puts on what this library renders, in one place.
 *
 * Sources: the CloudFormation resource schemas of AWS::ECR::PullThroughCacheRule and
 * AWS::ECR::RepositoryCreationTemplate, and the ECR service quotas.
 */

/** An AWS account ID: 12 digits. */
export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;

/**
 * An AWS region name: `us-east-1`, `cn-north-1`, `us-gov-west-1`, `eusc-de-east-1` (the European
 * Sovereign Cloud's partition prefix has four letters).
 */
export const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

/** The name prefix ECR requires of every pull-through cache secret. */
export const PULL_THROUGH_CACHE_SECRET_PREFIX = 'ecr-pullthroughcache/';

/** ECR's quota of pull-through cache rules per registry (not adjustable). */
export const MAX_RULES_PER_REGISTRY = 50;

export const PREFIX_MIN_LENGTH = 2;
export const PREFIX_MAX_LENGTH = 30;

/**
 * An ECR repository prefix, as AWS::ECR::PullThroughCacheRule's schema gives it (less `ROOT`):
 * lowercase alphanumeric segments joined by `.`, `_`, `__` or dashes, `/` between path
 * segments, optionally one trailing `/`.
 */
export const PREFIX_PATTERN = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*\/?$/;

export const PREFIX_RULE =
  `${PREFIX_MIN_LENGTH} to ${PREFIX_MAX_LENGTH} characters: lowercase letters and digits `
  + 'in segments joined by \'.\', \'_\', \'__\' or \'-\', with \'/\' between path segments '
  + 'and optionally at the end';

/**
 * The prefix that means the whole registry: a repository creation template for any repository,
 * or an ECR-to-ECR rule that caches every repository no other rule's prefix claims.
 */
export const ROOT_PREFIX = 'ROOT';

/** A prefix without its optional trailing `/`: ECR puts a `/` after the prefix either way. */
export function prefixPath(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/**
 * The prefixes whose repositories a grant, policy or filter must cover: all of them, or ROOT alone
 * when one is ROOT (`repository/*` covers every other prefix).
 */
export function coveringPrefixes(prefixes: string[]): string[] {
  return prefixes.includes(ROOT_PREFIX) ? [ROOT_PREFIX] : [...new Set(prefixes)];
}

/** The wildcard name of every repository under a prefix: `<prefix>/*`, or `*` for ROOT. */
export function repositoryPattern(prefix: string): string {
  return prefix === ROOT_PREFIX ? '*' : `${prefixPath(prefix)}/*`;
}

/** The name of the cached repository of an upstream repository path under a prefix. */
export function cachedRepositoryName(prefix: string, path: string): string {
  return prefix === ROOT_PREFIX ? path : `${prefixPath(prefix)}/${path}`;
}

/**
 * Orders prefixes so that what the library renders does not depend on the order the upstreams
 * were given: literal prefixes by code point, unresolved ones after them in their given order
 * (use with a stable sort).
 */
export function comparePrefixes(a: string, b: string): number {
  const ua = Token.isUnresolved(a);
  const ub = Token.isUnresolved(b);
  if (ua || ub) {
    return ua === ub ? 0 : ua ? 1 : -1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}


export const TEMPLATE_DESCRIPTION_MAX_LENGTH = 256;
export const MAX_EXCLUSION_FILTERS = 5;
export const MAX_RESOURCE_TAGS = 50;
export const TAG_KEY_MAX_LENGTH = 128;
export const TAG_VALUE_MAX_LENGTH = 256;

/** ECR applies templates with this value to repositories its pull-through cache creates. */
export const APPLIED_FOR_PULL_THROUGH_CACHE = 'PULL_THROUGH_CACHE';

/**
 * AWS::ECR::RepositoryCreationTemplate's schema (cfn-lint's copy; the API's
 * `CreateRepositoryCreationTemplate` says the same): `RepositoryPolicy` is at most 10,240
 * characters and `LifecyclePolicy` at most 30,720.
 */
export const REPOSITORY_POLICY_MAX_LENGTH = 10240;
export const LIFECYCLE_POLICY_MAX_LENGTH = 30720;
/** AWS::ECR::RegistryPolicy's schema (cfn-lint's copy) and `PutRegistryPolicy`: `PolicyText` is at most 10,240 characters. */
export const REGISTRY_POLICY_MAX_LENGTH = 10240;
