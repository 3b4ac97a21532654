import { Arn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';
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

/** The account and region of a cache's registry, as its `env` gives them. */
export interface RegistryLocation {
  readonly account: string;
  readonly region: string;
}

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
 * Grant the pull-through actions on the prefixes' repositories (plus `ecr:TagResource` when the
 * creation template tags them), and `ecr:GetAuthorizationToken` (which has no resource) on `*`.
 */
export function grantPullThrough(
  scope: IConstruct, location: RegistryLocation, grantee: iam.IGrantable, prefixes: string[], tagsOnCreate: boolean,
): iam.Grant {
  // A ROOT rule's repositories are every repository: `repository/*` covers the other prefixes too.
  const granted = coveringPrefixes(prefixes);
  const pull = iam.Grant.addToPrincipal({
    grantee,
    // A template with resource tags makes the first pull tag the new repository as the caller.
    actions: tagsOnCreate ? [...PULL_THROUGH_ACTIONS, 'ecr:TagResource'] : PULL_THROUGH_ACTIONS,
    resourceArns: granted.sort(comparePrefixes).map(prefix => cachedRepositoryArn(scope, location, prefix)),
  });
  const token = iam.Grant.addToPrincipal({
    grantee,
    actions: ['ecr:GetAuthorizationToken'],
    resourceArns: ['*'],
  });
  return pull.combine(token);
}
