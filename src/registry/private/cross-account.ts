import { Lazy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { api, fieldProblem, Warning } from '../../core/private/diagnostics';
import { ACCOUNT_ID_PATTERN, comparePrefixes, coveringPrefixes, repositoryPattern, ROOT_PREFIX } from '../../core/private/rules';
import type { CrossAccountAccess } from '../cross-account-access';

/** An AWS Organizations organization ID. */
export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;

/**
 * What the registry policy grants other accounts on the cache's prefixes: the registry-level
 * permissions of a first pull (ECR enforces only these, and `ecr:ReplicateImage`, at the
 * registry level unless the registry uses policy scope V2).
 */
export const REGISTRY_POLICY_ACTIONS = ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'];

/** What the cached repositories' policy grants other accounts: reading images. */
export const REPOSITORY_POLICY_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

/** Check `crossAccountAccess`; messages name each field under `at`. */
export function crossAccountProblems(access: CrossAccountAccess, at = 'crossAccountAccess'): string[] {
  const problems: string[] = [];
  const field = (name: string) => `${at}.${name}`;
  const accounts = access.accounts ?? [];
  accounts.forEach((account, index) => {
    if (!Token.isUnresolved(account) && !ACCOUNT_ID_PATTERN.test(account)) {
      problems.push(fieldProblem(field(`accounts[${index}]`), `${JSON.stringify(account)} is not an AWS account ID: give its 12 digits`));
    }
  });
  const organizationId = access.organizationId;
  if (organizationId !== undefined && !Token.isUnresolved(organizationId) && !ORGANIZATION_ID_PATTERN.test(organizationId)) {
    problems.push(
      fieldProblem(field('organizationId'), `${JSON.stringify(organizationId)} is not an AWS Organizations ID: give 'o-' and 10 to 32 lowercase letters or digits `
        + '(aws organizations describe-organization shows it)'),
    );
  }
  if (accounts.length === 0 && organizationId === undefined) {
    problems.push(fieldProblem(field('accounts'), `none given, and no ${api('organizationId')}: give accounts, ${api('organizationId')} or both`));
  }
  return problems;
}

/** Legal cross-account choices that likely grant more than meant. */
export function crossAccountWarnings(access: CrossAccountAccess | undefined, templatePrefixes: string[], rulePrefixes: string[]): Warning[] {
  if (access === undefined) {
    return [];
  }
  const warnings: Warning[] = [];
  if (rulePrefixes.includes(ROOT_PREFIX)) {
    // A ROOT rule creates each cached repository under its upstream name, any name: the registry
    // policy cannot name fewer repositories than repository/* and still let the first pull work.
    warnings.push({
      id: 'crossAccountRootRule',
      message: `${api('crossAccountAccess')} with an upstream of prefix ROOT: the registry policy lets `
        + `${access.organizationId !== undefined ? 'every account of the organization' : 'the accounts'} `
        + 'call ecr:CreateRepository and ecr:BatchImportUpstreamImage on repository/*, every repository name of this registry, '
        + 'since a ROOT rule creates repositories under any name. ECR enforces the ecr:CreateRepository of a registry policy on direct calls too, in either registry policy scope, '
        + 'so their principals can create empty repositories of any name here (not push to them), without the creation template. '
        + 'Give the ECR upstream a prefix to limit them to repository/<prefix>/*',
    });
  }
  if (templatePrefixes.includes(ROOT_PREFIX)) {
    warnings.push({
      id: 'crossAccountAnyPrefix',
      message: `${api('crossAccountAccess')} with a ROOT repository creation template (${api('repositoryTemplate.scope')} ANY_PREFIX, or an upstream with the prefix ROOT): `
        + 'the ROOT template gives its repository policy to every repository any pull-through cache rule of the registry creates without a template of its own, '
        + 'so the other accounts may also pull images cached by rules this construct does not manage; '
        + 'keep TemplateScope.PER_UPSTREAM (the default) to share only this cache\'s prefixes, or acknowledge this warning when every rule of the registry is this cache\'s',
    });
  }
  return warnings;
}

/** A cache's `crossAccountAccess`, checked: what is wrong and risky, and the statements it adds once valid. */
export interface CrossAccountPlan {
  readonly problems: string[];
  readonly warnings: Warning[];
  /** The statements of the creation templates' repository policy. */
  templateStatements(): iam.PolicyStatement[];
  /** The statements of the registry policy, on the repositories of `prefixes`. */
  registryStatements(scope: IConstruct, prefixes: string[]): iam.PolicyStatement[];
}

/**
 * Check a cache's `crossAccountAccess` (none: nothing to check or add) against the prefixes of its
 * templates and rules.
 */
export function planCrossAccountAccess(access: CrossAccountAccess | undefined, templatePrefixes: string[], rulePrefixes: string[]): CrossAccountPlan {
  return {
    problems: access ? crossAccountProblems(access, 'crossAccountAccess') : [],
    warnings: crossAccountWarnings(access, templatePrefixes, rulePrefixes),
    templateStatements: () => templatePolicyStatements(access),
    registryStatements: (scope, prefixes) => access ? registryPolicyStatements(scope, access, prefixes) : [],
  };
}

/**
 * The principals of the access: the accounts in one statement, the organization in another. The
 * accounts are de-duplicated and sorted (tokens last, in their given order), so reordering them
 * does not change the policies.
 */
function principalGroups(access: CrossAccountAccess): iam.IPrincipal[][] {
  const groups: iam.IPrincipal[][] = [];
  const accounts = [...new Set(access.accounts ?? [])].sort(comparePrefixes);
  if (accounts.length > 0) {
    groups.push(accounts.map(account => new iam.AccountPrincipal(account)));
  }
  if (access.organizationId !== undefined) {
    groups.push([new iam.OrganizationPrincipal(access.organizationId)]);
  }
  return groups;
}

/** The registry policy statements: first-pull permissions on the prefixes' repositories only. */
export function registryPolicyStatements(scope: IConstruct, access: CrossAccountAccess, prefixes: string[]): iam.PolicyStatement[] {
  const resources = coveringPrefixes(prefixes).sort(comparePrefixes)
    .map(prefix => Stack.of(scope).formatArn({ service: 'ecr', resource: 'repository', resourceName: repositoryPattern(prefix) }));
  return principalGroups(access).map(principals => new iam.PolicyStatement({
    principals,
    actions: REGISTRY_POLICY_ACTIONS,
    resources,
  }));
}

/** The repository policy statements of the creation templates: pulling images. */
export function templatePolicyStatements(access: CrossAccountAccess | undefined): iam.PolicyStatement[] {
  if (access === undefined) {
    return [];
  }
  return principalGroups(access).map(principals => new iam.PolicyStatement({
    principals,
    actions: REPOSITORY_POLICY_ACTIONS,
  }));
}

/**
 * The repository policy of a creation template, as a JSON string: the user's policy, followed by
 * the cross-account statements when there are any (the user's policy alone renders as before).
 */
export function renderRepositoryPolicy(
  scope: IConstruct, policy: iam.PolicyDocument | undefined, extra: iam.PolicyStatement[],
): string | undefined {
  const stack = Stack.of(scope);
  if (extra.length === 0) {
    return policy ? stack.toJsonString(policy) : undefined;
  }
  const own = new iam.PolicyDocument({ statements: extra });
  return stack.toJsonString({
    Version: '2012-10-17',
    Statement: Lazy.any({
      produce: () => [...(policy?.isEmpty === false ? policy.toJSON().Statement : []), ...own.toJSON().Statement],
    }),
  });
}
