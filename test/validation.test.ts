import { App, Aws, CfnParameter, Duration, Fn, Lazy, NestedStack, Stack, StackProps, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  PullThroughCache,
  PullThroughCacheProps,
  TemplateScope,
  UpstreamDefinition,
  UpstreamRegistry,
} from '../src';
import { CASES, PATH, goodSecret, k8s, newScope, role, wildcards } from './support/error-cases';
import { api } from '../src/core/private/diagnostics';

describe('bad inputs throw a plain Error naming the path, the upstream, the field, the value and the rule', () => {
  test.each(CASES)('%s', (_what, props, expected) => {
    const { scope } = newScope();
    let error: unknown;
    try {
      new PullThroughCache(scope, 'Cache', props(scope));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).constructor).toBe(Error);
    const message = (error as Error).message;
    expect(message).toContain(`PullThroughCache at '${PATH}' is invalid:`);
    for (const part of expected) {
      expect(message).toContain(part);
    }
  });

  test('the table covers each case once', () => {
    const names = CASES.map(c => c[0]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(50);
  });
});

describe('all problems at once', () => {
  test('several problems are listed in one Error, one line each', () => {
    const { scope } = newScope();
    expect.assertions(6);
    try {
      new PullThroughCache(scope, 'Cache', {
        upstreams: [
          { registry: UpstreamRegistry.dockerHub(), prefix: 'Docker' },
          k8s('k8scache'),
          k8s('k8scache'),
        ],
        repositoryTemplate: { description: 'x'.repeat(300), imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION },
      });
    } catch (e) {
      const lines = (e as Error).message.split('\n');
      expect(lines[0]).toBe(`PullThroughCache at '${PATH}' is invalid:`);
      expect(lines.slice(1).every(l => l.startsWith('  - '))).toBe(true);
      expect(lines.filter(l => l.includes("upstream 'Docker'"))).toHaveLength(2); // bad prefix, no credentials
      expect(lines.filter(l => l.includes("prefix 'k8scache' is already used by upstreams[1] ('k8scache' is the default prefix of UpstreamRegistry.kubernetes())"))).toHaveLength(1);
      expect(lines.filter(l => l.startsWith('  - repositoryTemplate.'))).toHaveLength(2);
      expect(lines).toHaveLength(6);
    }
  });

  test('a bad token-prefixed upstream is named by position and registry type', () => {
    const { scope } = newScope();
    const prefix = Lazy.string({ produce: () => 'later' });
    expect(() => new PullThroughCache(scope, 'Cache', { upstreams: [{ registry: UpstreamRegistry.dockerHub(), prefix }] }))
      .toThrow(/upstreams\[0\] \(docker-hub\): credentials are missing/);
  });
});

describe('nothing is half-built', () => {
  test.each([
    ['a bad prefix', (): PullThroughCacheProps => ({ upstreams: [k8s('cache'), k8s('Bad')] })],
    ['a bad template with a key role', (): PullThroughCacheProps => ({
      upstreams: [k8s()],
      repositoryTemplate: { resourceTags: { a: 'b' }, description: 'd'.repeat(300) },
    })],
    ['a bad lifecycle rule after good upstreams', (): PullThroughCacheProps => ({
      upstreams: [k8s(), { registry: UpstreamRegistry.quay() }],
      repositoryTemplate: { lifecycleRules: [{ maxImageAge: Duration.hours(1) }] },
    })],
  ])('after %s the stack has no resources', (_what, props) => {
    const { stack, scope } = newScope();
    expect(() => new PullThroughCache(scope, 'Cache', props())).toThrow(Error);
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(resources === undefined || Object.keys(resources).length === 0).toBe(true);
  });
});

describe('tokens are accepted', () => {
  test('a prefix from Lazy.string', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', { upstreams: [k8s(Lazy.string({ produce: () => 'lazycache' }))] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { EcrRepositoryPrefix: 'lazycache' });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', { Prefix: 'lazycache' });
  });

  test('an Azure registry name token', () => {
    const { stack, scope } = newScope();
    const name = new CfnParameter(stack, 'AzureName', { type: 'String' }).valueAsString;
    new PullThroughCache(scope, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry(name), credentials: goodSecret(scope) }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      UpstreamRegistryUrl: { 'Fn::Join': ['', [{ Ref: 'AzureName' }, '.azurecr.io']] },
    });
  });

  test('the pseudo account as an ECR account, and a token region', () => {
    const { stack, scope } = newScope();
    const region = new CfnParameter(stack, 'Region', { type: 'String' }).valueAsString;
    new PullThroughCache(scope, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(scope), account: Aws.ACCOUNT_ID, region }) }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      UpstreamRegistryUrl: { 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
    });
  });

  test('an imported secret whose ARN and name are tokens', () => {
    const { stack, scope } = newScope();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(scope, 'S', Fn.importValue('x'));
    new PullThroughCache(scope, 'Cache', { upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secret }] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { CredentialArn: { 'Fn::ImportValue': 'x' } });
  });

  test('a created secret whose name is a token', () => {
    const { stack, scope } = newScope();
    const name = new CfnParameter(stack, 'SecretName', { type: 'String' }).valueAsString;
    const secret = new secretsmanager.Secret(scope, 'S', { secretName: name });
    new PullThroughCache(scope, 'Cache', { upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secret }] });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });

  test('a tokenized description and tag are not length-checked', () => {
    const { stack, scope } = newScope();
    const p = new CfnParameter(stack, 'P', { type: 'String' }).valueAsString;
    new PullThroughCache(scope, 'Cache', { upstreams: [k8s()], repositoryTemplate: { description: p, resourceTags: { owner: p } } });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Description: { Ref: 'P' },
      ResourceTags: [{ Key: 'owner', Value: { Ref: 'P' } }],
    });
  });
});

describe('edge values that are valid', () => {
  test.each([
    'ab', 'a'.repeat(30), 'a.b', 'a_b', 'a__b', 'a-b', 'a---b', 'team/app', 'team/app/', 'x1/y2.z_3',
  ])('prefix %s is accepted', prefix => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', { upstreams: [k8s(prefix)] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { EcrRepositoryPrefix: prefix });
  });

  test('50 upstreams are accepted', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', { upstreams: Array.from({ length: 50 }, (_, i) => k8s(`k8s${i}`)) });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::PullThroughCacheRule', 50);
  });

  test('5 exclusion filters and 50 tags are accepted', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', {
      upstreams: [k8s()],
      repositoryTemplate: {
        imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
        imageTagMutabilityExclusionFilters: wildcards(5),
        resourceTags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])),
      },
    });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
  });

  test('Azure names of 5 and 50 characters, mixed case lowered in the URL', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.azureContainerRegistry('MyReg'), credentials: goodSecret(scope, 'A') },
        { registry: UpstreamRegistry.azureContainerRegistry('b'.repeat(50)), prefix: 'azure2', credentials: goodSecret(scope, 'B') },
      ],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { UpstreamRegistryUrl: 'myreg.azurecr.io' });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { UpstreamRegistryUrl: `${'b'.repeat(50)}.azurecr.io` });
  });

  test('an ECR upstream repository prefix of ROOT is accepted', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', { upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(scope), region: 'us-west-2', repositoryPrefix: 'ROOT' }) }] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { UpstreamRepositoryPrefix: 'ROOT' });
  });
});

describe('errors name fields as every language spells them', () => {
  test('a camelCase field also gets its Python spelling; Java, Go and .NET read the TypeScript one', () => {
    const { scope } = newScope();
    expect(() => new PullThroughCache(scope, 'Cache', {
      upstreams: [k8s()],
      repositoryTemplate: { description: 'd'.repeat(257) },
    })).toThrow(/- repositoryTemplate\.description \(Python: repository_template\.description\): 257 characters/);
  });

  test.each([
    ['repositoryPrefix', 'repositoryPrefix (Python: repository_prefix)'],
    ['repositoryTemplate.lifecycleRules[0]', 'repositoryTemplate.lifecycleRules[0] (Python: repository_template.lifecycle_rules[0])'],
    ['Secret.fromSecretCompleteArn', 'Secret.fromSecretCompleteArn (Python: Secret.from_secret_complete_arn)'],
    ['credentials', 'credentials'],
    ['UpstreamRegistry.kubernetes()', 'UpstreamRegistry.kubernetes()'],
  ])('api(%s)', (name, expected) => {
    expect(api(name)).toBe(expected);
  });
});

describe('two caches of one registry may not claim one prefix', () => {
  const ENV = { account: '111122223333', region: 'eu-west-1' };
  const SHARE = 'import that cache where you pull through it (PullThroughCache.fromPullThroughCacheAttributes (Python: PullThroughCache.from_pull_through_cache_attributes))';

  function twoStacks(first: StackProps['env'], second: StackProps['env']): [Stack, Stack] {
    const app = new App();
    return [new Stack(app, 'First', { env: first }), new Stack(app, 'Second', { env: second })];
  }

  function ecrRoot(scope: Construct): UpstreamDefinition {
    return { registry: UpstreamRegistry.ecr({ role: role(scope), region: 'us-west-2' }), prefix: 'ROOT' };
  }

  test('a rule prefix of another stack in the same account and region is refused, before any resource of the second exists', () => {
    const [first, second] = twoStacks(ENV, ENV);
    new PullThroughCache(first, 'Cache', { upstreams: [k8s(), { registry: UpstreamRegistry.quay() }] });
    expect(() => new PullThroughCache(second, 'Cache', { upstreams: [{ registry: UpstreamRegistry.quay(), prefix: 'quaycache/' }, k8s('k8s2')] }))
      .toThrow("PullThroughCache at 'Second/Cache' is invalid:\n"
        + "  - upstream 'quaycache/': prefix 'quaycache/' is already the prefix of a rule of the PullThroughCache at 'First/Cache' "
        + "(in the same account 111122223333 and region eu-west-1), there written 'quaycache'; a registry has one pull-through cache rule per prefix: "
        + `give this upstream another prefix, or ${SHARE}`);
    expect(Template.fromStack(second).toJSON().Resources ?? {}).toEqual({});
  });

  test('two caches in one stack are one registry, even when the stack is environment-agnostic', () => {
    const stack = new Stack(new App(), 'Stack');
    new PullThroughCache(stack, 'A', { upstreams: [k8s()] });
    expect(() => new PullThroughCache(stack, 'B', { upstreams: [k8s()] }))
      .toThrow(/- upstream 'k8scache': prefix 'k8scache' is already the prefix of a rule of the PullThroughCache at 'Stack\/A' \(in the same stack\); /);
  });

  test('a nested stack deploys to its parent\'s registry', () => {
    const parent = new Stack(new App(), 'Parent');
    new PullThroughCache(parent, 'A', { upstreams: [k8s()] });
    const nested = new NestedStack(parent, 'Nested');
    expect(() => new PullThroughCache(nested, 'B', { upstreams: [k8s()] }))
      .toThrow(/already the prefix of a rule of the PullThroughCache at 'Parent\/A' \(in the same stack 'Parent' or a stack nested in it\)/);
  });

  test('two Stages of one app deployed to the same account and region are one registry', () => {
    const app = new App();
    for (const name of ['Dev', 'Prod']) {
      const stage = new Stage(app, name, { env: ENV });
      const stack = new Stack(stage, 'Cache');
      const create = () => new PullThroughCache(stack, 'Cache', { upstreams: [k8s()] });
      if (name === 'Dev') {
        create();
      } else {
        expect(create).toThrow(/prefix 'k8scache' is already the prefix of a rule of the PullThroughCache at 'Dev\/Cache\/Cache'/);
      }
    }
  });

  test.each<[string, (s: Construct) => PullThroughCacheProps, (s: Construct) => PullThroughCacheProps, string]>([
    [
      'both with TemplateScope.ANY_PREFIX',
      () => ({ upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      () => ({ upstreams: [k8s('other')], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      "  - repositoryTemplate.scope (Python: repository_template.scope): TemplateScope.ANY_PREFIX makes the registry's ROOT repository creation template, "
        + "which the PullThroughCache at 'First/Cache' (in the same account 111122223333 and region eu-west-1) already has (its scope is TemplateScope.ANY_PREFIX); "
        + `a registry has one ROOT template: use TemplateScope.PER_UPSTREAM here, or give the PullThroughCache at 'First/Cache' TemplateScope.PER_UPSTREAM, or ${SHARE}`,
    ],
    [
      'ANY_PREFIX after a ROOT upstream',
      s => ({ upstreams: [ecrRoot(s)] }),
      () => ({ upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      `already has (the template of its ROOT upstream); a registry has one ROOT template: use TemplateScope.PER_UPSTREAM here, or ${SHARE}`,
    ],
    [
      'ANY_PREFIX and a ROOT upstream after ANY_PREFIX (the ROOT upstream makes it either way)',
      () => ({ upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      s => ({ upstreams: [ecrRoot(s)], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      '(its scope is TemplateScope.ANY_PREFIX); a registry has one ROOT template: '
        + `give the PullThroughCache at 'First/Cache' TemplateScope.PER_UPSTREAM, or ${SHARE}`,
    ],
    [
      'a ROOT upstream after ANY_PREFIX',
      () => ({ upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      s => ({ upstreams: [ecrRoot(s)] }),
      "  - upstream 'ROOT': its repository creation template is the registry's ROOT repository creation template, which the PullThroughCache at 'First/Cache' "
        + '(in the same account 111122223333 and region eu-west-1) already has (its scope is TemplateScope.ANY_PREFIX); a registry has one ROOT template: '
        + `give the PullThroughCache at 'First/Cache' TemplateScope.PER_UPSTREAM, or ${SHARE}`,
    ],
  ])('one ROOT template per registry: %s is refused, naming the field that makes it', (_what, firstProps, secondProps, expected) => {
    const [first, second] = twoStacks(ENV, ENV);
    new PullThroughCache(first, 'Cache', firstProps(first));
    expect(() => new PullThroughCache(second, 'Cache', secondProps(second))).toThrow(expected);
  });

  test('two ROOT upstreams: one error, for the rule (the template follows it)', () => {
    const [first, second] = twoStacks(ENV, ENV);
    new PullThroughCache(first, 'Cache', { upstreams: [ecrRoot(first)] });
    let message = '';
    try {
      new PullThroughCache(second, 'Cache', { upstreams: [ecrRoot(second)], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n').filter(l => l.startsWith('  - '))).toEqual([
      expect.stringMatching(/^  - upstream 'ROOT': prefix 'ROOT' is already the prefix of a rule of the PullThroughCache at 'First\/Cache'/),
    ]);
  });

  test('ECR\'s 50 rules per registry count every cache of the registry', () => {
    const stack = new Stack(new App(), 'Stack');
    const many = (from: number, count: number) => Array.from({ length: count }, (_, i) => k8s(`k8s${from + i}`));
    new PullThroughCache(stack, 'A', { upstreams: many(0, 30) });
    expect(() => new PullThroughCache(stack, 'B', { upstreams: many(30, 21) }))
      .toThrow("  - upstreams: with the rules of the PullThroughCache at 'Stack/A' (in the same stack), the registry would hold 51 pull-through cache rules; ECR allows at most 50 per registry");
    new PullThroughCache(stack, 'C', { upstreams: many(30, 20) });
  });

  test('a prefix inside another cache\'s prefix is the nestedPrefix warning', () => {
    const stack = new Stack(new App(), 'Stack');
    new PullThroughCache(stack, 'A', { upstreams: [k8s('team')] });
    new PullThroughCache(stack, 'B', { upstreams: [k8s('team/images')] });
    Annotations.fromStack(stack).hasWarning('/Stack/B', Match.stringLikeRegexp(
      "prefix 'team/images' is inside prefix 'team': .*; 'team' is a rule of the PullThroughCache at 'Stack/A' \\(in the same stack\\)",
    ));
  });

  test.each<[string, StackProps['env'], StackProps['env']]>([
    ['another account', ENV, { ...ENV, account: '444455556666' }],
    ['another region', ENV, { ...ENV, region: 'us-east-1' }],
    ['an environment-agnostic stack (it could be deployed anywhere)', ENV, undefined],
    ['two environment-agnostic stacks', undefined, undefined],
  ])('the same prefix in %s is accepted', (_what, firstEnv, secondEnv) => {
    const [first, second] = twoStacks(firstEnv, secondEnv);
    new PullThroughCache(first, 'Cache', { upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    new PullThroughCache(second, 'Cache', { upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    Template.fromStack(second).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });

  test('an import is not a claim: it creates no rule', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { upstreams: [k8s()], account: '444455556666' });
    PullThroughCache.fromPullThroughCacheAttributes(stack, 'Local', { upstreams: [k8s()] });
    new PullThroughCache(stack, 'Cache', { upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });

  test('a cache whose constructor threw claims nothing', () => {
    const [first, second] = twoStacks(ENV, ENV);
    expect(() => new PullThroughCache(first, 'Cache', { upstreams: [k8s(), k8s('Bad')] })).toThrow(Error);
    new PullThroughCache(second, 'Cache', { upstreams: [k8s()] });
    Template.fromStack(second).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });
});
