/**
 * Other AWS accounts, or every account of an AWS Organization, that may pull through the cache.
 *
 * Adds `ecr:CreateRepository` and `ecr:BatchImportUpstreamImage` on the cache's prefixes to the
 * registry policy, and a pull statement to the templates' repository policy. The principals also
 * need `grantPull`'s actions in an identity policy of their own account.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/multi-account.md
 */
export interface CrossAccountAccess {
  /**
   * IDs of AWS accounts (12 digits) whose principals may pull through the cache.
   *
   * @default - no account besides those of `organizationId`
   */
  readonly accounts?: string[];

  /**
   * The ID of an AWS Organization whose accounts' principals may pull (condition `aws:PrincipalOrgID`).
   *
   * @default - no organization-wide access
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
   */
  readonly organizationId?: string;
}
