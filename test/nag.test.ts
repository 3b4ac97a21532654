import { CfnResource, PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, IApplyRule, NagRuleCompliance, NagRuleResult, NIST80053R5Checks } from 'cdk-nag';
// The function cdk-nag's IAM5 rule uses to name a wildcard resource in a finding
// (`AwsSolutions-IAM5[Resource::<flattened ARN>]`), so the findings we acknowledge are spelled
// exactly as cdk-nag reports them.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { IConstruct } from 'constructs';
import { PULL_ACTIONS } from './support/cache-fixtures';
import { buildLintedMatrix } from './support/linted-matrix';
import { matrixStacks } from './support/matrix';

/*
 * cdk-nag over every stack of the configuration matrix (test/support/matrix.ts, plus the Kubernetes example:
 * test/support/linted-matrix.ts), with two packs:
 *
 * - AwsSolutionsChecks: the general AWS best-practice pack.
 * - NIST80053R5Checks: of the other packs it has the most rules (85) and covers exactly what this
 *   library creates: IAM policies (no admin/full access, no inline policy), Secrets Manager
 *   (rotation, customer-managed key) and KMS (key rotation). HIPAA, PCI DSS and NIST R4 check a
 *   subset of the same IAM/Secrets Manager/KMS rules; the Serverless pack checks nothing we create.
 *
 * cdk-nag 3 on aws-cdk-lib 2.257 is run with `validateScope(stack)`: Aspects are gone in cdk-nag 3,
 * and as a Validations plugin it needs `appConstruct` on the validation context, which this CDK
 * version does not provide. The report lists violations; acknowledged findings are left out.
 *
 * Every acknowledgement below is narrow: one CloudFormation resource (construct path), one rule id
 * (for IAM5, one finding: one wildcard resource), and only when the statement behind it is the one
 * we reviewed (exact action sets); anything else stays a violation and fails the test.
 */

/**
 * Rule evaluations of a pack: every rule runs on every CloudFormation resource (`evaluations`);
 * `applicable` counts those that did not answer NOT_APPLICABLE, i.e. that checked something.
 */
interface Counter {
  evaluations: number;
  applicable: number;
}

/** The rule of `params`, counted in `counter`. */
function counted(counter: Counter, params: IApplyRule): IApplyRule {
  counter.evaluations++;
  const rule = params.rule;
  const countedRule = (node: CfnResource): NagRuleResult => {
    const result = rule(node);
    if (result !== NagRuleCompliance.NOT_APPLICABLE) {
      counter.applicable++;
    }
    return result;
  };
  // cdk-nag names the rule after the function's name: keep it.
  Object.defineProperty(countedRule, 'name', { value: rule.name });
  return { ...params, rule: countedRule };
}

class CountingAwsSolutionsChecks extends AwsSolutionsChecks {
  public readonly counter: Counter = { evaluations: 0, applicable: 0 };
  protected applyRule(params: IApplyRule): void {
    super.applyRule(counted(this.counter, params));
  }
}

class CountingNist80053R5Checks extends NIST80053R5Checks {
  public readonly counter: Counter = { evaluations: 0, applicable: 0 };
  protected applyRule(params: IApplyRule): void {
    super.applyRule(counted(this.counter, params));
  }
}

/** What the template role (`cache.templateRole`) may do on the cached repositories. */
const TEMPLATE_ROLE_ACTIONS = ['ecr:CreateRepository', 'ecr:TagResource'];
/** What the ECR-to-ECR upstream role needs (README, AWS ECR user guide pull-through-cache-private). */
const ECR_UPSTREAM_ROLE_ACTIONS = [
  'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchImportUpstreamImage', 'ecr:GetImageCopyStatus',
  'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage',
];

/**
 * `repository/<prefix>/*` (or `repository/*` for a ROOT template) in any partition, region and
 * account, as flattenCfnReference spells it (`arn:<AWS::Partition>:ecr:<AWS::Region>:...`).
 */
const ARN_PART = '(?:<[^>]+>|[^:<>]+)';
const REPOSITORY_WILDCARD = new RegExp(`^arn:${ARN_PART}:ecr:${ARN_PART}:${ARN_PART}:repository/(?:[a-z0-9._\\-/]+/)?\\*$`);

const REASONS = {
  tokenOnStar:
    'ecr:GetAuthorizationToken has no resource type in the IAM Service Authorization Reference, so it can only be '
    + 'granted on "*"; the statement holds that action alone.',
  cachedRepositories:
    'ECR creates the cached repositories on the first pull (<prefix>/<upstream repository>), so their names are not '
    + 'known when the policy is written; the wildcard is bounded to this cache\'s prefix (repository/<prefix>/*, or '
    + 'repository/* only for the ROOT template that ECR applies to every repository it creates) and the actions to '
    + 'the pull-through set, with no ecr:* action.',
  ecrUpstreamRole:
    'The ECR-to-ECR upstream role (user code in the matrix, as README shows it) reads whichever upstream repository '
    + 'an image is pulled from and writes the cache repository ECR creates for it; both names are only known at pull '
    + 'time. The wildcard is bounded to one registry and prefix and the actions are the list AWS documents for it.',
  defaultPolicy:
    'The policy is the role\'s own DefaultPolicy, which iam.Grant writes for grants (grantPull, key.grant); it is '
    + 'attached to exactly one role, created and deleted with it, and holds only least-privilege statements checked '
    + 'by AwsSolutions-IAM5 above. A managed policy would add a reusable identity nobody else should attach.',
  organizationPrincipal:
    'The registry policy names principal "*" only together with the condition aws:PrincipalOrgID, which limits it '
    + 'to the accounts of one AWS Organization (the crossAccountAccess.organizationId the user chose); the actions '
    + 'are ecr:CreateRepository and ecr:BatchImportUpstreamImage on the cache\'s prefixes only.',
  secretRotation:
    'The secret holds an access token issued by a third-party registry (Docker Hub, GitHub, GitLab, Azure, '
    + 'Chainguard). A Secrets Manager rotation Lambda cannot mint a new token there (they are created in the '
    + 'registry\'s UI/account), so the token is rotated at the upstream and put with `aws secretsmanager '
    + 'put-secret-value`, as README documents.',
  exampleWithoutLogging:
    'The consumer-account example (examples/consumer-account-stacks.ts) shows how a workload account pulls through an '
    + 'imported cache and leaves container logging to the reader; the EcsWorkload stack of this matrix shows a task '
    + 'with an encrypted, retained log group.',
  warmUpLogs:
    'The CachedImages handler and the aws-cdk-lib custom-resources Provider framework function write their logs with '
    + 'AWSLambdaBasicExecutionRole, as every aws-cdk-lib custom-resource provider does (CloudWatch Logs only).',
  warmUpRuntime:
    'The CachedImages handler pins nodejs22.x, a supported runtime that bundles the AWS SDK v3 it loads; the oldest '
    + 'aws-cdk-lib this library supports has no newer constant, and a pinned runtime keeps the template stable. The '
    + 'Provider framework function\'s runtime is aws-cdk-lib\'s choice.',
  warmUpInvoke:
    'The Provider framework (aws-cdk-lib custom-resources) may invoke the CachedImages handler and its versions '
    + '(<handler ARN>:*), and nothing else.',
  warmUpFunction:
    'A custom-resource function runs only when CloudFormation creates or updates the CachedImages resource, '
    + 'synchronously: no concurrency limit, dead-letter queue or VPC applies (a VPC would need a NAT or ECR endpoints '
    + 'to reach the cache host). CachedImages works from a VPC-less function on purpose.',
  exampleFunction:
    'The WarmImages stack of this matrix shows a Lambda function that runs from the cache; its concurrency, '
    + 'dead-letter queue, VPC and logs are the reader\'s choice, as in any DockerImageFunction.',
  eksManagedPolicies:
    'EKS requires these AWS managed policies on the roles it assumes: the cluster role (Auto Mode: cluster, compute, '
    + 'block storage, load balancing, networking), the Auto Mode node role (AmazonEKSWorkerNodeMinimalPolicy, '
    + 'AmazonEC2ContainerRegistryPullOnly) and the Fargate pod execution role; AWS maintains them with the service. '
    + 'The cluster and pod execution roles are aws-eks-v2\'s own.',
  kubectlProvider:
    'aws-eks-v2\'s kubectl provider (a Lambda function and its custom-resources Provider framework function) with the '
    + 'managed policies, runtime, concurrency and dead-letter settings aws-cdk-lib gives it; it runs in the cluster\'s '
    + 'VPC (the API endpoint is private) only when CloudFormation applies a manifest, and may invoke only its handler.',
  natRoute:
    'The public subnets hold only the NAT gateway (no public IP on launch); their default route to the internet '
    + 'gateway is how the nodes in the private subnets reach EKS and ECR. Nodes and pods have no route from the internet.',
  secretAwsManagedKey:
    'ECR\'s pull-through cache reads only secrets encrypted with the AWS managed key aws/secretsmanager; a secret '
    + 'encrypted with a customer-managed key makes every pull fail, so the construct rejects one on purpose.',
};

/**
 * Record that a rule id (or one finding, `Rule[Finding]`) was reviewed on one construct, where
 * cdk-nag reads it: `Validations.ACKNOWLEDGED_RULES_METADATA_KEY` metadata. This is the record
 * `Validations.of(c).acknowledge()` writes; we write it directly because `acknowledge()` rejects
 * ids with more than one `::`, and IAM5 findings on Fn::Join ARNs have several
 * (`Resource::arn:<AWS::Partition>:ecr:...`).
 */
function acknowledge(construct: IConstruct, id: string, reason: string, log: Acknowledgement[]): void {
  construct.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: reason });
  log.push({ path: construct.node.path, id });
}

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every(x => b.includes(x));
}

/** The reason a wildcard resource in a statement is acceptable, or undefined when it was not reviewed. */
function wildcardReason(actions: string[], resource: string): string | undefined {
  if (resource === '*') {
    return sameSet(actions, ['ecr:GetAuthorizationToken']) ? REASONS.tokenOnStar : undefined;
  }
  if (!REPOSITORY_WILDCARD.test(resource)) {
    return undefined;
  }
  // What grantPull/grantPullFromUpstream give on the cached repositories, plus ecr:TagResource when
  // the creation template tags them (in its own conditioned statement, or with these actions when an
  // import does not know the tags).
  const isPull = sameSet(actions, PULL_ACTIONS) || sameSet(actions, [...PULL_ACTIONS, 'ecr:TagResource']);
  if (isPull || (actions.length > 0 && actions.every(a => TEMPLATE_ROLE_ACTIONS.includes(a)))) {
    return REASONS.cachedRepositories;
  }
  if (sameSet(actions, ECR_UPSTREAM_ROLE_ACTIONS)) {
    return REASONS.ecrUpstreamRole;
  }
  return undefined;
}

/** The Provider framework's invoke of the CachedImages handler's versions (`<handler ARN>:*`). */
function providerInvokeReason(actions: string[], resource: string): string | undefined {
  return sameSet(actions, ['lambda:InvokeFunction']) && /^<CachedImagesHandler9f3c[A-F0-9]+\.Arn>:\*$/.test(resource)
    ? REASONS.warmUpInvoke
    : undefined;
}

const KUBECTL_PROVIDER = 'KubernetesExample/Cluster/KubectlProvider';
const LAMBDA_SERVICE_POLICIES = ['service-role/AWSLambdaBasicExecutionRole', 'service-role/AWSLambdaVPCAccessExecutionRole'];
/** The AWS managed policies of the Kubernetes example's roles (examples/kubernetes-stack.ts), by role resource. */
const KUBERNETES_MANAGED_POLICIES: Record<string, { policies: string[]; reason: string }> = {
  'KubernetesExample/AutoModeNodeRole/Resource': {
    policies: ['AmazonEKSWorkerNodeMinimalPolicy', 'AmazonEC2ContainerRegistryPullOnly'], reason: REASONS.eksManagedPolicies,
  },
  'KubernetesExample/Cluster/Role/Resource': {
    policies: ['AmazonEKSClusterPolicy', 'AmazonEKSComputePolicy', 'AmazonEKSBlockStoragePolicy', 'AmazonEKSLoadBalancingPolicy', 'AmazonEKSNetworkingPolicy'],
    reason: REASONS.eksManagedPolicies,
  },
  'KubernetesExample/Cluster/fargate-profile-Apps/PodExecutionRole/Resource': {
    policies: ['AmazonEKSFargatePodExecutionRolePolicy'], reason: REASONS.eksManagedPolicies,
  },
  [`${KUBECTL_PROVIDER}/Handler/ServiceRole/Resource`]: {
    policies: [...LAMBDA_SERVICE_POLICIES, 'AmazonEC2ContainerRegistryReadOnly'], reason: REASONS.kubectlProvider,
  },
  [`${KUBECTL_PROVIDER}/Provider/framework-onEvent/ServiceRole/Resource`]: {
    policies: LAMBDA_SERVICE_POLICIES, reason: REASONS.kubectlProvider,
  },
};
/** The kubectl handler's ECR Public read policy, which aws-eks-v2 attaches under a condition (as cdk-nag names it). */
const KUBECTL_ECR_PUBLIC_POLICY = '{"Fn::If":["ClusterKubectlProviderHandlerHasEcrPublic69E09706",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},'
  + '":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}';

/** Acknowledge the reviewed findings of the Kubernetes example: EKS's required roles and aws-eks-v2's kubectl provider. */
function acknowledgeKubernetesExample(construct: IConstruct, log: Acknowledgement[]): void {
  const path = construct.node.path;
  const managed = KUBERNETES_MANAGED_POLICIES[path];
  if (managed && construct instanceof iam.CfnRole) {
    for (const policy of managed.policies) {
      acknowledge(construct, `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`, managed.reason, log);
    }
    if (path === `${KUBECTL_PROVIDER}/Handler/ServiceRole/Resource`) {
      acknowledge(construct, `AwsSolutions-IAM4[Policy::${KUBECTL_ECR_PUBLIC_POLICY}]`, REASONS.kubectlProvider, log);
    }
  }
  if (construct instanceof lambda.CfnFunction && /^KubernetesExample\/Cluster\/KubectlProvider\/(Handler|Provider\/framework-onEvent)\/Resource$/.test(path)) {
    for (const rule of ['AwsSolutions-L1', 'NIST.800.53.R5-LambdaConcurrency', 'NIST.800.53.R5-LambdaDLQ']) {
      acknowledge(construct, rule, REASONS.kubectlProvider, log);
    }
  }
  if (construct instanceof ec2.CfnRoute && /^KubernetesExample\/Vpc\/PublicSubnet\d\/DefaultRoute$/.test(path)) {
    acknowledge(construct, 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW', REASONS.natRoute, log);
  }
}

/** The kubectl Provider framework's invoke of its handler's versions (`<handler ARN>:*`). */
function kubectlInvokeReason(actions: string[], resource: string): string | undefined {
  return sameSet(actions, ['lambda:InvokeFunction']) && /^<ClusterKubectlProviderHandler[A-F0-9]+\.Arn>:\*$/.test(resource)
    ? REASONS.kubectlProvider
    : undefined;
}

/** Acknowledge the findings a security reviewer accepted, one resource and one finding at a time. */
function acknowledgeReviewedFindings(stack: Stack): Acknowledgement[] {
  const log: Acknowledgement[] = [];
  for (const construct of stack.node.findAll()) {
    acknowledgeKubernetesExample(construct, log);
    // The secrets PullThroughCacheSecret.create makes: ECR reads only those with this name prefix.
    if (construct instanceof secretsmanager.CfnSecret && String(construct.name).startsWith('ecr-pullthroughcache/')) {
      const resource = construct;
      acknowledge(resource, 'AwsSolutions-SMG4', REASONS.secretRotation, log);
      acknowledge(resource, 'NIST.800.53.R5-SecretsManagerRotationEnabled', REASONS.secretRotation, log);
      acknowledge(resource, 'NIST.800.53.R5-SecretsManagerUsingKMSKey', REASONS.secretAwsManagedKey, log);
    }

    if (construct.node.path === 'ConsumerExampleWorkload/Task/Resource') {
      acknowledge(construct as CfnResource, 'AwsSolutions-ECS7', REASONS.exampleWithoutLogging, log);
    }

    // CachedImages: its handler and Provider framework function, and the matrix's function from the cache.
    const parentPath = construct.node.scope?.node.path ?? '';
    const warmUp = /\/CachedImages(Handler|Provider)9f3c(\/framework-onEvent)?$/.test(parentPath);
    if (construct instanceof lambda.CfnFunction && (warmUp || parentPath === 'WarmImages/FromCache')) {
      const reason = warmUp ? REASONS.warmUpFunction : REASONS.exampleFunction;
      for (const rule of ['NIST.800.53.R5-LambdaConcurrency', 'NIST.800.53.R5-LambdaDLQ', 'NIST.800.53.R5-LambdaInsideVPC']) {
        acknowledge(construct, rule, reason, log);
      }
      if (warmUp) {
        acknowledge(construct, 'AwsSolutions-L1', REASONS.warmUpRuntime, log);
      }
    }
    if (construct instanceof iam.CfnRole && /^WarmImages\/(CachedImagesHandler9f3c|CachedImagesProvider9f3c\/framework-onEvent|FromCache)\/ServiceRole$/.test(parentPath)) {
      acknowledge(construct, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        parentPath.endsWith('FromCache/ServiceRole') ? REASONS.exampleFunction : REASONS.warmUpLogs, log);
    }

    if (construct instanceof ecr.CfnRegistryPolicy) {
      const statements = asList<any>(stack.resolve(construct.policyText).Statement);
      const open = statements.filter(st => st.Principal === '*' || st.Principal?.AWS === '*');
      if (open.length > 0 && open.every(st => st.Condition?.StringEquals?.['aws:PrincipalOrgID'] !== undefined)) {
        acknowledge(construct, 'AwsSolutions-ECR1', REASONS.organizationPrincipal, log);
      }
    }

    if (construct instanceof iam.CfnPolicy) {
      if (construct.node.path.endsWith('/DefaultPolicy/Resource')) {
        acknowledge(construct, 'NIST.800.53.R5-IAMNoInlinePolicy', REASONS.defaultPolicy, log);
      }
      // One IAM5 finding per wildcard resource; acknowledge it only when every Allow statement
      // that names that resource is one we reviewed.
      const reasons = new Map<string, string | undefined>();
      const document = stack.resolve(construct.policyDocument);
      for (const statement of asList<any>(document.Statement)) {
        if (statement.Effect !== 'Allow') {
          continue;
        }
        const actions = asList<string>(statement.Action);
        if (actions.some(a => a.includes('*'))) {
          continue; // a wildcard action is never acknowledged
        }
        for (const resource of asList<any>(statement.Resource).map(flattenCfnReference).filter(r => r.includes('*'))) {
          const finding = `AwsSolutions-IAM5[Resource::${resource}]`;
          const reason = wildcardReason(actions, resource) ?? providerInvokeReason(actions, resource)
            ?? (construct.node.path.startsWith(`${KUBECTL_PROVIDER}/`) ? kubectlInvokeReason(actions, resource) : undefined);
          reasons.set(finding, reasons.has(finding) && reasons.get(finding) === undefined ? undefined : reason);
        }
      }
      for (const [finding, reason] of reasons) {
        if (reason !== undefined) {
          acknowledge(construct, finding, reason, log);
        }
      }
    }
  }
  return log;
}

interface PackResult {
  readonly pack: string;
  readonly stacks: number;
  readonly evaluations: number;
  readonly applicable: number;
  readonly errors: string[];
  readonly warnings: string[];
}

function violations(report: PolicyValidationPluginReport, severity: string): string[] {
  return report.violations
    .filter(v => v.severity === severity)
    .flatMap(v => v.violatingResources.map(r => `${v.ruleName} at ${r.constructPath}: ${v.description}`));
}

function runPacks(acknowledged: boolean): { results: PackResult[]; acknowledgements: Acknowledgement[] } {
  const app = buildLintedMatrix();
  const stacks = matrixStacks(app);
  const acknowledgements = acknowledged ? stacks.flatMap(acknowledgeReviewedFindings) : [];
  const results: PackResult[] = [];
  for (const Pack of [CountingAwsSolutionsChecks, CountingNist80053R5Checks]) {
    const pack = new Pack();
    const errors: string[] = [];
    const warnings: string[] = [];
    for (const stack of stacks) {
      const report = pack.validateScope(stack);
      errors.push(...violations(report, 'error'));
      warnings.push(...violations(report, 'warning'));
    }
    results.push({ pack: pack.readPackName, stacks: stacks.length, ...pack.counter, errors, warnings });
  }
  return { results, acknowledgements };
}

describe('cdk-nag over the configuration matrix', () => {
  const { results, acknowledgements } = runPacks(true);

  afterAll(() => {
    const lines = results.map(r =>
      `${r.pack}: ${r.evaluations} rule evaluations (${r.applicable} applicable) over ${r.stacks} stacks, ${r.errors.length} errors, ${r.warnings.length} warnings`);
    // eslint-disable-next-line no-console
    console.log([...lines, `${acknowledgements.length} acknowledged findings (one resource, one rule id each)`].join('\n'));
  });

  test.each(results.map(r => [r.pack, r] as const))('%s reports no error', (_, result) => {
    expect(result.applicable).toBeGreaterThan(result.stacks);
    expect(result.errors).toEqual([]);
  });

  test('every acknowledgement is narrow: one CloudFormation resource, one rule id or finding', () => {
    for (const { id } of acknowledgements) {
      if (id === `AwsSolutions-IAM4[Policy::${KUBECTL_ECR_PUBLIC_POLICY}]`) {
        continue; // the kubectl handler's conditional ECR Public read policy, spelled out above
      }
      expect(id).toMatch(new RegExp('^(AwsSolutions-(SMG4|ECR1|ECS7|L1|IAM5\\[Resource::[^\\]]+\\]'
        + '|IAM4\\[Policy::arn:<AWS::Partition>:iam::aws:policy/(service-role/AWSLambdaBasicExecutionRole'
        + '|service-role/AWSLambdaVPCAccessExecutionRole|AmazonEC2ContainerRegistryReadOnly|AmazonEC2ContainerRegistryPullOnly'
        + '|AmazonEKS(Cluster|Compute|BlockStorage|LoadBalancing|Networking|WorkerNodeMinimal|FargatePodExecutionRole)Policy)\\])'
        + '|NIST\\.800\\.53\\.R5-(SecretsManagerRotationEnabled|SecretsManagerUsingKMSKey|IAMNoInlinePolicy'
        + '|LambdaConcurrency|LambdaDLQ|LambdaInsideVPC|VPCNoUnrestrictedRouteToIGW))$'));
    }
    // IAM5 on Resource::* is only acknowledged where the statement is ecr:GetAuthorizationToken alone.
    expect(acknowledgements.some(a => a.id === 'AwsSolutions-IAM5[Resource::*]')).toBe(true);
  });

  test('every acknowledgement matches a finding cdk-nag really reports (none is stale)', () => {
    const unacknowledged = runPacks(false).results.flatMap(r => [...r.errors, ...r.warnings]);
    const reported = new Set(unacknowledged.map(line => line.slice(0, line.indexOf(': '))));
    const stale = acknowledgements.filter(a => !reported.has(`${a.id} at ${a.path}`));
    expect(stale).toEqual([]);
  });

  test('a wildcard the reviewers did not accept is still reported', () => {
    const app = buildLintedMatrix();
    const stack = matrixStacks(app).find(s => s.stackName === 'UpstreamQuay')!;
    const role = stack.node.findChild('Puller') as iam.Role;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:PutImage'], resources: ['*'] }));
    acknowledgeReviewedFindings(stack);
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(violations(report, 'error')).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::\*\] at UpstreamQuay\/Puller\/DefaultPolicy\/Resource/),
    ]);
  });
});
