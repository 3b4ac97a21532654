import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CENTRAL, CentralCacheStack, CONSUMER, ConsumerStack } from '../examples/consumer-account-stacks';
import { PullThroughCache, UpstreamRegistry } from '../src';
import { PULL_ACTIONS } from './support/cache-fixtures';
import { expectLeastPrivilege, newStack } from './support/helpers';

const CENTRAL_DOMAIN = `${CENTRAL.account}.dkr.ecr.${CENTRAL.region}.amazonaws.com`;
const centralArn = (pattern: string) => `arn:aws:ecr:${CENTRAL.region}:${CENTRAL.account}:repository/${pattern}`;

/** The statements of the policies attached to a role. */
function roleStatements(stack: Stack, role: iam.IRole): any[] {
  const logicalId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  return Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter(p => p.Properties.Roles.some((r: any) => r.Ref === logicalId))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('the consumer-account example (central cache + workload account, one app)', () => {
  const app = new App();
  const central = new CentralCacheStack(app, 'Central');
  const consumer = new ConsumerStack(app, 'Consumer');

  test('the import carries the central account, region, domain and upstreams', () => {
    expect(consumer.cache.env).toEqual({ account: CENTRAL.account, region: CENTRAL.region });
    expect(consumer.cache.registryDomain).toBe(CENTRAL_DOMAIN);
    expect(consumer.cache.prefixes).toEqual(['dockercache', 'quay']);
    expect(consumer.cache.upstreams.map(u => u.registry.url)).toEqual(['registry-1.docker.io', 'quay.io']);
  });

  test('imageUri points into the central registry', () => {
    expect(consumer.cache.imageUri('alpine:3')).toBe(`${CENTRAL_DOMAIN}/dockercache/library/alpine:3`);
    expect(consumer.cache.imageUri('quay.io/prometheus/node-exporter:v1.8.1')).toBe(`${CENTRAL_DOMAIN}/quay/prometheus/node-exporter:v1.8.1`);
    Template.fromStack(consumer).hasOutput('AlpineImage', { Value: `${CENTRAL_DOMAIN}/dockercache/library/alpine:3` });
  });

  test('the task pulls nginx through the central cache; its execution role is granted there only', () => {
    const template = Template.fromStack(consumer);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: `${CENTRAL_DOMAIN}/dockercache/library/nginx:1.27` })],
    });
    expect(roleStatements(consumer, consumer.taskDefinition.executionRole!)).toEqual([
      { Effect: 'Allow', Action: PULL_ACTIONS, Resource: centralArn('dockercache/*') },
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ]);
  });

  test('grantPull writes the central ARNs, literal, for every upstream', () => {
    expect(roleStatements(consumer, consumer.puller)).toEqual([
      { Effect: 'Allow', Action: PULL_ACTIONS, Resource: [centralArn('dockercache/*'), centralArn('quay/*')] },
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ]);
    expectLeastPrivilege(Template.fromStack(consumer));
  });

  test('the consumer stack has no cache resources; the central stack lets the consumer account in', () => {
    const consumerTemplate = Template.fromStack(consumer);
    consumerTemplate.resourceCountIs('AWS::ECR::PullThroughCacheRule', 0);
    consumerTemplate.resourceCountIs('AWS::ECR::RegistryPolicy', 0);
    const centralTemplate = Template.fromStack(central);
    centralTemplate.resourceCountIs('AWS::ECR::PullThroughCacheRule', 2);
    centralTemplate.hasResourceProperties('AWS::ECR::RegistryPolicy', {
      PolicyText: {
        Statement: [Match.objectLike({
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CONSUMER.account}:root`]] } },
          Action: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
        })],
      },
    });
  });

  test('no warnings on either side', () => {
    expect(Annotations.fromStack(consumer).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('fromPullThroughCacheAttributes across accounts and regions', () => {
  test('defaults: the importing stack\'s account and region', () => {
    const stack = newStack({ env: { account: '123456789012', region: 'us-east-1' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { upstreams: [{ registry: UpstreamRegistry.quay() }] });
    expect(cache.env).toEqual({ account: '123456789012', region: 'us-east-1' });
    expect(cache.imageUri('quay.io/org/app:1')).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/quaycache/org/app:1');
  });

  test('the partition and domain suffix come from the cache\'s region (China)', () => {
    const stack = newStack({ env: { account: '123456789012', region: 'cn-northwest-1' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', {
      account: '111122223333', region: 'cn-north-1', upstreams: [{ registry: UpstreamRegistry.kubernetes() }],
    });
    expect(cache.registryDomain).toBe('111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPull(role);
    expect(roleStatements(stack, role)[0].Resource).toBe('arn:aws-cn:ecr:cn-north-1:111122223333:repository/k8scache/*');
  });

  test('an environment-agnostic stack importing a literal account and region gets literal ARNs', () => {
    const stack = newStack();
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', {
      account: '111122223333', region: 'eu-west-1', upstreams: [{ registry: UpstreamRegistry.dockerHub() }, { registry: UpstreamRegistry.quay(), prefix: 'quay' }],
    });
    expect(cache.imageUri('alpine:3')).toBe('111122223333.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/alpine:3');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPull(role);
    expect(roleStatements(stack, role)[0].Resource).toEqual([
      'arn:aws:ecr:eu-west-1:111122223333:repository/dockercache/*',
      'arn:aws:ecr:eu-west-1:111122223333:repository/quay/*',
    ]);
  });

  test('redirectImages and containerdMirrors work on an import', () => {
    const stack = newStack({ env: CONSUMER });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', {
      account: CENTRAL.account, region: CENTRAL.region, upstreams: [{ registry: UpstreamRegistry.quay() }],
    });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('quay.io/org/app:1') });
    cache.redirectImages(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: `${CENTRAL_DOMAIN}/quaycache/org/app:1` })],
    });
    expect(roleStatements(stack, taskDefinition.executionRole!)[0].Resource).toBe(centralArn('quaycache/*'));
    const [mirror] = cache.containerdMirrors();
    expect(mirror.mirrorEndpoint).toBe(`https://${CENTRAL_DOMAIN}/v2/quaycache`);
  });

  test('an ECR upstream without account or region is bound to the cache\'s, not the importing stack\'s', () => {
    const stack = newStack({ env: CONSUMER });
    const role = iam.Role.fromRoleArn(stack, 'UpstreamRole', 'arn:aws:iam::111122223333:role/ptc');
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', {
      account: CENTRAL.account,
      region: CENTRAL.region,
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, region: 'us-west-2' }) }],
    });
    expect(cache.upstreams[0].registry.url).toBe(`${CENTRAL.account}.dkr.ecr.us-west-2.amazonaws.com`);
    expect(cache.imageUri(`${CENTRAL.account}.dkr.ecr.us-west-2.amazonaws.com/team/app:1`)).toBe(`${CENTRAL_DOMAIN}/ecrcache/team/app:1`);
  });

  test.each([
    [{ account: '1234' }, "account: '1234' is not a 12-digit AWS account ID"],
    [{ region: 'Ireland' }, "region: 'Ireland' is not an AWS region name"],
  ])('rejects %j before the construct exists', (location, message) => {
    const stack = newStack();
    const attrs = { ...location, upstreams: [{ registry: UpstreamRegistry.quay() }] };
    expect(() => PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', attrs))
      .toThrow(`PullThroughCache.fromPullThroughCacheAttributes (Python: PullThroughCache.from_pull_through_cache_attributes) at 'Stack/Shared' is invalid:\n  - ${message}`);
    expect(stack.node.tryFindChild('Shared')).toBeUndefined();
  });

  test('a cache of another partition is rejected: IAM grants cannot cross partitions', () => {
    const stack = newStack({ env: { account: '123456789012', region: 'us-east-1' } });
    expect(() => PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', {
      account: '111122223333', region: 'cn-north-1', upstreams: [{ registry: UpstreamRegistry.quay() }],
    })).toThrow("region: 'cn-north-1' is in partition aws-cn, this stack's region 'us-east-1' in aws; IAM principals cannot be granted across partitions");
  });

  test('an ECR upstream is imported without its role; a created cache needs it', () => {
    const stack = newStack({ env: CONSUMER });
    const imported = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', {
      account: CENTRAL.account,
      region: CENTRAL.region,
      upstreams: [{ registry: UpstreamRegistry.ecr({ account: '444455556666', region: 'us-west-2' }), prefix: 'ROOT' }],
    });
    expect(imported.imageUri('444455556666.dkr.ecr.us-west-2.amazonaws.com/app:1')).toBe(`${CENTRAL_DOMAIN}/app:1`);
    expect(() => new PullThroughCache(newStack(), 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ account: '444455556666', region: 'us-west-2' }) }],
    })).toThrow("upstream 'ecrcache': registry: role is missing: a cache created with an ECR upstream needs the IAM role");
  });

  test('the European Sovereign Cloud\'s region name is a region', () => {
    const stack = newStack();
    expect(() => PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', {
      account: '111122223333', region: 'eusc-de-east-1', upstreams: [{ registry: UpstreamRegistry.quay() }],
    })).not.toThrow();
  });

  test('credentials are not needed to import a Docker Hub upstream', () => {
    const stack = newStack();
    expect(() => PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { upstreams: [{ registry: UpstreamRegistry.dockerHub() }] }))
      .not.toThrow();
  });
});
