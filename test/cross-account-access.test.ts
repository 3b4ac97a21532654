import { App, CfnParameter, NestedStack, Stack, CfnResource } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CrossAccountAccess, PullThroughCache, RegistryPolicy, TemplateScope, UpstreamRegistry } from '../src';
import { expectLeastPrivilege, repositoryArnPattern, newStack } from './support/helpers';

const REGISTRY_ACTIONS = ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'];
/** What the creation templates' repository policy lets other accounts do: read, not import. */
const REPOSITORY_POLICY_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

function cache(stack: Stack, crossAccountAccess?: CrossAccountAccess, id = 'Cache', extra: object = {}): PullThroughCache {
  return new PullThroughCache(stack, id, {
    upstreams: [{ registry: UpstreamRegistry.quay() }, { registry: UpstreamRegistry.kubernetes() }],
    crossAccountAccess,
    ...extra,
  });
}

function accountRoot(account: string): any {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:root`]] };
}

function registryStatements(stack: Stack): any[] {
  const policies = Object.values<any>(Template.fromStack(stack).findResources('AWS::ECR::RegistryPolicy'));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyText.Statement;
}

/** The repository policies of the creation templates, parsed (partition tokens replaced by `aws`). */
function templatePolicies(stack: Stack): any[] {
  return Object.values<any>(Template.fromStack(stack).findResources('AWS::ECR::RepositoryCreationTemplate')).map(t => {
    const policy = t.Properties.RepositoryPolicy;
    const text = typeof policy === 'string' ? policy : policy['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'aws')).join('');
    return JSON.parse(text);
  });
}

const CACHED_ARNS = [repositoryArnPattern('k8scache/*'), repositoryArnPattern('quaycache/*')];

describe('cross-account access', () => {
  test('accounts: the registry policy allows the first pull on the prefixes only', () => {
    const stack = newStack();
    cache(stack, { accounts: ['444455556666', '777788889999'] });
    expect(registryStatements(stack)).toEqual([{
      Effect: 'Allow',
      Principal: { AWS: [accountRoot('444455556666'), accountRoot('777788889999')] },
      Action: REGISTRY_ACTIONS,
      Resource: CACHED_ARNS,
    }]);
  });

  test('organization without a ROOT rule: CreateRepository only under the cache\'s prefixes, no ROOT-rule warning', () => {
    const stack = newStack();
    cache(stack, { organizationId: 'o-a1b2c3d4e5' });
    const statements = registryStatements(stack);
    expect(statements).toEqual([expect.objectContaining({ Action: REGISTRY_ACTIONS, Resource: CACHED_ARNS })]);
    expect(JSON.stringify(statements)).not.toMatch(/repository\/\*"/);
    Annotations.fromStack(stack).hasNoWarning('/Stack/Cache', Match.stringLikeRegexp('crossAccountRootRule'));
  });

  test('accounts: every creation template lets the accounts pull', () => {
    const stack = newStack();
    cache(stack, { accounts: ['444455556666'] });
    const policies = templatePolicies(stack);
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: REPOSITORY_POLICY_ACTIONS }],
      });
    }
  });

  test('an organization: any principal with the aws:PrincipalOrgID condition', () => {
    const stack = newStack();
    cache(stack, { organizationId: 'o-a1b2c3d4e5' });
    expect(registryStatements(stack)).toEqual([{
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
      Action: REGISTRY_ACTIONS,
      Resource: CACHED_ARNS,
    }]);
    expect(templatePolicies(stack)[0].Statement).toEqual([{
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
      Action: REPOSITORY_POLICY_ACTIONS,
    }]);
  });

  test('accounts and an organization: one statement each, in both policies', () => {
    const stack = newStack();
    cache(stack, { accounts: ['444455556666'], organizationId: 'o-a1b2c3d4e5' });
    const statements = registryStatements(stack);
    expect(statements).toHaveLength(2);
    expect(statements[0].Principal).toEqual({ AWS: accountRoot('444455556666') });
    expect(statements[0].Condition).toBeUndefined();
    expect(statements[1].Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } });
    expect(statements.every(s => JSON.stringify(s.Resource) === JSON.stringify(CACHED_ARNS))).toBe(true);
    expect(templatePolicies(stack)[0].Statement.map((s: any) => s.Principal)).toEqual([
      { AWS: 'arn:aws:iam::444455556666:root' }, { AWS: '*' },
    ]);
  });

  test('duplicate accounts are listed once', () => {
    const stack = newStack();
    cache(stack, { accounts: ['444455556666', '444455556666'] });
    expect(registryStatements(stack)[0].Principal).toEqual({ AWS: accountRoot('444455556666') });
  });

  test('the order of the accounts never changes the policies: they are sorted after de-duplication', () => {
    const render = (accounts: string[]) => {
      const stack = newStack();
      cache(stack, { accounts, organizationId: 'o-abcdefghij' });
      return Template.fromStack(stack).toJSON();
    };
    const sorted = render(['111111111111', '444455556666', '777788889999']);
    expect(render(['777788889999', '111111111111', '444455556666', '111111111111'])).toEqual(sorted);
    expect(render(['444455556666', '777788889999', '111111111111'])).toEqual(sorted);
    const stack = newStack();
    cache(stack, { accounts: ['777788889999', '111111111111'] });
    expect(registryStatements(stack)[0].Principal).toEqual({ AWS: [accountRoot('111111111111'), accountRoot('777788889999')] });
    expect(templatePolicies(stack)[0].Statement[0].Principal).toEqual({
      AWS: ['arn:aws:iam::111111111111:root', 'arn:aws:iam::777788889999:root'],
    });
  });

  test('tokens pass validation', () => {
    const stack = newStack();
    const account = new CfnParameter(stack, 'Account').valueAsString;
    const org = new CfnParameter(stack, 'Org').valueAsString;
    cache(stack, { accounts: [account], organizationId: org });
    const statements = registryStatements(stack);
    expect(statements[0].Principal).toEqual({ AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'Account' }, ':root']] } });
    expect(statements[1].Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': { Ref: 'Org' } } });
  });

  test('the user\'s repository policy comes first, then the cross-account statements', () => {
    const stack = newStack();
    const repositoryPolicy = new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('lambda.amazonaws.com')], actions: ['ecr:BatchGetImage'] })],
    });
    cache(stack, { accounts: ['444455556666'] }, 'Cache', { repositoryTemplate: { repositoryPolicy } });
    expect(templatePolicies(stack)[0].Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'ecr:BatchGetImage' },
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: REPOSITORY_POLICY_ACTIONS },
    ]);
  });

  test('ANY_PREFIX: the ROOT template carries the statements, with a warning', () => {
    const stack = newStack();
    cache(stack, { organizationId: 'o-a1b2c3d4e5' }, 'Cache', { repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    expect(templatePolicies(stack)).toHaveLength(1);
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('cdk-pull-through-cache:crossAccountAnyPrefix'));
  });

  test('without cross-account access there is no registry policy and no repository policy', () => {
    const stack = newStack();
    cache(stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECR::RegistryPolicy', 0);
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', { RepositoryPolicy: Match.absent() });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('registryPolicySingleton'))).toEqual([]);
  });

  test('two caches share the stack\'s one registry policy, which warns once', () => {
    const stack = newStack();
    cache(stack, { accounts: ['444455556666'] });
    new PullThroughCache(stack, 'Other', {
      upstreams: [{ registry: UpstreamRegistry.ecrPublic() }],
      crossAccountAccess: { organizationId: 'o-a1b2c3d4e5' },
    });
    const statements = registryStatements(stack);
    expect(statements.map(s => s.Resource)).toEqual([CACHED_ARNS, repositoryArnPattern('ecrpubliccache/*')]);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-pull-through-cache:registryPolicySingleton'));
    expect(warnings.map(w => w.id)).toEqual(['/Stack/EcrRegistryPolicy']);
  });

  test('the registry policy never grants on repository/* and the pulls stay least privilege', () => {
    const stack = newStack();
    const c = cache(stack, { accounts: ['444455556666'], organizationId: 'o-a1b2c3d4e5' });
    c.grantPull(new iam.Role(stack, 'Puller', { assumedBy: new iam.AccountRootPrincipal() }));
    const text = JSON.stringify(registryStatements(stack));
    expect(text).not.toContain('repository/*');
    expect(text).not.toContain('ecr:*');
    expectLeastPrivilege(Template.fromStack(stack));
  });

  test.each<[string, any, RegExp]>([
    ['an 11-digit account', { accounts: ['12345678901'] }, /crossAccountAccess\.accounts\[0\] \(Python: cross_account_access\.accounts\[0\]\): "12345678901" is not an AWS account ID: give its 12 digits/],
    ['an account with letters', { accounts: ['444455556666', '4444-5555-666'] }, /crossAccountAccess\.accounts\[1\] \(Python: cross_account_access\.accounts\[1\]\): "4444-5555-666" is not an AWS account ID/],
    ['an organization without o-', { organizationId: 'a1b2c3d4e5' }, /crossAccountAccess\.organizationId \(Python: cross_account_access\.organization_id\): "a1b2c3d4e5" is not an AWS Organizations ID/],
    ['a short organization ID', { organizationId: 'o-abc' }, /organization_id\): "o-abc" is not an AWS Organizations ID: give 'o-' and 10 to 32/],
    ['an uppercase organization ID', { organizationId: 'o-ABCDEFGHIJ' }, /organization_id\): "o-ABCDEFGHIJ"/],
    ['nothing', {}, /crossAccountAccess\.accounts \(Python: cross_account_access\.accounts\): none given, and no organizationId \(Python: organization_id\): give accounts, organizationId \(Python: organization_id\) or both/],
    ['an empty account list', { accounts: [] }, /crossAccountAccess\.accounts .*: none given, and no organizationId/],
  ])('rejects %s, naming the path, before any resource', (_what, access, message) => {
    const stack = newStack();
    expect(() => cache(stack, access)).toThrow(message);
    expect(() => cache(stack, access, 'Again')).toThrow(/PullThroughCache at 'Stack\/Again' is invalid/);
    expect(stack.node.findAll().filter(c => c instanceof CfnResource)).toEqual([]);
  });

  test('every problem is reported at once', () => {
    expect(() => cache(newStack(), { accounts: ['1'], organizationId: 'x' }))
      .toThrow(/accounts\[0\][\s\S]*organizationId/);
  });
});

describe('RegistryPolicy', () => {
  const statement = () => new iam.PolicyStatement({
    principals: [new iam.AccountPrincipal('444455556666')],
    actions: ['ecr:ReplicateImage'],
    resources: ['arn:aws:ecr:us-east-1:111122223333:repository/shared/*'],
  });

  test('of() returns one instance per stack, at its root, with a fixed id', () => {
    const stack = newStack();
    const a = RegistryPolicy.getOrCreate(new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(RegistryPolicy.getOrCreate(stack)).toBe(a);
    expect(a.node.path).toBe('Stack/EcrRegistryPolicy');
    a.addStatements(statement());
    Template.fromStack(stack).resourceCountIs('AWS::ECR::RegistryPolicy', 1);
  });

  test('statements are rendered lazily: added after a cache, they are still in the policy', () => {
    const stack = newStack();
    cache(stack, { accounts: ['444455556666'] });
    RegistryPolicy.getOrCreate(stack).addStatements(statement());
    expect(registryStatements(stack).map(s => s.Action)).toEqual([REGISTRY_ACTIONS, 'ecr:ReplicateImage']);
  });

  test('a nested stack shares its parent\'s', () => {
    const stack = newStack();
    const nested = new NestedStack(stack, 'Nested');
    expect(RegistryPolicy.getOrCreate(nested)).toBe(RegistryPolicy.getOrCreate(stack));
  });

  test('an empty policy fails synthesis', () => {
    const stack = newStack();
    RegistryPolicy.getOrCreate(stack);
    expect(() => Template.fromStack(stack)).toThrow(/RegistryPolicy at 'Stack\/EcrRegistryPolicy': no statement was added/);
  });

  test('a statement without a principal fails synthesis', () => {
    const stack = newStack();
    RegistryPolicy.getOrCreate(stack).addStatements(new iam.PolicyStatement({ actions: ['ecr:ReplicateImage'], resources: ['*'] }));
    expect(() => Template.fromStack(stack)).toThrow(/RegistryPolicy at 'Stack\/EcrRegistryPolicy': .*must specify at least one IAM principal/);
  });

  test('a policy over 10,240 characters fails synthesis; one just under passes', () => {
    const statements = (count: number) => Array.from({ length: count }, (_, i) => new iam.PolicyStatement({
      sid: `S${i}`,
      principals: [new iam.ArnPrincipal(`arn:aws:iam::${String(100000000000 + i)}:role/puller`)],
      actions: ['ecr:ReplicateImage'],
      resources: [`arn:aws:ecr:us-east-1:123456789012:repository/team${i}/*`],
    }));
    const length = (count: number) => JSON.stringify(new iam.PolicyDocument({ statements: statements(count) }).toJSON()).length;
    const fits = Array.from({ length: 200 }, (_, i) => i + 1).filter(n => length(n) <= 10240).pop()!;

    const ok = newStack();
    RegistryPolicy.getOrCreate(ok).addStatements(...statements(fits));
    expect(() => Template.fromStack(ok)).not.toThrow();

    const tooLong = newStack();
    RegistryPolicy.getOrCreate(tooLong).addStatements(...statements(fits + 1));
    expect(() => Template.fromStack(tooLong)).toThrow(
      new RegExp(`RegistryPolicy at 'Stack/EcrRegistryPolicy': the policy renders to ${length(fits + 1)} characters; ECR allows a registry policy of at most 10240`),
    );
  });

  test('with tokens, the literal text of the policy is a lower bound of its length', () => {
    const stack = newStack();
    const accounts = Array.from({ length: 400 }, (_, i) => String(100000000000 + i));
    cache(stack, { accounts });
    // Each account renders as arn:<partition token>:iam::<account>:root.
    expect(() => Template.fromStack(stack)).toThrow(/RegistryPolicy at 'Stack\/EcrRegistryPolicy': the policy renders to at least \d+ characters/);
  });

  test('two stacks of the app in the same account and region fail synthesis', () => {
    const app = new App();
    const env = { account: '111122223333', region: 'eu-west-1' };
    const one = new Stack(app, 'One', { env });
    const two = new Stack(app, 'Two', { env });
    for (const stack of [one, two]) {
      RegistryPolicy.getOrCreate(stack).addStatements(statement());
    }
    expect(() => Template.fromStack(one)).toThrow(/'Two\/EcrRegistryPolicy' owns the registry policy of the same account and region/);
  });

  test('stacks in other regions, other accounts or without an environment may each own one', () => {
    const app = new App();
    const env = { account: '111122223333', region: 'eu-west-1' };
    const stacks = [
      new Stack(app, 'One', { env }),
      new Stack(app, 'OtherRegion', { env: { ...env, region: 'us-east-1' } }),
      new Stack(app, 'OtherAccount', { env: { ...env, account: '444455556666' } }),
      new Stack(app, 'Agnostic'),
    ];
    for (const stack of stacks) {
      RegistryPolicy.getOrCreate(stack).addStatements(statement());
    }
    expect(() => Template.fromStack(stacks[0])).not.toThrow();
  });

  test('the warning names the account and region when they are known', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
    RegistryPolicy.getOrCreate(stack).addStatements(statement());
    Annotations.fromStack(stack).hasWarning('/Stack/EcrRegistryPolicy', Match.stringLikeRegexp('account 111122223333 in eu-west-1'));
  });

  test('a foreign construct with the id is reported', () => {
    const stack = newStack();
    new iam.Role(stack, 'EcrRegistryPolicy', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => RegistryPolicy.getOrCreate(stack)).toThrow(/the id 'EcrRegistryPolicy' at the root of the stack is taken by another construct/);
  });
});
