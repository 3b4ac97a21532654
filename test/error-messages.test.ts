import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  CachedImages,
  ImageReference,
  KubernetesPolicyEngine,
  PullThroughCache,
  PullThroughCacheDashboard,
  PullThroughCacheSecret,
  RegistryPolicy,
  RegistryScanning,
  ScanFrequency,
  TemplateScope,
  UpstreamRegistry,
} from '../src';
import { ACCOUNT, dockerAndGhcrCache, newEnvStack, REGION } from './support/cache-fixtures';
import { CASES, newScope } from './support/error-cases';
import { newStack } from './support/helpers';
import { unspelledNames } from './support/spelling';

/**
 * Every error and warning of the library names each field and method as TypeScript and Python
 * spell them (`secretName (Python: secret_name)`); Java keeps the TypeScript name, Go and .NET
 * capitalize it. Add a case with one line to ERRORS or WARNINGS.
 */


/** What a case throws, as a message. */
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    // Construct-time problems are a plain Error; validations at synth come wrapped by the CDK.
    expect(e).toBeInstanceOf(Error);
    if (process.env.PRINT_MESSAGES) {
      process.stdout.write(`${(e as Error).message}\n\n`);
    }
    return (e as Error).message;
  }
  throw new Error('the case threw nothing');
}

const role = (stack: Stack) => (stack.node.tryFindChild('UpstreamRole') as iam.IRole | undefined)
  ?? iam.Role.fromRoleArn(stack, 'UpstreamRole', `arn:aws:iam::${ACCOUNT}:role/ptc`);
const k8sCache = (stack: Stack) => new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });

/** [what, what throws the error] */
const ERRORS: Array<[string, () => unknown]> = [
  ...CASES.map(([what, props]): [string, () => unknown] => [`PullThroughCache: ${what}`, () => {
    const { scope } = newScope();
    return new PullThroughCache(scope, 'Cache', props(scope));
  }]),
  ['a secret name given with its ecr-pullthroughcache/ prefix', () =>
    PullThroughCacheSecret.create(newStack(), 'S', { registryName: 'ecr-pullthroughcache/dockerio', username: 'u' })],
  ['a secret registry name with a space', () => PullThroughCacheSecret.create(newStack(), 'S', { registryName: 'docker io', username: 'u' })],
  ['a secret without a user name', () => PullThroughCacheSecret.create(newStack(), 'S', { registryName: 'dockerio', username: '' })],
  ['an imported cache with a bad account and region', () => PullThroughCache.fromPullThroughCacheAttributes(newStack(), 'Cache', {
    account: '12', region: 'Paris', upstreams: [{ registry: UpstreamRegistry.kubernetes() }],
  })],
  ['an imported cache in another partition', () => PullThroughCache.fromPullThroughCacheAttributes(newEnvStack(), 'Cache', {
    account: ACCOUNT, region: 'cn-north-1', upstreams: [{ registry: UpstreamRegistry.kubernetes() }],
  })],
  ['an imported cache with tags but repositoryTemplateHasResourceTags false', () => PullThroughCache.fromPullThroughCacheAttributes(newStack(), 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }], repositoryTemplateHasResourceTags: false, repositoryTemplateResourceTags: { a: 'b' },
  })],
  ['an imported cache with a duplicate prefix', () => PullThroughCache.fromPullThroughCacheAttributes(newStack(), 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.quay() }, { registry: UpstreamRegistry.quay() }],
  })],
  ['an ECR upstream without a role', () => new PullThroughCache(newEnvStack(), 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.ecr({ account: '444455556666', region: 'us-east-1' }) }],
  })],
  ['an ECR upstream of the cache\'s own registry', () => {
    const stack = newEnvStack();
    return new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(stack), account: ACCOUNT, region: REGION }) }] });
  }],
  ['an ECR upstream without account or region', () => {
    const stack = newEnvStack();
    return new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(stack) }) }] });
  }],
  ['cross-account access with a bad account and organization', () => new PullThroughCache(newStack(), 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }], crossAccountAccess: { accounts: ['1'], organizationId: 'org' },
  })],
  ['cross-account access to nobody', () => new PullThroughCache(newStack(), 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }], crossAccountAccess: {},
  })],
  ['continuous basic scanning', () => new PullThroughCache(newStack(), 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }], scanning: { frequency: ScanFrequency.CONTINUOUS_SCAN },
  })],
  ['a bad scanning filter', () => RegistryScanning.getOrCreate(newStack()).addWildcardFilters(['Bad Filter'])],
  ['two ROOT templates in one stack', () => {
    const stack = newStack();
    new PullThroughCache(stack, 'A', { upstreams: [{ registry: UpstreamRegistry.kubernetes() }], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    return new PullThroughCache(stack, 'B', { upstreams: [{ registry: UpstreamRegistry.quay() }], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
  }],
  ['two caches with one prefix', () => {
    const stack = newStack();
    k8sCache(stack);
    return new PullThroughCache(stack, 'B', { upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });
  }],
  ['grantPullFromUpstream of an unknown prefix', () => {
    const stack = newStack();
    return k8sCache(stack).grantPullFromUpstream(new iam.AccountRootPrincipal(), 'nope');
  }],
  ['imageUri of a registry no upstream serves', () => k8sCache(newEnvStack()).imageUri('mcr.microsoft.com/dotnet/aspnet:8.0')],
  ['imageUri of the frozen k8s.gcr.io', () => k8sCache(newEnvStack()).imageUri('k8s.gcr.io/pause:3.9')],
  ['imageUri of a token', () => k8sCache(newEnvStack()).imageUri(Lazy.string({ produce: () => 'alpine' }))],
  ['an invalid image reference', () => ImageReference.parse('UPPER/Case:1')],
  ['containerdMirrors with a relative directory', () => k8sCache(newEnvStack()).containerdMirrors({ configDirectory: 'etc/containerd' })],
  ['containerdNodeScript with a short refresh interval', () => k8sCache(newEnvStack()).containerdNodeScript({ refreshInterval: Duration.minutes(1) })],
  ['onPullFailure from another region', () => {
    const app = new App();
    const cache = k8sCache(new Stack(app, 'Cache', { env: { account: ACCOUNT, region: REGION } }));
    const imported = PullThroughCache.fromPullThroughCacheAttributes(new Stack(app, 'Other', { env: { account: ACCOUNT, region: 'us-east-1' } }), 'Imported', {
      account: ACCOUNT, region: REGION, upstreams: [{ registry: UpstreamRegistry.kubernetes() }],
    });
    void cache;
    return imported.onPullFailure('Failures');
  }],
  ['metricPulls of an unknown prefix', () => k8sCache(newEnvStack()).metricPulls({ prefix: 'nope' })],
  ['metricPulls with dimensionsMap', () => k8sCache(newEnvStack()).metricPulls({ dimensionsMap: { a: 'b' } })],
  ['metricPulls with stackAccount', () => k8sCache(newEnvStack()).metricPulls({ stackAccount: ACCOUNT })],
  ['metricRepositoryPulls outside the prefixes', () => k8sCache(newEnvStack()).metricRepositoryPulls('other/repo')],
  ['metricSyncs of another cache\'s rule', () => {
    const stack = newEnvStack();
    const other = new PullThroughCache(stack, 'Other', { upstreams: [{ registry: UpstreamRegistry.quay() }] });
    return k8sCache(stack).metricSyncs(other.onPullThroughCacheAction('Syncs'));
  }],
  ['a dashboard with dashboardName and dashboard', () => {
    const stack = newEnvStack();
    return new PullThroughCacheDashboard(stack, 'Dashboard', {
      cache: k8sCache(stack), dashboardName: 'mine', dashboard: new cloudwatch.Dashboard(stack, 'Mine'),
    });
  }],
  ['a dashboard with a bad name', () => {
    const stack = newEnvStack();
    return new PullThroughCacheDashboard(stack, 'Dashboard', { cache: k8sCache(stack), dashboardName: 'my dashboard' });
  }],
  ['a registry scanning configuration without filters', () => {
    const stack = newStack();
    RegistryScanning.getOrCreate(stack);
    return (stack.node.root as App).synth();
  }],
  ['an empty registry policy', () => {
    const stack = newStack();
    RegistryPolicy.getOrCreate(stack);
    return (stack.node.root as App).synth();
  }],
  ['a registry singleton id taken', () => {
    const stack = newStack();
    new iam.Role(stack, 'EcrRegistryScanning', { assumedBy: new iam.AccountRootPrincipal() });
    return RegistryScanning.getOrCreate(stack);
  }],
  ['fromLookup in an environment-agnostic stack', () => PullThroughCache.fromLookup(new Stack(new App(), 'A'), 'Cache', { account: '555566667777' })],
  ['fromLookup with a malformed account', () => PullThroughCache.fromLookup(newEnvStack(), 'Cache', { account: '1234' })],
  ['fromLookup with a token region', () => PullThroughCache.fromLookup(newEnvStack(), 'Cache', { region: Lazy.string({ produce: () => 'x' }) })],
  ['fromLookup of another account with the stack\'s own lookup role', () => PullThroughCache.fromLookup(newEnvStack(), 'Cache', { account: '555566667777' })],
  ['CachedImages with every bad option', () => new CachedImages(newEnvStack(), 'Images', {
    cache: k8sCache(newEnvStack()),
    images: ['ghcr.io/org/app:1', 'registry.k8s.io/pause@sha256:' + 'a'.repeat(64)],
    platforms: ['arm64'],
    retries: 11,
    requestTimeout: Duration.minutes(11),
  })],
  ['CachedImages of another account', () => {
    const stack = newEnvStack();
    const other = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Other', {
      account: '444455556666', region: REGION, upstreams: [{ registry: UpstreamRegistry.kubernetes() }],
    });
    return new CachedImages(stack, 'Images', { cache: other, images: ['registry.k8s.io/pause:3.9'] });
  }],
  ['CachedImages.digestOf of an image it lacks', () => {
    const stack = newEnvStack();
    return new CachedImages(stack, 'Images', { cache: k8sCache(stack), images: ['registry.k8s.io/pause:3.9'] }).digestOf('nginx');
  }],
  ['CachedImages.dockerImageCode for another architecture', () => {
    const stack = newEnvStack();
    const images = new CachedImages(stack, 'Images', { cache: k8sCache(stack), images: ['registry.k8s.io/pause:3.9'] });
    new lambda.DockerImageFunction(stack, 'Fn', { code: images.dockerImageCode('registry.k8s.io/pause:3.9', lambda.Architecture.ARM_64) });
    return Template.fromStack(stack);
  }],
  ['kubernetesImageRewrite with every bad option', () => k8sCache(newEnvStack()).kubernetesImageRewrite({
    upstreams: ['nope'], excludedNamespaces: ['Team_A'], kyvernoNamespace: 'kyverno.', optOutLabel: 'skip me', name: 'Bad_Name',
  })],
  ['kubernetesImageRewrite with the Kyverno namespace for the other engine', () => k8sCache(newEnvStack()).kubernetesImageRewrite({
    engine: KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY, kyvernoNamespace: 'kyverno', upstreams: [],
  })],
  ['kubernetesImageRewrite of a cache whose account is a parameter', () => {
    const stack = newEnvStack();
    return PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      account: new CfnParameter(stack, 'CacheAccount').valueAsString, upstreams: [{ registry: UpstreamRegistry.quay() }],
    }).kubernetesImageRewrite();
  }],
];

/** [warning id, what adds it to the stack] */
/**
 * Warnings that only a lookup answered by the CDK CLI's context loop raises: test/lookup.test.ts runs
 * that loop (asynchronously) and checks their spelling with the same unspelledNames.
 */
const LOOKUP_WARNINGS = ['lookupUpstreamUnknown'];

const WARNINGS: Array<[string, (stack: Stack) => void]> = [
  ['tokenPrefix', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes(), prefix: Lazy.string({ produce: () => 'k8s' }) }],
  })],
  ['nestedPrefix', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes(), prefix: 'mirror' }, { registry: UpstreamRegistry.quay(), prefix: 'mirror/quay' }],
  })],
  ['rootRule', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(stack), account: '444455556666', region: 'us-east-1' }), prefix: 'ROOT' }],
  })],
  ['rootRuleTagResource', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(stack), account: '444455556666', region: 'us-east-1' }), prefix: 'ROOT' }],
    repositoryTemplate: { resourceTags: { team: 'a' } },
  })],
  ['tagResourceUnconditioned', stack => PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }], repositoryTemplateHasResourceTags: true,
  }).grantPull(new iam.AccountRootPrincipal())],
  ['immutableTags', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }], repositoryTemplate: { imageTagMutability: ecr.TagMutability.IMMUTABLE },
  })],
  ['publicRepositoryPolicy', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }],
    repositoryTemplate: {
      repositoryPolicy: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ actions: ['ecr:BatchGetImage'], principals: [new iam.AnyPrincipal()] })],
      }),
    },
  })],
  ['crossAccountRootRule', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(stack), account: '444455556666', region: 'us-east-1' }), prefix: 'ROOT' }],
    crossAccountAccess: { accounts: ['444455556666'] },
  })],
  ['crossAccountAnyPrefix', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(stack), account: '444455556666', region: 'us-east-1' }), prefix: 'ROOT' }],
    crossAccountAccess: { accounts: ['444455556666'] },
  })],
  ['registryPolicySingleton', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }], crossAccountAccess: { accounts: ['444455556666'] },
  })],
  ['registryScanningSingleton', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }], scanning: {},
  })],
  ['digestFirstPull', stack => k8sCache(stack).imageUri(`registry.k8s.io/pause@sha256:${'0'.repeat(64)}`)],
  ['imageNotCached', stack => {
    const cache = dockerAndGhcrCache(stack);
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('app', { image: ecs.ContainerImage.fromRegistry('k8s.gcr.io/pause:3.9') });
    cache.redirectImages(stack);
  }],
  ['imageNotRedirected', stack => {
    const cache = dockerAndGhcrCache(stack);
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('app', { image: ecs.ContainerImage.fromRegistry(`nginx@sha256:${'0'.repeat(64)}`) });
    cache.redirectImages(stack);
  }],
  ['executionRoleNotGranted', stack => {
    const cache = dockerAndGhcrCache(stack);
    const executionRole = iam.Role.fromRoleArn(stack, 'Imported', `arn:aws:iam::${ACCOUNT}:role/exec`, { mutable: false, addGrantsToResources: true });
    new ecs.FargateTaskDefinition(stack, 'Task', { executionRole }).addContainer('app', { image: ecs.ContainerImage.fromRegistry('ghcr.io/org/app:1') });
    cache.redirectImages(stack);
  }],
  ['lambdaImageInCache', stack => {
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.ecrPublic() }] });
    const fnRole = new iam.Role(stack, 'FunctionRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new lambda.CfnFunction(stack, 'Fn', { packageType: 'Image', code: { imageUri: cache.imageUri('public.ecr.aws/lambda/nodejs:20') }, role: fnRole.roleArn });
  }],
  ['mirrorSkipped', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(stack), account: '444455556666', region: 'us-west-2', repositoryPrefix: 'prod' }), prefix: 'prodmirror' }],
  }).containerdMirrors()],
  ['nodeScriptSize', stack => new PullThroughCache(stack, 'Cache', {
    upstreams: Array.from({ length: 33 }, (_, i) => ({
      registry: UpstreamRegistry.ecr({ role: role(stack), account: String(444455550000 + i), region: 'us-east-1' }), prefix: `mirror${i}`,
    })),
  }).containerdNodeScript()],
  ['nodeScriptUserDataNotMime', stack => {
    const userData = ec2.UserData.forLinux();
    userData.addCommands(k8sCache(stack).containerdNodeScript());
    const launchTemplate = new ec2.LaunchTemplate(stack, 'NodeTemplate', { userData });
    new eks.CfnNodegroup(stack, 'Nodes', {
      clusterName: 'c', nodeRole: `arn:aws:iam::${ACCOUNT}:role/node`, subnets: ['subnet-1'], launchTemplate: { id: launchTemplate.launchTemplateId },
    });
  }],
  ['syncMetricRule', stack => k8sCache(stack).metricSyncs(new events.Rule(stack, 'Rule', { eventPattern: { source: ['aws.ecr'] } }))],
  ['lambdaRepositoryPolicy', stack => new CachedImages(stack, 'Images', {
    cache: k8sCache(stack), images: ['registry.k8s.io/pause:3.9'],
  }).dockerImageCode('registry.k8s.io/pause:3.9')],
];

describe('every error names each field and method in TypeScript and Python spelling', () => {
  test.each(ERRORS)('%s', (_what, run) => {
    const message = messageOf(run);
    expect(unspelledNames(message)).toEqual([]);
  });
});

describe('every warning names each field and method in TypeScript and Python spelling', () => {
  test.each(WARNINGS)('%s', (id, add) => {
    const stack = newEnvStack();
    add(stack);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(`cdk-pull-through-cache:${id}\\]`));
    expect(warnings.length).toBeGreaterThan(0);
    for (const warning of Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-pull-through-cache:'))) {
      if (process.env.PRINT_MESSAGES) {
        process.stdout.write(`${String(warning.entry.data)}\n\n`);
      }
      expect({ message: warning.entry.data, unspelled: unspelledNames(String(warning.entry.data)) })
        .toEqual({ message: warning.entry.data, unspelled: [] });
    }
  });

  test('the table has every warning id of the library', () => {
    const ids = new Set<string>();
    const walk = (dir: string): void => fs.readdirSync(dir, { withFileTypes: true }).forEach(entry => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(file);
      } else if (file.endsWith('.ts')) {
        const source = fs.readFileSync(file, 'utf8');
        for (const m of source.matchAll(/warn\([\w.]+, '(\w+)'|\bid: '(\w+)'/g)) {
          ids.add(m[1] ?? m[2]);
        }
      }
    });
    walk(path.join(__dirname, '..', 'src'));
    expect(ids.size).toBeGreaterThan(15);
    expect([...ids].filter(id => !WARNINGS.some(([w]) => w === id) && !LOOKUP_WARNINGS.includes(id)).sort()).toEqual([]);
  });
});

describe('the check can fail', () => {
  test.each([
    ['set secretName, or use PullThroughCacheSecret.create', ['secretName']],
    ['import it with Secret.fromSecretCompleteArn(scope, id, arn)', ['Secret.fromSecretCompleteArn(scope, id, arn)']],
    ['repositoryTemplate.lifecycleRules[0]: no', ['repositoryTemplate.lifecycleRules[0]']],
    ['onPullFailure (Python: on_pull)', ['onPullFailure']],
  ])('%s', (message, missing) => {
    expect(unspelledNames(message)).toEqual(missing);
  });

  test.each([
    'set secretName (Python: secret_name), or use PullThroughCacheSecret.create',
    "import it with Secret.fromSecretCompleteArn (Python: Secret.from_secret_complete_arn)(scope, id, 'arn:aws:secretsmanager:x')",
    "prefix 'myCache' is invalid; cache's account, https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html",
    'ecr:BatchGetImage and aws:RequestTag/<key>, UpstreamRegistry.kubernetes() and TemplateScope.ANY_PREFIX',
  ])('%s', message => {
    expect(unspelledNames(message)).toEqual([]);
  });
});
