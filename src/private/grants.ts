import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { comparePrefixes, prefixPath } from './rules';

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
 * The ARN pattern of every repository the cache creates under a prefix, in the scope's account
 * and region.
 */
export function cachedRepositoryArn(scope: IConstruct, prefix: string): string {
  return Stack.of(scope).formatArn({ service: 'ecr', resource: 'repository', resourceName: `${prefixPath(prefix)}/*` });
}

/**
 * Grant the pull-through actions on the prefixes' repositories (plus `ecr:TagResource` when the
 * creation template tags them), and `ecr:GetAuthorizationToken` (which has no resource) on `*`.
 */
export function grantPullThrough(
  scope: IConstruct, grantee: iam.IGrantable, prefixes: string[], tagsOnCreate = false,
): iam.Grant {
  const pull = iam.Grant.addToPrincipal({
    grantee,
    // A template with resource tags makes the first pull tag the new repository as the caller.
    actions: tagsOnCreate ? [...PULL_THROUGH_ACTIONS, 'ecr:TagResource'] : PULL_THROUGH_ACTIONS,
    resourceArns: [...prefixes].sort(comparePrefixes).map(prefix => cachedRepositoryArn(scope, prefix)),
  });
  const token = iam.Grant.addToPrincipal({
    grantee,
    actions: ['ecr:GetAuthorizationToken'],
    resourceArns: ['*'],
  });
  return pull.combine(token);
}
