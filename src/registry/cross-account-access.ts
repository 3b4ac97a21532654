/**
 * Other AWS accounts, or every account of an AWS Organization, that may pull through the cache.
 *
 * Give `accounts`, `organizationId` or both. The cache then adds two things:
 *
 * - statements to the registry policy (`RegistryPolicy.getOrCreate(stack)`) that let those principals
 *   make ECR create a cached repository and import the upstream image into it
 *   (`ecr:CreateRepository`, `ecr:BatchImportUpstreamImage`), on the cache's prefixes only;
 * - statements to the repository policy of its repository creation templates that let them pull
 *   (`ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`, `ecr:BatchCheckLayerAvailability`),
 *   merged with `repositoryTemplate.repositoryPolicy`: a cached repository does not exist before
 *   the first pull, so it can only get its policy from the template.
 *
 * ECR enforces the registry policy's `ecr:CreateRepository` on direct calls too, in either
 * registry policy scope:
 * the principals may also create empty repositories under the prefixes themselves, which get no
 * template. With an upstream of prefix `ROOT`, the prefixes are every repository name (warning
 * `cdk-pull-through-cache:crossAccountRootRule`).
 *
 * The principals still need an identity-based policy in their own account that allows the same
 * actions on the cache's repositories, and `ecr:GetAuthorizationToken`; plus `ecr:TagResource`
 * when the templates set `resourceTags` (the first pull tags the repository as the caller).
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html
 */
export interface CrossAccountAccess {
  /**
   * IDs of AWS accounts (12 digits) whose principals may pull through the cache.
   *
   * @default - no account besides those of `organizationId`
   */
  readonly accounts?: string[];

  /**
   * The ID of an AWS Organization (`o-` and 10 to 32 lowercase letters or digits): principals of
   * every account in it may pull through the cache (condition `aws:PrincipalOrgID`).
   *
   * @default - no organization-wide access
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
   */
  readonly organizationId?: string;
}
