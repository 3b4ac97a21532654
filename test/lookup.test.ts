import * as fs from 'fs';
import * as path from 'path';
import { App, Aws, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LookupConsumerStack } from '../examples/consumer-account-lookup-stack';
import { IPullThroughCache, PullThroughCache } from '../src';
import { PULL_ACTIONS } from './support/cache-fixtures';
import { FakeCloudControl, FakeRule, synthWithLookups } from './support/lookup-cli';
import { unspelledNames } from './support/spelling';

/*
 * PullThroughCache.fromLookup, run as `cdk synth` runs it: the CDK CLI's own context loop and
 * Cloud Control provider (test/support/lookup-cli.ts). AWS's answers are the only fake.
 */

const CENTRAL = { account: '555566667777', region: 'eu-west-1' };
const CONSUMER = { account: '444455556666', region: 'eu-central-1' };
const CENTRAL_DOMAIN = `${CENTRAL.account}.dkr.ecr.${CENTRAL.region}.amazonaws.com`;
const CENTRAL_LOOKUP_ROLE = `arn:\${AWS::Partition}:iam::${CENTRAL.account}:role/cdk-hnb659fds-lookup-role-${CENTRAL.account}-${CENTRAL.region}`;
const centralArn = (pattern: string) => `arn:aws:ecr:${CENTRAL.region}:${CENTRAL.account}:repository/${pattern}`;
const LOOKUP = 'PullThroughCache.fromLookup (Python: PullThroughCache.from_lookup)';

/** The central account's rules, as ECR holds them (write-only properties included: the fake drops them). */
const CENTRAL_RULES: FakeRule[] = [
  {
    EcrRepositoryPrefix: 'dockercache',
    UpstreamRegistryUrl: 'registry-1.docker.io',
    UpstreamRegistry: 'docker-hub',
    CredentialArn: `arn:aws:secretsmanager:${CENTRAL.region}:${CENTRAL.account}:secret:ecr-pullthroughcache/dockerio-AbCdEf`,
  },
  { EcrRepositoryPrefix: 'quay', UpstreamRegistryUrl: 'quay.io', UpstreamRegistry: 'quay' },
  {
    EcrRepositoryPrefix: 'acr',
    UpstreamRegistryUrl: 'myregistry.azurecr.io',
    UpstreamRegistry: 'azure-container-registry',
    CredentialArn: `arn:aws:secretsmanager:${CENTRAL.region}:${CENTRAL.account}:secret:ecr-pullthroughcache/acr-AbCdEf`,
  },
  {
    EcrRepositoryPrefix: 'prod',
    UpstreamRegistryUrl: `111122223333.dkr.ecr.${CENTRAL.region}.amazonaws.com`,
    UpstreamRegistry: 'ecr',
    UpstreamRepositoryPrefix: 'apps',
    CustomRoleArn: `arn:aws:iam::${CENTRAL.account}:role/ecr-upstream`,
  },
];

interface ConsumerApp {
  readonly app: App;
  readonly stack: Stack;
  readonly cache: IPullThroughCache;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly puller: iam.Role;
}

/**
 * The consumer account's app: a Fargate task and a CI role pulling through the looked-up cache.
 *
 * @param lookupRoleArn the consumer stack's lookup role; null: the default synthesizer's
 */
function consumerApp(context: { [key: string]: unknown }, lookupRoleArn: string | null = CENTRAL_LOOKUP_ROLE, image = 'nginx:1.27'): ConsumerApp {
  const app = new App({ context });
  const stack = new Stack(app, 'Consumer', {
    env: CONSUMER,
    synthesizer: lookupRoleArn === null ? undefined : new DefaultStackSynthesizer({ lookupRoleArn }),
  });
  const cache = PullThroughCache.fromLookup(stack, 'SharedCache', { account: CENTRAL.account, region: CENTRAL.region });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('web', { image: cache.containerImage(image) });
  const puller = new iam.Role(stack, 'Puller', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
  cache.grantPull(puller);
  return { app, stack, cache, taskDefinition, puller };
}

/** The statements of the policies attached to a role. */
function roleStatements(stack: Stack, role: iam.IRole): any[] {
  const logicalId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  return Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter(p => p.Properties.Roles.some((r: any) => r.Ref === logicalId))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('the first synthesis, before the CLI has answered', () => {
  const consumer = consumerApp({});
  const assembly = consumer.app.synth();

  test('reports one Cloud Control query for the central registry: the rules\' prefixes, with the stack\'s lookup role', () => {
    expect(assembly.manifest.missing).toEqual([{
      key: expect.stringMatching(/^cc-api-provider:/),
      provider: 'cc-api-provider',
      props: expect.objectContaining({
        typeName: 'AWS::ECR::PullThroughCacheRule',
        account: CENTRAL.account,
        region: CENTRAL.region,
        propertyMatch: {},
        propertiesToReturn: ['EcrRepositoryPrefix'],
        lookupRoleArn: `arn:\${AWS::Partition}:iam::${CENTRAL.account}:role/cdk-hnb659fds-lookup-role-${CENTRAL.account}-${CENTRAL.region}`,
      }),
    }]);
  });

  test('does not fail: the cache stands in with every fixed-URL registry at its default prefix', () => {
    expect(consumer.cache.prefixes).toEqual(['dockercache', 'ghcrcache', 'k8scache', 'quaycache', 'ecrpubliccache', 'gitlabcache', 'chainguardcache']);
    expect(consumer.cache.imageUri('alpine:3')).toBe(`${CENTRAL_DOMAIN}/dockercache/library/alpine:3`);
  });

  test('references and prefixes the stand-ins do not know get placeholders, not errors', () => {
    expect(consumer.cache.imageUri('myregistry.azurecr.io/team/app:2')).toBe(`${CENTRAL_DOMAIN}/lookup-pending/team/app:2`);
    expect(() => consumer.cache.grantPullFromUpstream(new iam.Role(consumer.stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() }), 'acr')).not.toThrow();
  });
});

describe('answered as the CLI does: synthesize, answer the missing context, synthesize again', () => {
  test('by hand: the answer to the first query, under its key, makes the next synthesis ask for each rule', () => {
    const first = consumerApp({}).app.synth().manifest.missing!;
    const answered = consumerApp({
      [first[0].key]: [{ EcrRepositoryPrefix: 'dockercache', Identifier: 'dockercache' }],
    });
    const next = answered.app.synth().manifest.missing!;
    expect(next.map(m => m.props)).toEqual([expect.objectContaining({
      typeName: 'AWS::ECR::PullThroughCacheRule',
      exactIdentifier: 'dockercache',
      propertiesToReturn: ['UpstreamRegistryUrl'],
    })]);
    // Still waiting for an answer: the stand-ins again.
    expect(answered.cache.prefixes).toContain('ghcrcache');
  });

  test.each([[123], [['x']], [null], ['${Token[TOKEN.1]}']])('an edited context whose prefix is %j is refused, not trusted', (prefix) => {
    const first = consumerApp({}).app.synth().manifest.missing!;
    expect(() => consumerApp({ [first[0].key]: [{ EcrRepositoryPrefix: prefix, Identifier: 'x' }] }))
      .toThrow(/the answer in cdk\.context\.json lists a rule whose prefix is .*, not a prefix; clear it with `cdk context --reset/);
  });

  describe('with the CLI\'s context loop and Cloud Control provider (AWS faked)', () => {
    const aws = new FakeCloudControl({ [`${CENTRAL.account}/${CENTRAL.region}`]: CENTRAL_RULES });
    let run: Awaited<ReturnType<typeof synthWithLookups>>;
    let consumer: ConsumerApp;
    beforeAll(async () => {
      run = await synthWithLookups(context => (consumer = consumerApp(context)).app, aws);
    });

    test('the CLI lists the rules, reads each one, and the ECR upstream\'s repository prefix, with the central lookup role', () => {
      expect(aws.calls.map(c => `${c.operation} ${c.identifier ?? ''}`.trim())).toEqual([
        'ListResources', 'GetResource dockercache', 'GetResource quay', 'GetResource acr', 'GetResource prod', 'GetResource prod',
      ]);
      for (const call of aws.calls) {
        expect(call).toMatchObject({
          account: CENTRAL.account,
          region: CENTRAL.region,
          assumeRoleArn: `arn:aws:iam::${CENTRAL.account}:role/cdk-hnb659fds-lookup-role-${CENTRAL.account}-${CENTRAL.region}`,
        });
      }
      expect(run.syntheses).toBe(4);
      expect(consumer.app.synth().manifest.missing).toBeUndefined();
    });

    test('the cache has the central rules, each mapped to its upstream registry', () => {
      expect(consumer.cache.env).toEqual({ account: CENTRAL.account, region: CENTRAL.region });
      expect(consumer.cache.prefixes).toEqual(['dockercache', 'quay', 'acr', 'prod']);
      expect(consumer.cache.upstreams.map(u => [u.registry.registryType, u.registry.url, u.registry.upstreamRepositoryPrefix])).toEqual([
        ['docker-hub', 'registry-1.docker.io', undefined],
        ['quay', 'quay.io', undefined],
        ['azure-container-registry', 'myregistry.azurecr.io', undefined],
        ['ecr', `111122223333.dkr.ecr.${CENTRAL.region}.amazonaws.com`, 'apps'],
      ]);
    });

    test('imageUri uses the central prefixes, the ECR upstream\'s repository prefix included', () => {
      expect(consumer.cache.imageUri('alpine:3')).toBe(`${CENTRAL_DOMAIN}/dockercache/library/alpine:3`);
      expect(consumer.cache.imageUri('quay.io/prometheus/node-exporter:v1.8.1')).toBe(`${CENTRAL_DOMAIN}/quay/prometheus/node-exporter:v1.8.1`);
      expect(consumer.cache.imageUri('myregistry.azurecr.io/team/app:2')).toBe(`${CENTRAL_DOMAIN}/acr/team/app:2`);
      expect(consumer.cache.imageUri(`111122223333.dkr.ecr.${CENTRAL.region}.amazonaws.com/apps/api:1`)).toBe(`${CENTRAL_DOMAIN}/prod/api:1`);
      expect(() => consumer.cache.imageUri('ghcr.io/org/app:1')).toThrow(/ghcr\.io/);
    });

    test('the grants are on the central registry\'s prefixes', () => {
      expect(roleStatements(consumer.stack, consumer.taskDefinition.executionRole!)).toEqual([
        { Effect: 'Allow', Action: PULL_ACTIONS, Resource: centralArn('dockercache/*') },
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      ]);
      expect(roleStatements(consumer.stack, consumer.puller)).toEqual([
        { Effect: 'Allow', Action: PULL_ACTIONS, Resource: ['acr', 'dockercache', 'prod', 'quay'].map(p => centralArn(`${p}/*`)) },
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      ]);
      Template.fromStack(consumer.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [Match.objectLike({ Image: `${CENTRAL_DOMAIN}/dockercache/library/nginx:1.27` })],
      });
    });

    test('the answers are what cdk.context.json keeps: one list, five reads, no write-only property', () => {
      expect(Object.keys(run.context)).toHaveLength(6);
      expect(JSON.stringify(run.context)).not.toMatch(/CredentialArn|CustomRoleArn|UpstreamRegistry"/);
    });
  });

  test('a listed model with every readable property gives the same cache', async () => {
    const aws = new FakeCloudControl({ [`${CENTRAL.account}/${CENTRAL.region}`]: CENTRAL_RULES }, ['UpstreamRegistryUrl', 'UpstreamRepositoryPrefix']);
    let consumer: ConsumerApp | undefined;
    await synthWithLookups(context => (consumer = consumerApp(context)).app, aws);
    expect(consumer!.cache.prefixes).toEqual(['dockercache', 'quay', 'acr', 'prod']);
  });

  test('in the stack\'s own account (another region), the default lookup role does', async () => {
    const aws = new FakeCloudControl({ [`${CONSUMER.account}/${CENTRAL.region}`]: [CENTRAL_RULES[1]] });
    let cache: IPullThroughCache | undefined;
    await synthWithLookups(context => {
      const app = new App({ context });
      const stack = new Stack(app, 'Consumer', { env: CONSUMER });
      cache = PullThroughCache.fromLookup(stack, 'Cache', { region: CENTRAL.region });
      return app;
    }, aws);
    expect(cache!.imageUri('quay.io/a/b:1')).toBe(`${CONSUMER.account}.dkr.ecr.${CENTRAL.region}.amazonaws.com/quay/a/b:1`);
    expect(aws.calls[0].assumeRoleArn).toBe(`arn:aws:iam::${CONSUMER.account}:role/cdk-hnb659fds-lookup-role-${CONSUMER.account}-${CONSUMER.region}`);
  });

  test('an ECR-to-ECR ROOT rule: ECR reports the upstream repository prefix ROOT, every repository maps as is', async () => {
    const upstream = `111122223333.dkr.ecr.${CENTRAL.region}.amazonaws.com`;
    const aws = new FakeCloudControl({
      [`${CENTRAL.account}/${CENTRAL.region}`]: [
        { EcrRepositoryPrefix: 'ROOT', UpstreamRegistryUrl: upstream, UpstreamRepositoryPrefix: 'ROOT' },
      ],
    });
    let consumer: ConsumerApp | undefined;
    await synthWithLookups(context => (consumer = consumerApp(context, CENTRAL_LOOKUP_ROLE, `${upstream}/team/api:1`)).app, aws);
    expect(consumer!.cache.imageUri(`${upstream}/team/api:1`)).toBe(`${CENTRAL_DOMAIN}/team/api:1`);
  });

  test('an ECR rule whose read model lacks UpstreamRepositoryPrefix: the CLI\'s provider fails, and synth reports it', async () => {
    const aws = new FakeCloudControl({
      [`${CENTRAL.account}/${CENTRAL.region}`]: [
        { EcrRepositoryPrefix: 'prod', UpstreamRegistryUrl: `111122223333.dkr.ecr.${CENTRAL.region}.amazonaws.com` },
      ],
    });
    let consumer: ConsumerApp | undefined;
    await synthWithLookups(context => (consumer = consumerApp(context, CENTRAL_LOOKUP_ROLE, 'quay.io/a/b:1')).app, aws);
    Annotations.fromStack(consumer!.stack).hasError('/Consumer', Match.stringLikeRegexp('Cannot read field UpstreamRepositoryPrefix'));
  });

  test('a rule of a registry the library does not know is left out, with a warning', async () => {
    const aws = new FakeCloudControl({ [`${CENTRAL.account}/${CENTRAL.region}`]: [CENTRAL_RULES[1], { EcrRepositoryPrefix: 'mcr', UpstreamRegistryUrl: 'mcr.example.com' }] });
    let consumer: ConsumerApp | undefined;
    await synthWithLookups(context => (consumer = consumerApp(context, CENTRAL_LOOKUP_ROLE, 'quay.io/a/b:1')).app, aws);
    expect(consumer!.cache.prefixes).toEqual(['quay']);
    Annotations.fromStack(consumer!.stack).hasWarning('/Consumer/SharedCache',
      Match.stringLikeRegexp("the rule with prefix 'mcr' pulls from 'mcr.example.com'.*lookupUpstreamUnknown"));
    for (const warning of Annotations.fromStack(consumer!.stack).findWarning('*', Match.stringLikeRegexp('lookupUpstreamUnknown'))) {
      expect(unspelledNames(String(warning.entry.data))).toEqual([]);
    }
  });
});

describe('the lookup example (examples/consumer-account-lookup)', () => {
  test('its committed cdk.context.json answers every lookup: the CLI needs no AWS', () => {
    const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'examples', 'consumer-account-lookup', 'cdk.context.json'), 'utf8'));
    const app = new App({ context });
    const stack = new LookupConsumerStack(app, 'PullThroughCacheLookupConsumer');
    expect(app.synth().manifest.missing).toBeUndefined();
    expect(stack.cache.prefixes).toEqual(['dockercache', 'quay']);
    Template.fromStack(stack).hasOutput('NodeExporterImage', { Value: `${CENTRAL_DOMAIN}/quay/prometheus/node-exporter:v1.8.1` });
    expect(roleStatements(stack, stack.taskDefinition.executionRole!)).toEqual([
      { Effect: 'Allow', Action: PULL_ACTIONS, Resource: centralArn('dockercache/*') },
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ]);
  });
});

describe('errors', () => {
  test('no rule in the central registry: says where, and how to look again', async () => {
    const aws = new FakeCloudControl({});
    await expect(synthWithLookups(context => consumerApp(context).app, aws)).rejects.toThrow(new RegExp(
      `${LOOKUP.replace(/[().]/g, '\\$&')} at 'Consumer/SharedCache': account ${CENTRAL.account} has no pull-through cache rule in region ${CENTRAL.region}\\. `
      + '.*cdk context --reset "cc-api-provider:account=555566667777:.*"',
    ));
  });

  test('another account with the stack\'s own lookup role: refused, with the role and bootstrap to use', () => {
    expect(() => consumerApp({}, null)).toThrow(
      `${LOOKUP} at 'Consumer/SharedCache': the cache is in account ${CENTRAL.account}, but the CDK CLI looks up this stack's context with its `
      + `synthesizer's lookup role, arn:\${AWS::Partition}:iam::${CONSUMER.account}:role/cdk-hnb659fds-lookup-role-${CONSUMER.account}-${CONSUMER.region}, `
      + `which reads account ${CONSUMER.account}.`,
    );
    expect(() => consumerApp({}, null)).toThrow(
      `cdk bootstrap aws://${CENTRAL.account}/${CENTRAL.region} --trust-for-lookup <that account>`,
    );
  });

  test('an environment-agnostic stack', () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(() => PullThroughCache.fromLookup(stack, 'Cache', { account: CENTRAL.account, region: CENTRAL.region })).toThrow(
      `${LOOKUP} at 'Agnostic/Cache': stack 'Agnostic' is environment-agnostic`,
    );
  });

  test.each([
    ['account', { account: Aws.ACCOUNT_ID, region: CENTRAL.region }],
    ['region', { account: CENTRAL.account, region: Aws.REGION }],
  ])('%s is a token', (field, options) => {
    const stack = new Stack(new App(), 'Consumer', { env: CENTRAL });
    expect(() => PullThroughCache.fromLookup(stack, 'Cache', options)).toThrow(
      new RegExp(`${LOOKUP.replace(/[().]/g, '\\$&')} at 'Consumer/Cache' is invalid:\\n  - ${field} is a token .*PullThroughCache\\.fromPullThroughCacheAttributes \\(Python: PullThroughCache\\.from_pull_through_cache_attributes\\), which takes tokens`),
    );
  });

  test('a malformed account', () => {
    const stack = new Stack(new App(), 'Consumer', { env: CENTRAL });
    expect(() => PullThroughCache.fromLookup(stack, 'Cache', { account: '1234' })).toThrow("  - account: '1234' is not a 12-digit AWS account ID");
    // Nothing was added to the tree.
    expect(stack.node.tryFindChild('Cache')).toBeUndefined();
  });
});
