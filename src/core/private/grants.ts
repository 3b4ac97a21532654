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
 * templates' tags. `StringEquals` `aws:RequestTag/<key>` fixes each value (ECR's own example);
 * `ForAllValues:StringEquals` `aws:TagKeys` stops extra keys and holds for a request without keys.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-supported-iam-actions-tagging.html
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
 * Whether the grants can limit `ecr:TagResource` to these tags: no key may be a token (a key names
 * a condition key). Otherwise `ecr:TagResource` is unconditioned (warning `tagResourceUnconditioned`).
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
