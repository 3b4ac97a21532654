import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Which repository prefixes the cache's repository creation templates cover.
 */
export enum TemplateScope {
  /**
   * One template per upstream, with the upstream's prefix: repositories created by other
   * pull-through cache rules of the registry keep their own settings.
   */
  PER_UPSTREAM = 'PER_UPSTREAM',

  /**
   * One template for any prefix (ECR's `ROOT` template), applied to every repository a
   * pull-through cache rule of this registry creates, including rules this construct does not
   * manage. A registry has a single `ROOT` template.
   */
  ANY_PREFIX = 'ANY_PREFIX',
}

/**
 * Settings of the repositories that ECR creates on the first pull through the cache.
 *
 * They become repository creation templates applied for `PULL_THROUGH_CACHE`.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/registries.md
 */
export interface RepositoryTemplateOptions {
  /**
   * Which prefixes the templates cover.
   *
   * @default TemplateScope.PER_UPSTREAM
   */
  readonly scope?: TemplateScope;

  /**
   * Tag mutability of the cached repositories.
   *
   * A pull-through cache refreshes a tag when the upstream moves it (`latest`, `3`, `1.27`);
   * with immutable tags ECR cannot update the cached image and keeps serving the first one it
   * saw. That is why the default is mutable.
   *
   * @default ecr.TagMutability.MUTABLE
   */
  readonly imageTagMutability?: ecr.TagMutability;

  /**
   * Tags that are exempt from `imageTagMutability`; only with `IMMUTABLE_WITH_EXCLUSION` or
   * `MUTABLE_WITH_EXCLUSION`, 1 to 5 filters.
   *
   * @default - no exclusion filters
   */
  readonly imageTagMutabilityExclusionFilters?: ecr.ImageTagMutabilityExclusionFilter[];

  /**
   * How the cached repositories are encrypted at rest.
   *
   * @default - `RepositoryEncryption.KMS` when `encryptionKey` is given, else `RepositoryEncryption.AES_256`
   */
  readonly encryption?: ecr.RepositoryEncryption;

  /**
   * The customer-managed KMS key, with `RepositoryEncryption.KMS` or `KMS_DSSE`.
   *
   * The construct then creates the role ECR assumes to use the key (the template's
   * `CustomRoleArn`).
   *
   * @default - the AWS managed key `aws/ecr` when the encryption is KMS or KMS_DSSE
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Lifecycle rules of the cached repositories, rendered to a lifecycle policy like
   * `ecr.Repository` does. Use them to bound what the cache costs.
   *
   * @default - no lifecycle policy: cached images are kept until deleted
   */
  readonly lifecycleRules?: ecr.LifecycleRule[];

  /**
   * Resource tags of the cached repositories.
   *
   * The construct then creates the role ECR assumes to tag them (the template's
   * `CustomRoleArn`), and `grantPull` allows `ecr:TagResource` with exactly these tags; with a
   * key that is a token, with any tags (warning `cdk-pull-through-cache:tagResourceUnconditioned`).
   *
   * @default - no tags
   */
  readonly resourceTags?: { [key: string]: string };

  /**
   * The repository policy of the cached repositories.
   *
   * @default - no repository policy
   */
  readonly repositoryPolicy?: iam.PolicyDocument;

  /**
   * Let AWS Lambda functions of the cache's account run the cached images: a statement of the
   * repository policy allows `lambda.amazonaws.com` `ecr:BatchGetImage` and
   * `ecr:GetDownloadUrlForLayer` when `aws:sourceArn` is a function of the cache's account and
   * region. Needed by `CachedImages.dockerImageCode`; applies to repositories created afterwards.
   *
   * @default false
   * @see https://docs.aws.amazon.com/lambda/latest/dg/images-create.html#gettingstarted-images-permissions
   */
  readonly allowLambda?: boolean;

  /**
   * The description of the template, at most 256 characters.
   *
   * @default - a description naming the upstream
   */
  readonly description?: string;
}
