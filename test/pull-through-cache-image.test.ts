import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as library from '../src';
import { PullThroughCache, UpstreamRegistry } from '../src';
import { cachedArn, DOMAIN, dockerAndGhcrCache, newEnvStack, PULL_ACTIONS, SHA256 } from './support/cache-fixtures';
import { expectLeastPrivilege } from './support/helpers';

/** The statements of the policy attached to the task definition's execution role. */
function executionRoleStatements(stack: Stack, taskDefinition: ecs.TaskDefinition): any[] {
  const role = taskDefinition.executionRole!;
  const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  const policies = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter(p => p.Properties.Roles.some((r: any) => r.Ref === roleId));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

function containerImages(stack: Stack): any[] {
  const definitions = Object.values<any>(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'));
  expect(definitions).toHaveLength(1);
  return definitions[0].Properties.ContainerDefinitions.map((c: any) => c.Image);
}

describe('containerImage', () => {
  test('names the cached image and grants the execution role the pull through that upstream only', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('web', { image: cache.containerImage('nginx:1.27') });

    expect(containerImages(stack)).toEqual([`${DOMAIN}/dockercache/library/nginx:1.27`]);
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskExecutionRole'), 'Arn'] },
    });
    expect(executionRoleStatements(stack, taskDefinition)).toEqual([
      { Effect: 'Allow', Action: PULL_ACTIONS, Resource: cachedArn('dockercache') },
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ]);
    expectLeastPrivilege(Template.fromStack(stack));
  });

  test('two containers of two upstreams: each upstream\'s prefix, and nothing else', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('web', { image: cache.containerImage('nginx:1.27') });
    taskDefinition.addContainer('sidecar', { image: cache.containerImage(`ghcr.io/org/agent:2@${SHA256}`) });
    taskDefinition.addContainer('proxy', { image: cache.containerImage('docker.io/envoyproxy/envoy:v1.30') });

    expect(containerImages(stack)).toEqual([
      `${DOMAIN}/dockercache/library/nginx:1.27`,
      `${DOMAIN}/ghcrcache/org/agent:2@${SHA256}`,
      `${DOMAIN}/dockercache/envoyproxy/envoy:v1.30`,
    ]);
    const statements = executionRoleStatements(stack, taskDefinition);
    const pullResources = statements.filter(s => s.Action !== 'ecr:GetAuthorizationToken').map(s => {
      expect(s.Action).toEqual(PULL_ACTIONS);
      return s.Resource;
    });
    // The same grant twice is one statement.
    expect(pullResources).toEqual([cachedArn('dockercache'), cachedArn('ghcrcache')]);
    expect(statements.filter(s => s.Action === 'ecr:GetAuthorizationToken')).toHaveLength(1);
    // The image pinned by digest is kept, with a warning on the cache about the first pull.
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('digestFirstPull')).map(w => [w.id, w.entry.data])).toEqual([
      ['/Stack/Cache', expect.stringMatching(new RegExp(`^image 'ghcr\\.io/org/agent:2@${SHA256}' is pinned by digest: .*first pulled by digest`))],
    ]);
  });

  test('an execution role given to the task definition is the one granted', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const executionRole = new iam.Role(stack, 'MyExecutionRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { executionRole });
    taskDefinition.addContainer('k8s', { image: cache.containerImage('registry.k8s.io/pause:3.9') });

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 2); // the given execution role and the task role
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(executionRole.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: PULL_ACTIONS, Resource: cachedArn('k8scache') },
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
  });

  test('a template with resource tags adds ecr:TagResource', () => {
    const stack = newEnvStack();
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.quay() }],
      repositoryTemplate: { resourceTags: { team: 'platform' } },
    });
    const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: cache.containerImage('quay.io/org/app:1'), memoryLimitMiB: 256 });
    expect(executionRoleStatements(stack, taskDefinition).slice(0, 2)).toEqual([
      { Effect: 'Allow', Action: PULL_ACTIONS, Resource: cachedArn('quaycache') },
      {
        Effect: 'Allow',
        Action: 'ecr:TagResource',
        Resource: cachedArn('quaycache'),
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] }, 'StringEquals': { 'aws:RequestTag/team': 'platform' } },
      },
    ]);
  });

  test('the reference is checked when the image is created, before any container', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    expect(() => cache.containerImage('mcr.microsoft.com/dotnet/aspnet:8.0')).toThrow(
      /PullThroughCache at 'Stack\/Cache': cannot pull 'mcr\.microsoft\.com\/dotnet\/aspnet:8\.0' through the cache: no upstream of the cache serves registry 'mcr\.microsoft\.com'; add an upstream for it \(UpstreamRegistry\), or pull it from its registry\. .*dockercache → docker\.io, ghcrcache → ghcr\.io, k8scache → registry\.k8s\.io/,
    );
    expect(() => cache.containerImage('Nginx')).toThrow(/Invalid image reference 'Nginx'/);
    expect(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition')).toEqual({});
  });

  test('containerImage is an ecs.ContainerImage without public statics of its own', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const image = cache.containerImage('alpine:3');
    expect(image).toBeInstanceOf(ecs.ContainerImage);
    // The class stays private: what the library exports has no ContainerImage subclass.
    const exported = Object.values(library) as unknown[];
    expect(exported.filter(value => typeof value === 'function' && (value as any).prototype instanceof ecs.ContainerImage)).toEqual([]);
    expect(image.bind(stack, new ecs.FargateTaskDefinition(stack, 'Task').addContainer('c', { image })).imageName)
      .toBe(`${DOMAIN}/dockercache/library/alpine:3`);
  });

  test('in an environment-agnostic stack the image and the ARNs are tokens', () => {
    const stack = newEnvStack({});
    const cache = dockerAndGhcrCache(stack);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('web', { image: cache.containerImage('alpine:3') });

    expect(containerImages(stack)).toEqual([{
      'Fn::Join': ['', [
        { Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/dockercache/library/alpine:3',
      ]],
    }]);
    expect(executionRoleStatements(stack, taskDefinition)[0].Resource).toEqual({
      'Fn::Join': ['', [
        'arn:', { Ref: 'AWS::Partition' }, ':ecr:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':repository/dockercache/*',
      ]],
    });
  });

  test('in a China region the image is on amazonaws.com.cn', () => {
    const stack = newEnvStack({ env: { account: '111122223333', region: 'cn-north-1' } });
    const cache = dockerAndGhcrCache(stack);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('web', { image: cache.containerImage('registry.k8s.io/pause:3.9') });

    expect(containerImages(stack)).toEqual(['111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/k8scache/pause:3.9']);
    expect(executionRoleStatements(stack, taskDefinition)[0].Resource).toEqual(cachedArn('k8scache', 'cn-north-1'));
  });
});
