import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PullThroughCache, PullThroughCacheSecret, UpstreamRegistry } from '../src';
import { ACCOUNT, DOMAIN, newEnvStack, PULL_ACTIONS, REGION } from './support/cache-fixtures';

/** The upstream private registry of the ROOT rule: another account, another region. */
const UPSTREAM = '444455556666.dkr.ecr.us-west-2.amazonaws.com';
/** The ARN pattern of repositories in the cache's registry, in the stack's partition. */
const arn = (pattern: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:${REGION}:${ACCOUNT}:repository/${pattern}`]] });

function rootCache(stack: Stack, withDockerHub = true): PullThroughCache {
  const role = iam.Role.fromRoleArn(stack, 'UpstreamRole', `arn:aws:iam::${ACCOUNT}:role/ptc`);
  const dockerSecret = PullThroughCacheSecret.create(stack, 'DockerHubSecret', { registryName: 'dockerio', username: 'me' });
  return new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-west-2' }), prefix: 'ROOT' },
      ...(withDockerHub ? [{ registry: UpstreamRegistry.dockerHub(), credentials: dockerSecret }] : []),
    ],
    crossAccountAccess: { accounts: ['777788889999'] },
    scanning: {},
  });
}

function policyResources(stack: Stack, role: iam.IRole): unknown {
  const logicalId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  const policy = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .find(p => p.Properties.Roles.some((r: any) => r.Ref === logicalId));
  return policy.Properties.PolicyDocument.Statement[0].Resource;
}

describe('a ROOT rule of an ECR upstream (registry-wide mirror)', () => {
  test('renders a rule with prefix ROOT, no upstream repository prefix, and the ROOT template', () => {
    const stack = newEnvStack();
    rootCache(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'ROOT',
      UpstreamRegistryUrl: UPSTREAM,
      UpstreamRegistry: 'ecr',
      UpstreamRepositoryPrefix: Match.absent(),
    });
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', { Prefix: 'ROOT', AppliedFor: ['PULL_THROUGH_CACHE'] });
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', { Prefix: 'dockercache' });
  });

  test('imageUri maps <upstream registry>/app:1 to <cache registry>/app:1', () => {
    const cache = rootCache(newEnvStack());
    expect(cache.imageUri(`${UPSTREAM}/app:1`)).toBe(`${DOMAIN}/app:1`);
    expect(cache.imageUri(`${UPSTREAM}/team/app@sha256:${'a'.repeat(64)}`)).toBe(`${DOMAIN}/team/app@sha256:${'a'.repeat(64)}`);
    // Docker Hub images still go through their own prefix.
    expect(cache.imageUri('alpine:3')).toBe(`${DOMAIN}/dockercache/library/alpine:3`);
  });

  test('a repository under another rule\'s prefix is not the ROOT rule\'s: ECR applies the prefixed rule', () => {
    const cache = rootCache(newEnvStack());
    expect(() => cache.imageUri(`${UPSTREAM}/dockercache/app:1`))
      .toThrow(/the ROOT rule cannot cache repository 'dockercache\/app': it is under the prefix of another rule/);
  });

  test('grants cover every repository of the cache registry; one upstream\'s grant stays scoped', () => {
    const stack = newEnvStack();
    const cache = rootCache(stack);
    const all = new iam.Role(stack, 'All', { assumedBy: new iam.AccountRootPrincipal() });
    const docker = new iam.Role(stack, 'Docker', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPull(all);
    cache.grantPullFromUpstream(docker, 'dockercache');
    expect(policyResources(stack, all)).toEqual(arn('*'));
    expect(policyResources(stack, docker)).toEqual(arn('dockercache/*'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: PULL_ACTIONS, Resource: arn('*') })]) },
    });
  });

  test('the registry policy and the scanning filter cover every repository', () => {
    const stack = newEnvStack();
    rootCache(stack, false);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECR::RegistryPolicy', {
      PolicyText: { Statement: [Match.objectLike({ Resource: arn('*') })] },
    });
    template.hasResourceProperties('AWS::ECR::RegistryScanningConfiguration', {
      Rules: [{ ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: [{ Filter: '*', FilterType: 'WILDCARD' }] }],
    });
  });

  test('the containerd mirror of the upstream registry is the cache registry itself', () => {
    const cache = rootCache(newEnvStack(), false);
    const [mirror] = cache.containerdMirrors();
    expect(mirror.upstreamHost).toBe(UPSTREAM);
    expect(mirror.mirrorEndpoint).toBe(`https://${DOMAIN}/v2`);
  });

  test('warns what a ROOT rule means', () => {
    const stack = newEnvStack();
    rootCache(stack);
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('an upstream has the prefix ROOT: it caches every repository'));
  });

  // ecr:TagResource with the templates' tags on repository/*: a grantee can put those tags on any
  // repository of the registry, repositories the cache never created included, which matters
  // wherever access is granted by tag (aws:ResourceTag).
  test('a ROOT rule with resource tags: grantPull tags repository/*, with a warning', () => {
    const stack = newEnvStack();
    const role = iam.Role.fromRoleArn(stack, 'UpstreamRole', `arn:aws:iam::${ACCOUNT}:role/ptc`);
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-west-2' }), prefix: 'ROOT' }],
      repositoryTemplate: { resourceTags: { team: 'platform' } },
    });
    const puller = new iam.Role(stack, 'Puller', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPull(puller);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'ecr:TagResource', Resource: arn('*'), Condition: Match.anyValue() })]),
      },
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Cache',
      Match.stringLikeRegexp('repository/\\*, so a grantee can put those tags on any repository.*aws:ResourceTag.*cdk-pull-through-cache:rootRuleTagResource'));
  });

  test('a ROOT rule without resource tags, or resource tags without a ROOT rule: no rootRuleTagResource warning', () => {
    const stack = newEnvStack();
    rootCache(stack);
    new PullThroughCache(stack, 'Tagged', {
      upstreams: [{ registry: UpstreamRegistry.quay() }],
      repositoryTemplate: { resourceTags: { team: 'platform' } },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('rootRuleTagResource'));
  });

  test('importing a cache with a ROOT rule and tagging templates: the same warning', () => {
    const stack = newEnvStack();
    PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ account: '444455556666', region: 'us-west-2' }), prefix: 'ROOT' }],
      repositoryTemplateResourceTags: { team: 'platform' },
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Imported', Match.stringLikeRegexp('cdk-pull-through-cache:rootRuleTagResource'));
  });

  test('importing a cache with a ROOT rule', () => {
    const stack = newEnvStack();
    const role = iam.Role.fromRoleArn(stack, 'UpstreamRole', `arn:aws:iam::${ACCOUNT}:role/ptc`);
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-west-2' }), prefix: 'ROOT' }],
    });
    expect(cache.imageUri(`${UPSTREAM}/app:1`)).toBe(`${DOMAIN}/app:1`);
  });
});

describe('a ROOT rule with crossAccountAccess, scanning and the registry policy', () => {
  test.each([
    [{ accounts: ['777788889999'] }, 'the accounts'],
    [{ organizationId: 'o-a1b2c3d4e5' }, 'every account of the organization'],
  ])('%j: CreateRepository on repository/* (the rule creates any name), stated as the crossAccountRootRule warning', (crossAccountAccess, who) => {
    const stack = newEnvStack();
    const role = iam.Role.fromRoleArn(stack, 'UpstreamRole', `arn:aws:iam::${ACCOUNT}:role/ptc`);
    new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-west-2' }), prefix: 'ROOT' }],
      crossAccountAccess,
    });
    const statements = Template.fromStack(stack).findResources('AWS::ECR::RegistryPolicy');
    const [policy] = Object.values<any>(statements);
    expect(policy.Properties.PolicyText.Statement).toEqual([
      expect.objectContaining({ Action: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'], Resource: arn('*') }),
    ]);
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp(
      `lets ${who} call ecr:CreateRepository and ecr:BatchImportUpstreamImage on repository/\\*.*cdk-pull-through-cache:crossAccountRootRule`,
    ));
  });

  test('the crossAccountRootRule warning and the docs do not tie direct CreateRepository to policy scope V2', () => {
    // Scope V1 enforces ecr:CreateRepository at registry level too: the breadth holds in both.
    const stack = newEnvStack();
    rootCache(stack);
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('in either registry policy scope.*crossAccountRootRule'));
    Annotations.fromStack(stack).hasNoWarning('/Stack/Cache', Match.stringLikeRegexp('scope V2'));
    const guides = fs.readdirSync(path.join(__dirname, '..', 'docs')).filter(f => f.endsWith('.md')).map(f => `docs/${f}`);
    expect(guides).toContain('docs/multi-account.md');
    for (const file of ['README.md', ...guides, 'src/registry/cross-account-access.ts']) {
      expect(fs.readFileSync(path.join(__dirname, '..', file), 'utf8')).not.toMatch(/policy scope V2/);
    }
  });

  test('a ROOT rule without crossAccountAccess: no crossAccountRootRule warning', () => {
    const stack = newEnvStack();
    const role = iam.Role.fromRoleArn(stack, 'UpstreamRole', `arn:aws:iam::${ACCOUNT}:role/ptc`);
    new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-west-2' }), prefix: 'ROOT' }],
    });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Cache', Match.stringLikeRegexp('crossAccountRootRule'));
  });

  test('warns that the ROOT template opens other rules\' repositories, and covers them with repository/* alone', () => {
    const stack = newEnvStack();
    rootCache(stack);
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('crossAccountAccess \\(Python: cross_account_access\\) with a ROOT repository creation template'));
    const template = Template.fromStack(stack);
    // One resource, not repository/* next to repository/dockercache/*.
    template.hasResourceProperties('AWS::ECR::RegistryPolicy', { PolicyText: { Statement: [Match.objectLike({ Resource: arn('*') })] } });
    template.hasResourceProperties('AWS::ECR::RegistryScanningConfiguration', {
      Rules: [{ ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: [{ Filter: '*', FilterType: 'WILDCARD' }] }],
    });
  });
});
