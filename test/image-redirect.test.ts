import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AspectPriority, Aspects, Lazy, Stack, Tags } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PullThroughCache, UpstreamRegistry } from '../src';
import { ACCOUNT, cachedArn, DOMAIN, dockerAndGhcrCache, newEnvStack, PULL_ACTIONS, REGION, SHA256 } from './support/cache-fixtures';
import { expectLeastPrivilege } from './support/helpers';

const NOT_CACHED = 'cdk-pull-through-cache:imageNotCached';
const NOT_REDIRECTED = 'cdk-pull-through-cache:imageNotRedirected';
const NOT_GRANTED = 'cdk-pull-through-cache:executionRoleNotGranted';

/** A directory with a Dockerfile, for an asset image (never built by synth). */
function dockerDirectory(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptc-asset-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
  return dir;
}

function taskDefinitions(stack: Stack): Record<string, any> {
  return Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition');
}

function imagesOf(stack: Stack, logicalId: string): any[] {
  return taskDefinitions(stack)[logicalId].Properties.ContainerDefinitions.map((c: any) => c.Image);
}

/** The statements of every IAM policy attached to a role. */
function roleStatements(stack: Stack, role: iam.IRole): any[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  return Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter(p => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

function warnings(stack: Stack, id: string): Array<{ path: string; message: string }> {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(`\\[ack: ${id}\\]`))
    .map(w => ({ path: w.id, message: String(w.entry.data) }));
}

function allWarnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map(w => String(w.entry.data));
}

/** A Fargate task definition of every kind of image, redirected by the cache. */
function mixedTask(stack: Stack, cache: PullThroughCache) {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  const repository = new ecr.Repository(stack, 'Repo');
  const images: Array<[string, ecs.ContainerImage]> = [
    ['asset', ecs.ContainerImage.fromAsset(dockerDirectory())],
    ['nginx', ecs.ContainerImage.fromRegistry('nginx:1.27')],
    ['ecrrepo', ecs.ContainerImage.fromEcrRepository(repository, 'v1')],
    ['agent', ecs.ContainerImage.fromRegistry('ghcr.io/org/agent:7')],
    ['ecrliteral', ecs.ContainerImage.fromRegistry('999999999999.dkr.ecr.us-east-1.amazonaws.com/team/app:1')],
    ['dotnet', ecs.ContainerImage.fromRegistry('mcr.microsoft.com/dotnet/aspnet:8.0')],
    ['cached', cache.containerImage('registry.k8s.io/pause:3.9')],
    ['redis', ecs.ContainerImage.fromRegistry('bitnami/redis:7.2')],
    ['pinned', ecs.ContainerImage.fromRegistry(`ghcr.io/org/sidecar:1@${SHA256}`)],
  ];
  for (const [id, image] of images) {
    taskDefinition.addContainer(id, { image, essential: id === 'nginx' });
  }
  return taskDefinition;
}

describe('ImageRedirect on an L2 task definition', () => {
  let stack: Stack;
  let taskDefinition: ecs.FargateTaskDefinition;
  beforeAll(() => {
    stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    taskDefinition = mixedTask(stack, cache);
    cache.redirectImages(stack);
  });

  test('rewrites the images the cache serves, at their own index, and leaves the others', () => {
    const images = imagesOf(stack, stack.getLogicalId(taskDefinition.node.defaultChild as ecs.CfnTaskDefinition));
    expect(images).toHaveLength(9);
    expect(images[0]).toEqual({ 'Fn::Sub': expect.stringMatching(/^111122223333\.dkr\.ecr\.eu-west-1\.\$\{AWS::URLSuffix\}\/cdk-hnb659fds-container-assets-/) });
    expect(images[1]).toBe(`${DOMAIN}/dockercache/library/nginx:1.27`);
    expect(JSON.stringify(images[2])).toContain('Repo'); // the repository's URI, a token
    expect(images[3]).toBe(`${DOMAIN}/ghcrcache/org/agent:7`);
    expect(images[4]).toBe('999999999999.dkr.ecr.us-east-1.amazonaws.com/team/app:1');
    expect(images[5]).toBe('mcr.microsoft.com/dotnet/aspnet:8.0');
    expect(images[6]).toBe(`${DOMAIN}/k8scache/pause:3.9`);
    expect(images[7]).toBe(`${DOMAIN}/dockercache/bitnami/redis:7.2`);
    expect(images[8]).toBe(`ghcr.io/org/sidecar:1@${SHA256}`); // pinned by digest: left alone
  });

  test('keeps the rest of each container definition', () => {
    const definitions = taskDefinitions(stack)[stack.getLogicalId(taskDefinition.node.defaultChild as ecs.CfnTaskDefinition)]
      .Properties.ContainerDefinitions;
    expect(definitions.map((d: any) => d.Name)).toEqual(['asset', 'nginx', 'ecrrepo', 'agent', 'ecrliteral', 'dotnet', 'cached', 'redis', 'pinned']);
    expect(definitions[1]).toEqual({ Name: 'nginx', Image: `${DOMAIN}/dockercache/library/nginx:1.27`, Essential: true });
  });

  test('grants the execution role the pull through the redirected upstreams only', () => {
    const statements = roleStatements(stack, taskDefinition.executionRole!);
    const pull = statements.filter(s => Array.isArray(s.Action) && s.Action.includes('ecr:BatchImportUpstreamImage'));
    for (const statement of pull) {
      expect(statement.Action).toEqual(PULL_ACTIONS);
    }
    // dockercache and ghcrcache by the aspect, k8scache by containerImage(); never the whole registry
    expect(pull.map(s => s.Resource)).toEqual(expect.arrayContaining([cachedArn('dockercache'), cachedArn('ghcrcache'), cachedArn('k8scache')]));
    expect(pull).toHaveLength(3);
    expectLeastPrivilege(Template.fromStack(stack));
  });

  test('warns about the literal image of a registry the cache does not serve, the image pinned by digest, and nothing else', () => {
    expect(warnings(stack, NOT_CACHED)).toEqual([{
      path: '/Stack/Task/dotnet',
      message: "image 'mcr.microsoft.com/dotnet/aspnet:8.0' is not pulled through the cache at 'Stack/Cache': "
        + "no upstream of the cache serves registry 'mcr.microsoft.com'; add an upstream for it (UpstreamRegistry), or pull it from its registry [ack: cdk-pull-through-cache:imageNotCached]",
    }]);
    expect(warnings(stack, NOT_REDIRECTED)).toEqual([{ path: '/Stack/Task/pinned', message: expect.stringContaining('pinned by digest') }]);
    expect(allWarnings(stack).filter(w => w.includes('cdk-pull-through-cache'))).toHaveLength(2);
  });
});

describe('ImageRedirect and the execution role', () => {
  test('a task definition without a cached image gets no execution role', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('mcr.microsoft.com/dotnet/aspnet:8.0') });
    cache.redirectImages(stack);

    const [definition] = Object.values<any>(taskDefinitions(stack));
    expect(definition.Properties.ExecutionRoleArn).toBeUndefined();
    expect(definition.Properties.ContainerDefinitions[0].Image).toBe('mcr.microsoft.com/dotnet/aspnet:8.0');
    expect(taskDefinition.executionRole).toBeUndefined();
  });

  test('a task definition without an execution role gets one, granted, and referenced', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('alpine:3') });
    cache.redirectImages(stack);

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: `${DOMAIN}/dockercache/library/alpine:3` })],
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskExecutionRole'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })] },
    });
    expect(roleStatements(stack, taskDefinition.executionRole!)).toEqual([
      { Effect: 'Allow', Action: PULL_ACTIONS, Resource: cachedArn('dockercache') },
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ]);
  });

  test('an imported execution role that takes no statement: redirected, with a warning', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const executionRole = iam.Role.fromRoleArn(stack, 'Imported', `arn:aws:iam::${ACCOUNT}:role/exec`, {
      mutable: false, addGrantsToResources: true,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { executionRole });
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('ghcr.io/org/app:1') });
    cache.redirectImages(stack);

    expect(Object.values<any>(taskDefinitions(stack))[0].Properties.ContainerDefinitions[0].Image).toBe(`${DOMAIN}/ghcrcache/org/app:1`);
    expect(warnings(stack, NOT_GRANTED)).toEqual([{
      path: '/Stack/Task',
      message: expect.stringContaining("the execution role 'Stack/Imported' cannot be changed by this app: grant it the pull yourself (cache.grantPull(role) (Python: cache.grant_pull(role)), or grantPullFromUpstream (Python: grant_pull_from_upstream) for 'ghcrcache')"),
    }]);
  });

  test('a container with repository credentials is left alone, with a warning', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const credentials = secretsmanager.Secret.fromSecretNameV2(stack, 'DockerCreds', 'docker-creds');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('private', { image: ecs.ContainerImage.fromRegistry('myorg/private:1', { credentials }) });
    taskDefinition.addContainer('public', { image: ecs.ContainerImage.fromRegistry('nginx:1.27') });
    cache.redirectImages(stack);

    const [definition] = Object.values<any>(taskDefinitions(stack));
    expect(definition.Properties.ContainerDefinitions.map((c: any) => c.Image))
      .toEqual(['myorg/private:1', `${DOMAIN}/dockercache/library/nginx:1.27`]);
    expect(warnings(stack, NOT_REDIRECTED)).toEqual([{
      path: '/Stack/Task/private',
      message: expect.stringContaining("image 'myorg/private:1' was not redirected to the pull-through cache at 'Stack/Cache': the container has repositoryCredentials (Python: repository_credentials)"),
    }]);
  });

  test('an image pinned by digest, alone or with a tag, is left alone with a warning: a first pull by digest does not populate the cache', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('digest', { image: ecs.ContainerImage.fromRegistry(`nginx@${SHA256}`) });
    taskDefinition.addContainer('tagdigest', { image: ecs.ContainerImage.fromRegistry(`ghcr.io/org/app:1@${SHA256}`) });
    cache.redirectImages(stack);

    const [definition] = Object.values<any>(taskDefinitions(stack));
    expect(definition.Properties.ContainerDefinitions.map((c: any) => c.Image)).toEqual([`nginx@${SHA256}`, `ghcr.io/org/app:1@${SHA256}`]);
    // nothing was redirected: the task definition gets no execution role, and works as it did
    expect(definition.Properties.ExecutionRoleArn).toBeUndefined();
    expect(taskDefinition.executionRole).toBeUndefined();
    expect(warnings(stack, NOT_REDIRECTED)).toEqual([
      {
        path: '/Stack/Task/digest',
        message: `image 'nginx@${SHA256}' was not redirected to the pull-through cache at 'Stack/Cache': the image is pinned by digest, `
          + 'and ECR pull through cache does not populate the cache when an image that is not cached yet is first pulled by digest, '
          + 'even with a tag as well (the pull fails as not found; aws/containers-roadmap#2837); pin it by tag, or pre-warm the cache '
          + 'by pulling the tag through it once and use cache.containerImage() (Python: cache.container_image()) [ack: cdk-pull-through-cache:imageNotRedirected]',
      },
      { path: '/Stack/Task/tagdigest', message: expect.stringContaining(`image 'ghcr.io/org/app:1@${SHA256}' was not redirected`) },
    ]);
    expect(warnings(stack, NOT_CACHED)).toEqual([]);
  });

  test('an invalid literal image is left alone, with a warning that says why', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('bad', { image: ecs.ContainerImage.fromRegistry('MyOrg/App:1') });
    cache.redirectImages(stack);
    expect(Object.values<any>(taskDefinitions(stack))[0].Properties.ContainerDefinitions[0].Image).toBe('MyOrg/App:1');
    expect(warnings(stack, NOT_CACHED)[0].message).toContain("Invalid image reference 'MyOrg/App:1'");
  });
});

describe('ImageRedirect on a plain CfnTaskDefinition', () => {
  function cfnTask(stack: Stack, executionRoleArn: string | undefined, id = 'CfnTask') {
    return new ecs.CfnTaskDefinition(stack, id, {
      executionRoleArn,
      containerDefinitions: [
        { name: 'web', image: 'nginx:1.27', essential: true },
        { name: 'dotnet', image: 'mcr.microsoft.com/dotnet/aspnet:8.0' },
        { name: 'k8s', image: 'registry.k8s.io/pause:3.9' },
        { name: 'pinned', image: `registry.k8s.io/pause:3.9@${SHA256}` },
      ],
    });
  }

  test('with the ARN of a role of the app: rewritten, and that role granted', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const role = new iam.Role(stack, 'ExecRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    cfnTask(stack, role.roleArn);
    cache.redirectImages(stack);

    expect(imagesOf(stack, 'CfnTask')).toEqual([
      `${DOMAIN}/dockercache/library/nginx:1.27`, 'mcr.microsoft.com/dotnet/aspnet:8.0', `${DOMAIN}/k8scache/pause:3.9`,
      `registry.k8s.io/pause:3.9@${SHA256}`,
    ]);
    expect(taskDefinitions(stack).CfnTask.Properties.ContainerDefinitions[0]).toEqual({
      Name: 'web', Image: `${DOMAIN}/dockercache/library/nginx:1.27`, Essential: true,
    });
    expect(roleStatements(stack, role)).toEqual([
      { Effect: 'Allow', Action: PULL_ACTIONS, Resource: cachedArn('dockercache') },
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      { Effect: 'Allow', Action: PULL_ACTIONS, Resource: cachedArn('k8scache') },
    ]);
    expect(warnings(stack, NOT_CACHED).map(w => w.path)).toEqual(['/Stack/CfnTask']);
    expect(warnings(stack, NOT_REDIRECTED)).toEqual([{
      path: '/Stack/CfnTask',
      message: expect.stringContaining(`ContainerDefinitions[3] image 'registry.k8s.io/pause:3.9@${SHA256}' was not redirected to the pull-through cache at 'Stack/Cache': the image is pinned by digest`),
    }]);
    expect(warnings(stack, NOT_GRANTED)).toEqual([]);
  });

  test('with a literal execution role ARN: rewritten, with a warning that it cannot grant', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    cfnTask(stack, `arn:aws:iam::${ACCOUNT}:role/exec`);
    cache.redirectImages(stack);

    expect(imagesOf(stack, 'CfnTask')[0]).toBe(`${DOMAIN}/dockercache/library/nginx:1.27`);
    expect(warnings(stack, NOT_GRANTED)).toEqual([{
      path: '/Stack/CfnTask',
      message: expect.stringContaining(
        `the execution role 'arn:aws:iam::${ACCOUNT}:role/exec' is not a role of this app: grant it the pull yourself `
        + "(cache.grantPull(role) (Python: cache.grant_pull(role)), or grantPullFromUpstream (Python: grant_pull_from_upstream) for 'dockercache', 'k8scache')",
      ),
    }]);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('without an execution role: left alone, with a warning (ECS could not pull from ECR)', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    cfnTask(stack, undefined);
    cache.redirectImages(stack);

    expect(imagesOf(stack, 'CfnTask')).toEqual([
      'nginx:1.27', 'mcr.microsoft.com/dotnet/aspnet:8.0', 'registry.k8s.io/pause:3.9', `registry.k8s.io/pause:3.9@${SHA256}`,
    ]);
    expect(warnings(stack, NOT_REDIRECTED).map(w => w.message)).toEqual([
      expect.stringContaining("ContainerDefinitions[0] image 'nginx:1.27' was not redirected to the pull-through cache at 'Stack/Cache': the task definition has no executionRoleArn"),
      expect.stringContaining("ContainerDefinitions[2] image 'registry.k8s.io/pause:3.9' was not redirected"),
      expect.stringContaining('ContainerDefinitions[3] image'),
    ]);
    expect(warnings(stack, NOT_CACHED)).toHaveLength(1);
  });

  test('container definitions that are a token, or a token entry, are left alone', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const role = new iam.Role(stack, 'ExecRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    new ecs.CfnTaskDefinition(stack, 'Opaque', {
      executionRoleArn: role.roleArn,
      containerDefinitions: Lazy.any({ produce: () => [{ name: 'web', image: 'nginx:1.27' }] }),
    });
    new ecs.CfnTaskDefinition(stack, 'TokenEntry', {
      executionRoleArn: role.roleArn,
      containerDefinitions: [Lazy.any({ produce: () => ({ name: 'web', image: 'nginx:1.27' }) })],
    });
    cache.redirectImages(stack);
    expect(imagesOf(stack, 'Opaque')).toEqual(['nginx:1.27']);
    expect(imagesOf(stack, 'TokenEntry')).toEqual(['nginx:1.27']);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });
});

describe('ImageRedirect in the aspect machinery', () => {
  test.each([false, true])('rewrites, grants and tags the role it creates (aspect stabilization %s), whatever the aspect order', (stabilization) => {
    for (const tagsFirst of [true, false]) {
      const stack = newEnvStack(undefined, { context: { '@aws-cdk/core:aspectStabilization': stabilization } });
      const cache = dockerAndGhcrCache(stack);
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
      taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('alpine:3') });
      if (tagsFirst) {
        Tags.of(stack).add('team', 'platform');
        cache.redirectImages(stack);
      } else {
        cache.redirectImages(stack);
        Tags.of(stack).add('team', 'platform');
      }

      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [Match.objectLike({ Image: `${DOMAIN}/dockercache/library/alpine:3` })],
      });
      // The execution role the aspect created was visited by the Tags aspect too.
      const roleId = stack.getLogicalId(taskDefinition.executionRole!.node.defaultChild as iam.CfnRole);
      expect(template.toJSON().Resources[roleId].Properties.Tags).toEqual([{ Key: 'team', Value: 'platform' }]);
      expect(roleStatements(stack, taskDefinition.executionRole!)[0]).toEqual({
        Effect: 'Allow', Action: PULL_ACTIONS, Resource: cachedArn('dockercache'),
      });
      expect(allWarnings(stack).filter(w => w.includes('ignoredAspect'))).toEqual([]);
    }
  });

  test('synthesizing twice gives the same template, without duplicate grants or warnings', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    mixedTask(stack, cache);
    cache.redirectImages(stack);
    const app = stack.node.root as App;

    const first = app.synth().getStackByName('Stack');
    const firstTemplate = JSON.stringify(first.template);
    const firstWarnings = first.messages.length;
    const second = app.synth({ force: true }).getStackByName('Stack');
    expect(JSON.stringify(second.template)).toBe(firstTemplate);
    expect(second.messages).toHaveLength(firstWarnings);
    expect(warnings(stack, NOT_CACHED)).toHaveLength(1);
  });

  test('the aspect added at the app reaches every stack', () => {
    const app = new App();
    const cacheStack = new Stack(app, 'CacheStack', { env: { account: ACCOUNT, region: REGION } });
    const serviceStack = new Stack(app, 'ServiceStack', { env: { account: ACCOUNT, region: REGION } });
    const cache = dockerAndGhcrCache(cacheStack);
    const taskDefinition = new ecs.FargateTaskDefinition(serviceStack, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('ghcr.io/org/app:1') });
    cache.redirectImages(app);

    Template.fromStack(serviceStack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: `${DOMAIN}/ghcrcache/org/app:1` })],
    });
    expect(roleStatements(serviceStack, taskDefinition.executionRole!)[0].Resource).toEqual(cachedArn('ghcrcache'));
  });

  test('the aspect only touches the scope it was added to', () => {
    const app = new App();
    const a = new Stack(app, 'A', { env: { account: ACCOUNT, region: REGION } });
    const b = new Stack(app, 'B', { env: { account: ACCOUNT, region: REGION } });
    const cache = dockerAndGhcrCache(a);
    for (const stack of [a, b]) {
      new ecs.FargateTaskDefinition(stack, 'Task').addContainer('app', { image: ecs.ContainerImage.fromRegistry('alpine:3') });
    }
    cache.redirectImages(a);
    const image = (stack: Stack) => Object.values<any>(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'))[0]
      .Properties.ContainerDefinitions[0].Image;
    expect(image(a)).toBe(`${DOMAIN}/dockercache/library/alpine:3`);
    expect(image(b)).toBe('alpine:3');
  });

  test('with two caches, the first redirect to reach a container wins', () => {
    const stack = newEnvStack();
    const first = new PullThroughCache(stack, 'First', { upstreams: [{ registry: UpstreamRegistry.quay(), prefix: 'quayfirst' }] });
    const second = new PullThroughCache(stack, 'Second', { upstreams: [{ registry: UpstreamRegistry.quay(), prefix: 'quaysecond' }] });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('quay.io/org/app:1') });
    first.redirectImages(stack);
    second.redirectImages(stack);

    expect(Object.values<any>(taskDefinitions(stack))[0].Properties.ContainerDefinitions[0].Image).toBe(`${DOMAIN}/quayfirst/org/app:1`);
    expect(roleStatements(stack, taskDefinition.executionRole!).map(s => s.Resource)).toEqual([cachedArn('quayfirst'), '*']);
  });

  test('reaches the task definitions of ecs-patterns constructs', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    const service = new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Service', {
      taskImageOptions: { image: ecs.ContainerImage.fromRegistry('nginx:1.27') },
    });
    cache.redirectImages(stack);

    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: `${DOMAIN}/dockercache/library/nginx:1.27` })],
    });
    expect(roleStatements(stack, service.taskDefinition.executionRole!)).toContainEqual({
      Effect: 'Allow', Action: PULL_ACTIONS, Resource: cachedArn('dockercache'),
    });
  });

  test('redirectImages adds one aspect, with the mutating priority', () => {
    const stack = newEnvStack();
    const cache = dockerAndGhcrCache(stack);
    // The cache's own read-only Lambda image check is on the stack already: count what redirectImages adds.
    const before = Aspects.of(stack).applied.length;
    cache.redirectImages(stack);
    expect(Aspects.of(stack).applied.slice(before).map(a => a.priority)).toEqual([AspectPriority.MUTATING]);
  });
});
