import { App, AppProps, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CentralCacheStack, ConsumerStack } from '../../examples/consumer-account-stacks';
import { RegionalCacheStage } from '../../examples/multi-region-stage';
import { OperationsStack } from '../../examples/operations-stack';
import { ReferenceStack } from '../../examples/reference-stack';
import { OrganizationCacheStack } from '../../examples/stacksets-stack';
import {
  CachedImages,
  CrossAccountAccess,
  PullThroughCache,
  PullThroughCacheDashboard,
  PullThroughCacheSecret,
  RepositoryTemplateOptions,
  ScanFrequency,
  ScanningOptions,
  ScanType,
  TemplateScope,
  UpstreamDefinition,
  UpstreamRegistry,
} from '../../src';

/**
 * A matrix of configurations of the library, one stack per configuration, that tools we did not
 * write (cfn-lint, cdk-nag) check: every upstream kind, every repository template option, both
 * template scopes, grants, the example's ReferenceStack and the dashboard (OperationsStack).
 *
 * Used by `test/support/linted-matrix.ts`, which adds the stacks that need a newer aws-cdk-lib than the floor,
 * for `scripts/synth-matrix.ts` (cfn-lint, `scripts/cfn-lint.sh`) and `test/nag.test.ts`; and by
 * `test/example.test.ts`, which the floor run (aws-cdk-lib 2.221) runs too: keep this file free of
 * aws-cdk-lib modules that release lacks.
 */

/** An account and region for the stacks that are not environment-agnostic. */
export const MATRIX_ENV = { account: '111122223333', region: 'eu-west-1' };

/**
 * Each environment-specific configuration is a deployment of its own, so it gets an account of its
 * own in MATRIX_ENV's region: a registry holds one rule (and one template) per prefix, and one
 * registry policy, and the library refuses two stacks that claim the same in one account and region.
 */
function ownEnv(account: string): StackProps['env'] {
  return { account, region: MATRIX_ENV.region };
}

/** A complete secret ARN, as `Secret.fromSecretCompleteArn` needs (the 6-character suffix included). */
export const IMPORTED_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/dockerio-AbCdEf';

type Upstreams = (scope: Construct) => UpstreamDefinition[];

/** One configuration: a stack with one `PullThroughCache` named `Cache` and, unless told not to, a role it grants pulls to. */
interface MatrixCase {
  readonly name: string;
  readonly upstreams: Upstreams;
  readonly repositoryTemplate?: (scope: Construct) => RepositoryTemplateOptions;
  /** 'all' (default): grantPull; a prefix: grantPullFromUpstream; 'none': no grant. */
  readonly grant?: 'all' | 'none' | string;
  readonly env?: StackProps['env'];
  readonly crossAccountAccess?: CrossAccountAccess;
  readonly scanning?: ScanningOptions;
}

function secret(scope: Construct, registryName: string): secretsmanager.ISecret {
  return PullThroughCacheSecret.create(scope, `${registryName}Secret`, { registryName, username: `${registryName}-user` });
}

/** The role ECR assumes to pull from a private ECR upstream, as README.md shows it. */
function ecrUpstreamRole(scope: Construct, upstreamRepositories: string): iam.Role {
  const role = new iam.Role(scope, 'EcrUpstreamRole', {
    assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com'),
  });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
  role.addToPolicy(new iam.PolicyStatement({
    actions: [
      'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchImportUpstreamImage',
      'ecr:GetImageCopyStatus', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload', 'ecr:PutImage',
    ],
    resources: [
      upstreamRepositories,
      Stack.of(scope).formatArn({ service: 'ecr', resource: 'repository', resourceName: 'ecrcache/*' }),
    ],
  }));
  return role;
}

const k8sAndQuay: Upstreams = () => [
  { registry: UpstreamRegistry.kubernetes() },
  { registry: UpstreamRegistry.quay() },
];

function key(scope: Construct): kms.Key {
  return new kms.Key(scope, 'CacheKey', { enableKeyRotation: true, description: 'Encrypts the cached repositories' });
}

const LIFECYCLE_RULES: ecr.LifecycleRule[] = [
  { description: 'keep 20 tagged images', tagPatternList: ['*'], maxImageCount: 20 },
  { description: 'drop untagged images after 7 days', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7) },
  { description: 'drop anything older than 90 days', maxImageAge: Duration.days(90) },
];

export const MATRIX_CASES: MatrixCase[] = [
  // Every upstream kind, each alone, with the default template options.
  { name: 'UpstreamDockerHub', upstreams: s => [{ registry: UpstreamRegistry.dockerHub(), credentials: secret(s, 'dockerio') }] },
  { name: 'UpstreamGhcr', upstreams: s => [{ registry: UpstreamRegistry.githubContainerRegistry(), credentials: secret(s, 'ghcr') }] },
  { name: 'UpstreamGitlab', upstreams: s => [{ registry: UpstreamRegistry.gitlabContainerRegistry(), credentials: secret(s, 'gitlab') }] },
  {
    name: 'UpstreamAzure',
    upstreams: s => [{ registry: UpstreamRegistry.azureContainerRegistry('MyRegistry01'), credentials: secret(s, 'azure') }],
  },
  { name: 'UpstreamChainguard', upstreams: s => [{ registry: UpstreamRegistry.chainguard(), credentials: secret(s, 'chainguard') }] },
  { name: 'UpstreamKubernetes', upstreams: () => [{ registry: UpstreamRegistry.kubernetes() }] },
  { name: 'UpstreamQuay', upstreams: () => [{ registry: UpstreamRegistry.quay() }] },
  { name: 'UpstreamEcrPublic', upstreams: () => [{ registry: UpstreamRegistry.ecrPublic() }] },
  {
    // ECR upstream in the stack's own (unresolved) account, another region.
    name: 'UpstreamEcrSameAccount',
    upstreams: s => [{
      registry: UpstreamRegistry.ecr({
        role: ecrUpstreamRole(s, Stack.of(s).formatArn({ service: 'ecr', resource: 'repository', resourceName: '*', region: 'us-west-2' })),
        region: 'us-west-2',
      }),
    }],
  },
  {
    // ECR upstream in another account and region, limited to one upstream prefix.
    name: 'UpstreamEcrCrossAccount',
    env: ownEnv('111122220001'),
    upstreams: s => [{
      registry: UpstreamRegistry.ecr({
        role: ecrUpstreamRole(s, 'arn:aws:ecr:us-east-1:444455556666:repository/central/*'),
        account: '444455556666',
        region: 'us-east-1',
        repositoryPrefix: 'central',
      }),
      prefix: 'central',
    }],
  },
  {
    // A secret imported by its complete ARN, in an environment-specific stack.
    name: 'ImportedSecret',
    env: MATRIX_ENV,
    upstreams: s => [{
      registry: UpstreamRegistry.dockerHub(),
      credentials: secretsmanager.Secret.fromSecretCompleteArn(s, 'ImportedDockerSecret', IMPORTED_SECRET_ARN),
    }],
  },
  {
    // Every upstream kind in one cache, with nested path prefixes and a trailing '/'.
    name: 'AllUpstreams',
    upstreams: s => [
      { registry: UpstreamRegistry.dockerHub(), prefix: 'hub/docker', credentials: secret(s, 'dockerio') },
      { registry: UpstreamRegistry.githubContainerRegistry(), prefix: 'hub/ghcr/', credentials: secret(s, 'ghcr') },
      { registry: UpstreamRegistry.gitlabContainerRegistry(), credentials: secret(s, 'gitlab') },
      { registry: UpstreamRegistry.azureContainerRegistry('firstregistry'), prefix: 'azure-one', credentials: secret(s, 'azure1') },
      { registry: UpstreamRegistry.azureContainerRegistry('secondregistry'), prefix: 'azure_two', credentials: secret(s, 'azure2') },
      { registry: UpstreamRegistry.chainguard(), credentials: secret(s, 'chainguard') },
      { registry: UpstreamRegistry.kubernetes(), prefix: 'k8s.io' },
      { registry: UpstreamRegistry.quay() },
      { registry: UpstreamRegistry.ecrPublic(), prefix: 'ecr-public' },
      {
        registry: UpstreamRegistry.ecr({
          role: ecrUpstreamRole(s, 'arn:aws:ecr:us-east-1:444455556666:repository/*'),
          account: '444455556666',
          region: 'us-east-1',
        }),
      },
    ],
  },

  // Every repository template option, on registry.k8s.io and Quay.
  { name: 'TemplatePerUpstream', upstreams: k8sAndQuay, repositoryTemplate: () => ({ scope: TemplateScope.PER_UPSTREAM }) },
  { name: 'TemplateAnyPrefix', upstreams: k8sAndQuay, repositoryTemplate: () => ({ scope: TemplateScope.ANY_PREFIX }) },
  { name: 'TemplateImmutable', upstreams: k8sAndQuay, repositoryTemplate: () => ({ imageTagMutability: ecr.TagMutability.IMMUTABLE }) },
  {
    name: 'TemplateImmutableWithExclusion',
    upstreams: k8sAndQuay,
    repositoryTemplate: () => ({
      imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [
        ecr.ImageTagMutabilityExclusionFilter.wildcard('latest'),
        ecr.ImageTagMutabilityExclusionFilter.wildcard('v*-rc'),
      ],
    }),
  },
  {
    name: 'TemplateMutableWithExclusion',
    upstreams: k8sAndQuay,
    repositoryTemplate: () => ({
      imageTagMutability: ecr.TagMutability.MUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard('release-*')],
    }),
  },
  { name: 'TemplateAes256', upstreams: k8sAndQuay, repositoryTemplate: () => ({ encryption: ecr.RepositoryEncryption.AES_256 }) },
  { name: 'TemplateKmsAwsManaged', upstreams: k8sAndQuay, repositoryTemplate: () => ({ encryption: ecr.RepositoryEncryption.KMS }) },
  {
    name: 'TemplateKmsKey',
    upstreams: k8sAndQuay,
    repositoryTemplate: s => ({ encryption: ecr.RepositoryEncryption.KMS, encryptionKey: key(s) }),
  },
  { name: 'TemplateKmsDsseAwsManaged', upstreams: k8sAndQuay, repositoryTemplate: () => ({ encryption: ecr.RepositoryEncryption.KMS_DSSE }) },
  {
    name: 'TemplateKmsDsseKey',
    upstreams: k8sAndQuay,
    repositoryTemplate: s => ({ encryption: ecr.RepositoryEncryption.KMS_DSSE, encryptionKey: key(s) }),
  },
  {
    name: 'TemplateTags',
    upstreams: k8sAndQuay,
    repositoryTemplate: () => ({ resourceTags: { 'team': 'platform', 'cost-center': 'cache' } }),
  },
  { name: 'TemplateLifecycle', upstreams: k8sAndQuay, repositoryTemplate: () => ({ lifecycleRules: LIFECYCLE_RULES }) },
  {
    name: 'TemplateRepositoryPolicy',
    upstreams: k8sAndQuay,
    repositoryTemplate: () => ({
      repositoryPolicy: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          sid: 'OrganizationPull',
          actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          principals: [new iam.AnyPrincipal()],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorgid' } },
        })],
      }),
    }),
  },
  {
    name: 'TemplateDescription',
    upstreams: k8sAndQuay,
    repositoryTemplate: () => ({ description: 'Cached upstream images'.padEnd(256, '.') }),
  },
  {
    // Every option at once, per upstream, in an environment-specific stack.
    name: 'TemplateEverything',
    env: ownEnv('111122220002'),
    upstreams: s => [
      { registry: UpstreamRegistry.dockerHub(), credentials: secret(s, 'dockerio') },
      ...k8sAndQuay(s),
    ],
    repositoryTemplate: s => ({
      scope: TemplateScope.PER_UPSTREAM,
      imageTagMutability: ecr.TagMutability.MUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: key(s),
      lifecycleRules: LIFECYCLE_RULES,
      resourceTags: { team: 'platform' },
      repositoryPolicy: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          actions: ['ecr:BatchGetImage'],
          principals: [new iam.AccountPrincipal('444455556666')],
        })],
      }),
      description: 'Cached upstream images',
    }),
  },
  {
    // KMS key and tags with the single ROOT template: the template role covers repository/*.
    name: 'TemplateEverythingAnyPrefix',
    upstreams: k8sAndQuay,
    repositoryTemplate: s => ({
      scope: TemplateScope.ANY_PREFIX,
      encryptionKey: key(s),
      resourceTags: { team: 'platform' },
      lifecycleRules: LIFECYCLE_RULES,
    }),
  },

  // Organization scale: cross-account access (registry policy + template policy) and scanning.
  {
    name: 'CrossAccountPerUpstream',
    env: ownEnv('111122220003'),
    upstreams: k8sAndQuay,
    crossAccountAccess: { organizationId: 'o-a1b2c3d4e5', accounts: ['444455556666'] },
    scanning: { scanType: ScanType.BASIC },
  },
  {
    name: 'CrossAccountAnyPrefixEnhancedScanning',
    upstreams: k8sAndQuay,
    repositoryTemplate: () => ({ scope: TemplateScope.ANY_PREFIX }),
    crossAccountAccess: { accounts: ['444455556666', '777788889999'] },
    scanning: { scanType: ScanType.ENHANCED, frequency: ScanFrequency.CONTINUOUS_SCAN },
  },

  // Grants.
  { name: 'GrantOneUpstream', upstreams: k8sAndQuay, grant: 'k8scache' },
  { name: 'NoGrant', upstreams: k8sAndQuay, grant: 'none' },
];

/** The name of the stack of the example's ReferenceStack in the matrix. */
export const REFERENCE_STACK_NAME = 'ReferenceStack';

/**
 * An App with one stack per configuration of `MATRIX_CASES`, plus the example's ReferenceStack
 * and a stack that refers to a cache by its prefixes.
 */
export function buildMatrix(appProps: AppProps = {}): App {
  const app = new App(appProps);
  for (const c of MATRIX_CASES) {
    const stack = new Stack(app, c.name, { env: c.env });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: c.upstreams(stack),
      repositoryTemplate: c.repositoryTemplate?.(stack),
      crossAccountAccess: c.crossAccountAccess,
      scanning: c.scanning,
    });
    const grant = c.grant ?? 'all';
    if (grant !== 'none') {
      const puller = new iam.Role(stack, 'Puller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      if (grant === 'all') {
        cache.grantPull(puller);
      } else {
        cache.grantPullFromUpstream(puller, grant);
      }
    }
  }

  new ReferenceStack(app, REFERENCE_STACK_NAME);

  const shared = new Stack(app, 'SharedCacheConsumer');
  const imported = PullThroughCache.fromPullThroughCacheAttributes(shared, 'SharedCache', {
    upstreams: [{ registry: UpstreamRegistry.dockerHub() }, { registry: UpstreamRegistry.githubContainerRegistry() }],
  });
  imported.grantPull(new iam.Role(shared, 'Puller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }));
  // The dashboard of an imported cache of the stack's own account and region.
  new PullThroughCacheDashboard(shared, 'Dashboard', { cache: imported });

  // The reference cache operated: a failure rule to SNS, an alarm, the dashboard with the alarm.
  new OperationsStack(app, 'OperationsDashboard');

  // Workloads that pull through the cache: an ECS image from the cache, and a redirected one.
  const workload = new Stack(app, 'EcsWorkload', { env: ownEnv('111122220004') });
  const cache = new PullThroughCache(workload, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.ecrPublic() },
      { registry: UpstreamRegistry.quay() },
    ],
  });
  const task = new ecs.FargateTaskDefinition(workload, 'Task');
  const logGroup = new logs.LogGroup(workload, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: key(workload) });
  task.addContainer('web', {
    image: cache.containerImage('public.ecr.aws/nginx/nginx:1.27'),
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'web' }),
  });
  task.addContainer('exporter', {
    image: ecs.ContainerImage.fromRegistry('quay.io/prometheus/node-exporter:v1.8.1'),
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'exporter' }),
  });
  cache.redirectImages(workload);

  // CachedImages: the cache warmed at deploy, a Lambda function and an ECS task pinned to the digests.
  const warmed = new Stack(app, 'WarmImages', { env: ownEnv('111122220005') });
  const lambdaCache = new PullThroughCache(warmed, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.ecrPublic() }],
    repositoryTemplate: { allowLambda: true },
  });
  const images = new CachedImages(warmed, 'Images', {
    cache: lambdaCache,
    images: ['public.ecr.aws/lambda/nodejs:22', 'public.ecr.aws/nginx/nginx:1.27'],
  });
  new lambda.DockerImageFunction(warmed, 'FromCache', {
    architecture: lambda.Architecture.ARM_64,
    code: images.dockerImageCode('public.ecr.aws/lambda/nodejs:22'),
  });
  const pinned = new ecs.FargateTaskDefinition(warmed, 'Task');
  pinned.addContainer('web', {
    image: images.containerImage('public.ecr.aws/nginx/nginx:1.27'),
    logging: ecs.LogDrivers.awsLogs({
      logGroup: new logs.LogGroup(warmed, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: key(warmed) }),
      streamPrefix: 'web',
    }),
  });

  // The consumer-account example: a central cache, and a workload account that imports it.
  new CentralCacheStack(app, 'ConsumerExampleCentral');
  new ConsumerStack(app, 'ConsumerExampleWorkload');

  // The multi-region example: one Stage per region, each with the same stack.
  for (const region of ['us-east-1', 'eu-west-1']) {
    new RegionalCacheStage(app, `Region-${region}`, {
      env: { account: '222233334444', region },
      crossAccountAccess: { organizationId: 'o-a1b2c3d4e5', accounts: ['444455556666'] },
    });
  }

  // The StackSets example: the administrator stack (the stack set) and the stack it deploys to
  // every account of the OUs (a StackSetStack: its template is an asset of the first).
  new OrganizationCacheStack(app, 'OrganizationStackSet', {
    env: MATRIX_ENV,
    organizationalUnits: ['ou-abcd-11111111'],
    regions: ['us-east-1', 'eu-west-1'],
    operationsEventBusArn: 'arn:aws:events:us-east-1:999999999999:event-bus/operations',
  });

  return app;
}

/** Every stack of an app built by `buildMatrix`. */
export function matrixStacks(app: App): Stack[] {
  // Stacks at the root and in stages (the multi-region example), not nested under other stacks.
  return app.node.findAll().filter((c): c is Stack => Stack.isStack(c) && !c.nested);
}
