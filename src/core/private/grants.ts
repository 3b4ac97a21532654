import { Arn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';
import { api, Warning } from './diagnostics';
import { RegistryLocation } from './location';
import { comparePrefixes, coveringPrefixes, repositoryPattern } from './rules';

/**
 * What a principal needs to pull an image through the cache, the first pull included: reading the
 * image, and letting ECR import it from upstream into a repository it creates.
 */
export const PULL_THROUGH_ACTIONS = [
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchImportUpstreamImage',
  'ecr:CreateRepository',
];

/**
 * The ARN pattern of every repository the cache creates under a prefix (`repository/*` for a
 * ROOT rule). In the stack's partition, or in the partition of the cache's region when that is a
 * literal other than the stack's.
 */
export function cachedRepositoryArn(scope: IConstruct, location: RegistryLocation, prefix: string): string {
  const stack = Stack.of(scope);
  const partition = location.region !== stack.region && !Token.isUnresolved(location.region)
    ? RegionInfo.get(location.region).partition
    : undefined;
  return Arn.format({
    partition,
    service: 'ecr',
    account: location.account,
    region: location.region,
    resource: 'repository',
    resourceName: repositoryPattern(prefix),
  }, stack);
}

/**
 * The conditions under which a grantee may call `ecr:TagResource`: with exactly the creation
 * templates' tags, keys and values. ECR checks the tags when the first pull creates a repository
 * with the templates' tags, and has no condition key that tells a tag on create from a later
 * `TagResource` call.
 *
 * Why both conditions, where ECR's "Using Tag-Based Access Control" page shows only the first:
 * - `StringEquals` `aws:RequestTag/<key>` per template tag is the page's own example. It fixes each
 *   template key's value, and it is the only one of the two that could deny the first pull (if
 *   ECR's tag-on-create left the tag out of the request context). The page also says ECR checks
 *   the tags of a create on `ecr:CreateRepository`, which the grant allows unconditioned, so
 *   either action ECR checks is met.
 * - `ForAllValues:StringEquals` `aws:TagKeys` (a condition key ECR lists in the Service
 *   Authorization Reference) is what stops a direct `TagResource` call from adding a key the
 *   templates do not set alongside theirs: the `aws:RequestTag` conditions name only the
 *   templates' keys. It cannot deny the first pull: `ForAllValues` is true when the request has
 *   no `aws:TagKeys`, and the keys ECR puts are the templates'.
 * Neither is yet shown against AWS itself: the integ test kms-tags-lifecycle makes its first pull
 * with exactly what `grantPull` gives, and is that proof once someone deploys it.
 */
export function tagOnCreateConditions(tags: { [key: string]: string }): Record<string, Record<string, unknown>> {
  const keys = Object.keys(tags).sort();
  return {
    'ForAllValues:StringEquals': { 'aws:TagKeys': keys },
    'StringEquals': Object.fromEntries(keys.map(key => [`aws:RequestTag/${key}`, tags[key]])),
  };
}

/**
 * The tags the first pull puts on a repository it creates: the templates' tags, or `{}` when the
 * templates set tags this app does not know (an import with `repositoryTemplateHasResourceTags`
 * only); `undefined` when the templates set none.
 */
export type TagsOnCreate = { [key: string]: string } | undefined;

/**
 * Whether the grants can limit `ecr:TagResource` to these tags: each key names a condition key
 * (`aws:RequestTag/<key>`), a map key, which a token cannot be. With a key that is a token the
 * grants fall back to `ecr:TagResource` unconditioned (warning `tagResourceUnconditioned`), as
 * for tags that are not known; a value that is a token is a condition value like any other.
 */
export function tagsCanCondition(tags: { [key: string]: string }): boolean {
  const keys = Object.keys(tags);
  return keys.length > 0 && !keys.some(key => Token.isUnresolved(key));
}

/**
 * The warning for a ROOT rule whose templates tag: the grants' `ecr:TagResource` covers
 * `repository/*`, so a grantee can put the templates' tags on any repository of the registry.
 *
 * @param tags where the tags come from, e.g. `repositoryTemplate.resourceTags`
 */
export function rootRuleTagResourceWarning(tags: string): Warning {
  return {
    id: 'rootRuleTagResource',
    message: `an upstream of prefix ROOT with ${tags}: ${api('grantPull')} allows ecr:TagResource with the templates' tags on repository/*, `
      + 'so a grantee can put those tags on any repository of this registry, repositories the cache never created included; '
      + 'a policy that grants access by those tags (aws:ResourceTag/<key>) then grants it to whoever holds the pull grant. '
      + 'Do not grant access by these tags, or give the ROOT rule\'s cache no resource tags',
  };
}

/** The warning for templates that tag, when the grants cannot limit the tags: why, and the fix. */
export function tagResourceUnconditionedWarning(why: string, fix: string): Warning {
  return {
    id: 'tagResourceUnconditioned',
    message: `${why}: ${api('grantPull')} allows ecr:TagResource on the cached repositories with any tags; ${fix}`,
  };
}

/**
 * Grant the pull-through actions on the prefixes' repositories (plus `ecr:TagResource` when the
 * creation template tags them, limited to the templates' tags when they are known), and
 * `ecr:GetAuthorizationToken` (which has no resource) on `*`.
 */
export function grantPullThrough(
  scope: IConstruct, location: RegistryLocation, grantee: iam.IGrantable, prefixes: string[], tagsOnCreate: TagsOnCreate,
): iam.Grant {
  // A ROOT rule's repositories are every repository: `repository/*` covers the other prefixes too.
  const resourceArns = coveringPrefixes(prefixes).sort(comparePrefixes).map(prefix => cachedRepositoryArn(scope, location, prefix));
  const knownTags = tagsOnCreate !== undefined && tagsCanCondition(tagsOnCreate) ? tagsOnCreate : undefined;
  // A template with resource tags makes the first pull tag the new repository as the caller;
  // with unknown tags (or a key that is a token), TagResource stays with the other actions,
  // unconditioned.
  const pull = iam.Grant.addToPrincipal({
    grantee,
    actions: tagsOnCreate !== undefined && !knownTags ? [...PULL_THROUGH_ACTIONS, 'ecr:TagResource'] : PULL_THROUGH_ACTIONS,
    resourceArns,
  });
  const tag = knownTags
    ? [iam.Grant.addToPrincipal({ grantee, actions: ['ecr:TagResource'], resourceArns, conditions: tagOnCreateConditions(knownTags) })]
    : [];
  const token = iam.Grant.addToPrincipal({
    grantee,
    actions: ['ecr:GetAuthorizationToken'],
    resourceArns: ['*'],
  });
  return [...tag, token].reduce((grant, next) => grant.combine(next), pull);
}
