import { Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { type RepositoryTemplateOptions, TemplateScope } from '../repository-template';
import { renderRepositoryPolicy } from './cross-account';
import { dependOnRolePolicies } from './dependencies';
import { lifecyclePolicy } from './lifecycle';
import { minimumRenderedLength } from './rendered-length';
import { api, fieldProblem, Warning } from '../../core/private/diagnostics';
import { rootRuleTagResourceWarning, tagResourceUnconditionedWarning, tagsCanCondition } from '../../core/private/grants';
import {
  APPLIED_FOR_PULL_THROUGH_CACHE,
  MAX_EXCLUSION_FILTERS,
  MAX_RESOURCE_TAGS,
  REPOSITORY_POLICY_MAX_LENGTH,
  ROOT_PREFIX,
  TAG_KEY_MAX_LENGTH,
  TAG_VALUE_MAX_LENGTH,
  TEMPLATE_DESCRIPTION_MAX_LENGTH,
  comparePrefixes,
  repositoryPattern,
} from '../../core/private/rules';

/** The KMS condition key that limits CreateGrant to grants an AWS service asks for. */
export const GRANT_IS_FOR_AWS_RESOURCE = 'kms:GrantIsForAWSResource';

const WITH_EXCLUSION = [ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION, ecr.TagMutability.MUTABLE_WITH_EXCLUSION];
const IMMUTABLE = [ecr.TagMutability.IMMUTABLE, ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION];

/**
 * Check the template options against what ECR accepts; messages name each field under `at`
 * (`repositoryTemplate`). The lifecycle rules are checked (and rendered) by `ecr.Repository`.
 */
function templateProblems(options: RepositoryTemplateOptions, at = 'repositoryTemplate'): string[] {
  const problems: string[] = [];
  const field = (name: string) => `${at}.${name}`;
  const mutabilityField = api(field('imageTagMutability'));
  const mutability = options.imageTagMutability ?? ecr.TagMutability.MUTABLE;
  const filters = options.imageTagMutabilityExclusionFilters;
  if (filters !== undefined && !WITH_EXCLUSION.includes(mutability)) {
    problems.push(
      fieldProblem(field('imageTagMutabilityExclusionFilters'), `${filters.length} filter(s) given with ${mutabilityField} '${mutability}'; `
        + 'exclusion filters need IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION: set that, or drop the filters'),
    );
  }
  if (WITH_EXCLUSION.includes(mutability) && (filters === undefined || filters.length === 0)) {
    problems.push(fieldProblem(field('imageTagMutabilityExclusionFilters'),
      `${mutabilityField} '${mutability}' needs 1 to ${MAX_EXCLUSION_FILTERS} exclusion filters, got none: give the tags to exclude, or use ${mutability.replace('_WITH_EXCLUSION', '')}`));
  }
  if (filters !== undefined && filters.length > MAX_EXCLUSION_FILTERS) {
    problems.push(fieldProblem(field('imageTagMutabilityExclusionFilters'), `${filters.length} filters given; ECR allows 1 to ${MAX_EXCLUSION_FILTERS}: merge some into one wildcard`));
  }

  const description = options.description;
  if (description !== undefined && !Token.isUnresolved(description) && description.length > TEMPLATE_DESCRIPTION_MAX_LENGTH) {
    problems.push(fieldProblem(field('description'), `${description.length} characters; ECR allows at most ${TEMPLATE_DESCRIPTION_MAX_LENGTH}: shorten it`));
  }

  if (options.encryptionKey && options.encryption === ecr.RepositoryEncryption.AES_256) {
    problems.push(fieldProblem(field('encryptionKey'), 'a KMS key was given with encryption AES_256; use RepositoryEncryption.KMS or KMS_DSSE, or drop the key'));
  }

  const tags = Object.entries(options.resourceTags ?? {});
  if (tags.length > MAX_RESOURCE_TAGS) {
    problems.push(fieldProblem(field('resourceTags'), `${tags.length} tags given; ECR allows at most ${MAX_RESOURCE_TAGS}: drop some`));
  }
  for (const [key, value] of tags) {
    if (!Token.isUnresolved(key) && (key.length < 1 || key.length > TAG_KEY_MAX_LENGTH || key.startsWith('aws:'))) {
      problems.push(fieldProblem(field('resourceTags'), `key '${key}' must be 1 to ${TAG_KEY_MAX_LENGTH} characters and not start with 'aws:' (AWS reserves it): rename the key`));
    }
    if (!Token.isUnresolved(value) && value.length > TAG_VALUE_MAX_LENGTH) {
      problems.push(fieldProblem(field('resourceTags'), `value of '${key}' must be a string of at most ${TAG_VALUE_MAX_LENGTH} characters: shorten it`));
    }
  }

  for (const error of options.repositoryPolicy ? validateRepositoryPolicy(options.repositoryPolicy) : []) {
    problems.push(fieldProblem(field('repositoryPolicy'), error));
  }
  problems.push(...lifecyclePolicy(options.lifecycleRules ?? [], field('lifecycleRules')).problems);
  return problems;
}

/**
 * Check a repository policy as a resource-based policy whose statements name no resource (the
 * repository is the resource), as `ecr.Repository` does. aws-cdk-lib 2.257 checks no resource;
 * newer releases do unless told to skip it, with an option 2.257's signature does not have: the
 * option is passed through a wider signature and ignored by the old release.
 */
function validateRepositoryPolicy(policy: iam.PolicyDocument): string[] {
  const validate = policy.validateForResourcePolicy.bind(policy) as (options?: { skipResourceValidation?: boolean }) => string[];
  return validate({ skipResourceValidation: true });
}

/** Legal template options that are likely not what a cache wants. */
function templateWarnings(options: RepositoryTemplateOptions): Warning[] {
  const warnings: Warning[] = [];
  if (options.imageTagMutability && IMMUTABLE.includes(options.imageTagMutability)) {
    warnings.push({
      id: 'immutableTags',
      message: `${api('repositoryTemplate.imageTagMutability')} is ${options.imageTagMutability}: when an upstream moves a tag (latest, 3, 1.27) the cache cannot update it and keeps serving the image it first pulled; `
        + 'use TagMutability.MUTABLE to follow moved tags, or acknowledge this warning to keep the first image',
    });
  }
  const statements = options.repositoryPolicy?.toJSON()?.Statement ?? [];
  if (statements.some((s: any) => s.Effect === 'Allow' && isAnyPrincipal(s.Principal) && s.Condition === undefined)) {
    warnings.push({
      id: 'publicRepositoryPolicy',
      message: `${api('repositoryTemplate.repositoryPolicy')} allows any principal (*) without a condition: every AWS account could pull the cached images; `
        + 'name the accounts or the organization, or add a condition',
    });
  }
  return warnings;
}

/** A cache's `repositoryTemplate`, checked: its scope, the prefixes its templates cover, what is wrong and risky. */
export interface TemplatePlan {
  readonly scope: TemplateScope;
  /** The prefixes the repository creation templates cover: the upstreams' prefixes, or ROOT. */
  readonly prefixes: string[];
  readonly problems: string[];
  readonly warnings: Warning[];
  /** Create the template role, when one is needed, and return what renders the templates. */
  renderer(cache: Construct, extraPolicyStatements: iam.PolicyStatement[]): TemplateRenderer;
}

/** Check a cache's `repositoryTemplate` against ECR's limits and its upstreams' prefixes. */
export function planTemplates(options: RepositoryTemplateOptions, rulePrefixes: string[]): TemplatePlan {
  const scope = options.scope ?? TemplateScope.PER_UPSTREAM;
  const warnings = templateWarnings(options);
  const tagged = Object.keys(options.resourceTags ?? {}).length > 0;
  if (tagged && !tagsCanCondition(options.resourceTags!)) {
    warnings.push(tagResourceUnconditionedWarning(`a key of ${api('repositoryTemplate.resourceTags')} is a token, which cannot name a condition key (aws:RequestTag/<key>)`,
      'give the tag keys as literals (values may be tokens) to allow only the templates\' tags'));
  }
  if (tagged && rulePrefixes.includes(ROOT_PREFIX)) {
    warnings.push(rootRuleTagResourceWarning(api('repositoryTemplate.resourceTags')));
  }
  const prefixes = scope === TemplateScope.ANY_PREFIX ? [ROOT_PREFIX] : rulePrefixes;
  return {
    scope,
    prefixes,
    problems: templateProblems(options, 'repositoryTemplate'),
    warnings,
    renderer: (cache, extra) => new TemplateRenderer(cache, options, prefixes, extra),
  };
}

/**
 * What an imported cache says of its templates' tags, checked: a contradiction is a problem; tags
 * the grants cannot condition on, or a ROOT rule's tagging, a warning.
 */
export function planImportedTemplateTags(
  hasResourceTags: boolean | undefined, resourceTags: { [key: string]: string } | undefined, rulePrefixes: string[],
): { readonly tagged: boolean; readonly tags?: { [key: string]: string }; readonly problems: string[]; readonly warnings: Warning[] } {
  const known = resourceTags !== undefined && Object.keys(resourceTags).length > 0;
  const problems: string[] = [];
  if (hasResourceTags === false && known) {
    problems.push(fieldProblem('repositoryTemplateHasResourceTags', `false, but ${api('repositoryTemplateResourceTags')} gives ${Object.keys(resourceTags).length} tag(s); `
      + `templates with tags make the first pull tag the repository: drop ${api('repositoryTemplateHasResourceTags')} or set it to true`));
  }
  const tagged = hasResourceTags ?? known;
  const tags = known ? { ...resourceTags } : undefined;
  const warnings: Warning[] = [];
  const unconditioned = tagged && tags === undefined
    ? tagResourceUnconditionedWarning(`${api('repositoryTemplateHasResourceTags')} without ${api('repositoryTemplateResourceTags')}`,
      `give the templates' tags as ${api('repositoryTemplateResourceTags')} to allow only those`)
    : tags !== undefined && !tagsCanCondition(tags)
      ? tagResourceUnconditionedWarning(`a key of ${api('repositoryTemplateResourceTags')} is a token, which cannot name a condition key (aws:RequestTag/<key>)`,
        'give the tag keys as literals (values may be tokens) to allow only the templates\' tags')
      : undefined;
  if (unconditioned) {
    warnings.push(unconditioned);
  }
  if (tagged && rulePrefixes.includes(ROOT_PREFIX)) {
    warnings.push(rootRuleTagResourceWarning(`tagging repository creation templates (${api('repositoryTemplateHasResourceTags')})`));
  }
  return { tagged, tags, problems, warnings };
}

function isAnyPrincipal(principal: any): boolean {
  return principal === '*' || principal?.AWS === '*' || (Array.isArray(principal?.AWS) && principal.AWS.includes('*'));
}

/**
 * A grantee whose statements carry `conditions` wherever `kms.IKey.grant` puts them: in the
 * principal's policy and in the key policy, which `iam.Grant` builds without conditions unless
 * the principal carries them. Not a construct, so KMS's checks see through to the role.
 */
class ConditionalGrantee implements iam.IGrantable {
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(principal: iam.IPrincipal, conditions: iam.Conditions) {
    this.grantPrincipal = new (class extends iam.PrincipalWithConditions {
      public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
        statement.addConditions(conditions);
        return super.addToPrincipalPolicy(statement);
      }
    })(principal, conditions);
  }
}

/**
 * What every repository creation template of one cache shares, and the role ECR assumes to apply
 * them when resource tags or a customer-managed key need one.
 */
export class TemplateRenderer {
  public readonly role?: iam.Role;
  private readonly properties: Omit<ecr.CfnRepositoryCreationTemplateProps, 'prefix' | 'appliedFor'>;

  constructor(
    scope: Construct, private readonly options: RepositoryTemplateOptions, templatePrefixes: string[],
    extraPolicyStatements: iam.PolicyStatement[] = [],
  ) {
    const key = options.encryptionKey;
    const encryption = options.encryption ?? (key ? ecr.RepositoryEncryption.KMS : ecr.RepositoryEncryption.AES_256);
    const tags = Object.entries(options.resourceTags ?? {}).sort(([a], [b]) => a.localeCompare(b));

    if (tags.length > 0 || key) {
      this.role = new iam.Role(scope, 'TemplateRole', {
        assumedBy: new iam.ServicePrincipal('ecr.amazonaws.com'),
        description: 'Assumed by ECR to apply the pull-through cache repository creation templates',
      });
      const repositories = [...templatePrefixes].sort(comparePrefixes).map(prefix => Stack.of(scope).formatArn({
        service: 'ecr',
        resource: 'repository',
        resourceName: repositoryPattern(prefix),
      }));
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: tags.length > 0 ? ['ecr:CreateRepository', 'ecr:TagResource'] : ['ecr:CreateRepository'],
        resources: repositories,
      }));
      if (key) {
        // ECR creates the new repository's grants on the key, as the role (ECR guide, "Encryption
        // at rest"): CreateGrant only when an AWS service integrated with KMS asks for it, not a
        // caller holding the role's credentials (KMS guide, "Controlling access to grants").
        key.grant(new ConditionalGrantee(this.role, { Bool: { [GRANT_IS_FOR_AWS_RESOURCE]: true } }), 'kms:CreateGrant');
        key.grant(this.role, 'kms:RetireGrant', 'kms:DescribeKey');
      }
    }

    this.properties = {
      imageTagMutability: options.imageTagMutability ?? ecr.TagMutability.MUTABLE,
      imageTagMutabilityExclusionFilters: options.imageTagMutabilityExclusionFilters?.map(f => f._render()),
      encryptionConfiguration: {
        encryptionType: encryption.value,
        kmsKey: key?.keyArn,
      },
      lifecyclePolicy: lifecyclePolicy(options.lifecycleRules ?? [], 'repositoryTemplate.lifecycleRules').text,
      repositoryPolicy: renderRepositoryPolicy(scope, options.repositoryPolicy, extraPolicyStatements),
      resourceTags: tags.length > 0 ? tags.map(([k, v]) => ({ key: k, value: v })) : undefined,
      customRoleArn: this.role?.roleArn,
    };

    // The policy renders only at synthesis (it may merge the crossAccountAccess statements, and
    // IAM's minimizePolicies flag applies then), so its length is checked then.
    const policy = this.properties.repositoryPolicy;
    if (policy !== undefined) {
      scope.node.addValidation({
        validate: () => {
          const { length, exact } = minimumRenderedLength(Stack.of(scope).resolve(policy));
          return length > REPOSITORY_POLICY_MAX_LENGTH
            ? [
              `PullThroughCache at '${scope.node.path}': ` + fieldProblem('repositoryTemplate.repositoryPolicy', 'the repository policy of the templates renders to '
              + `${exact ? '' : 'at least '}${length} characters${extraPolicyStatements.length > 0 ? ` (with the ${api('crossAccountAccess')} statements)` : ''}; `
              + `ECR allows at most ${REPOSITORY_POLICY_MAX_LENGTH}: fewer or shorter statements`),
            ]
            : [];
        },
      });
    }
  }

  /** Create the template for one prefix. */
  public template(scope: Construct, id: string, prefix: string): ecr.CfnRepositoryCreationTemplate {
    const template = new ecr.CfnRepositoryCreationTemplate(scope, id, this.render(prefix));
    dependOnRolePolicies(template, this.role);
    return template;
  }

  /** The template properties for one prefix. */
  private render(prefix: string): ecr.CfnRepositoryCreationTemplateProps {
    return {
      ...this.properties,
      prefix,
      appliedFor: [APPLIED_FOR_PULL_THROUGH_CACHE],
      description: this.options.description ?? defaultDescription(prefix),
    };
  }
}

function defaultDescription(prefix: string): string {
  return prefix === ROOT_PREFIX
    ? 'Repositories created by any ECR pull-through cache rule of this registry'
    : `Repositories created by the ECR pull-through cache rule '${prefix}'`;
}
