import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CachedImages, PullThroughCache, UpstreamRegistry } from '../src';
import { DOMAIN, ENV } from './support/cache-fixtures';
import { expectLeastPrivilege } from './support/helpers';

const NODE = 'public.ecr.aws/lambda/nodejs:22';

function build(env: { account: string; region: string } | undefined = ENV) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env });
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.ecrPublic(), prefix: 'ecrpubliccache' },
      { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
      { registry: UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
    ],
  });
  return { app, stack, cache };
}

/** A rendered repository policy: a JSON string, or a join of strings and `Ref AWS::Partition`. */
function policyOf(value: any): any {
  if (typeof value === 'string') {
    return JSON.parse(value);
  }
  const [sep, parts] = value['Fn::Join'];
  return JSON.parse(parts.map((p: any) => (typeof p === 'string' ? p : p.Ref === 'AWS::Partition' ? 'aws' : JSON.stringify(p))).join(sep));
}

function customResource(template: Template): { id: string; resource: any } {
  const found = template.findResources('Custom::CachedImages');
  const [id] = Object.keys(found);
  return { id, resource: found[id] };
}

describe('CachedImages resources', () => {
  test('one custom resource with the images in the cache, one handler and provider per stack', () => {
    const { stack, cache } = build();
    new CachedImages(stack, 'Images', { cache, images: [NODE, 'quay.io/prometheus/busybox:latest'], platforms: ['linux/arm64'] });
    new CachedImages(stack, 'More', { cache, images: ['registry.k8s.io/pause:3.10'], failOnError: false, requestTimeout: Duration.seconds(20), retries: 2 });
    const t = Template.fromStack(stack);
    t.resourceCountIs('Custom::CachedImages', 2);
    // The handler and the Provider framework's function: shared by both.
    t.resourceCountIs('AWS::Lambda::Function', 2);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 840,
    });
    t.hasResourceProperties('Custom::CachedImages', {
      RegistryDomain: DOMAIN,
      Images: [
        { Reference: NODE, Repository: 'ecrpubliccache/lambda/nodejs', Tag: '22' },
        { Reference: 'quay.io/prometheus/busybox:latest', Repository: 'quaycache/prometheus/busybox', Tag: 'latest' },
      ],
      Platforms: ['linux/arm64'],
      FailOnError: 'true',
      TimeoutSeconds: '60',
      Retries: '4',
    });
    t.hasResourceProperties('Custom::CachedImages', {
      Images: [{ Reference: 'registry.k8s.io/pause:3.10', Repository: 'k8scache/pause', Tag: '3.10' }],
      Platforms: Match.absent(),
      FailOnError: 'false',
      TimeoutSeconds: '20',
      Retries: '2',
    });
  });

  test('an untagged reference is pulled as latest', () => {
    const { stack, cache } = build();
    new CachedImages(stack, 'Images', { cache, images: ['quay.io/prometheus/busybox'] });
    Template.fromStack(stack).hasResourceProperties('Custom::CachedImages', {
      Images: [{ Reference: 'quay.io/prometheus/busybox', Repository: 'quaycache/prometheus/busybox', Tag: 'latest' }],
    });
  });

  test('the custom resource depends on the cache (its templates and rules) and on the handler role\'s policy', () => {
    const { stack, cache } = build();
    new CachedImages(stack, 'Images', { cache, images: [NODE] });
    const t = Template.fromStack(stack);
    const depends: string[] = customResource(t).resource.DependsOn;
    const templates = Object.keys(t.findResources('AWS::ECR::RepositoryCreationTemplate'));
    const rules = Object.keys(t.findResources('AWS::ECR::PullThroughCacheRule'));
    expect(templates.length).toBe(3);
    for (const id of [...templates, ...rules]) {
      expect(depends).toContain(id);
    }
    const policies = Object.keys(t.findResources('AWS::IAM::Policy'));
    expect(depends.some(d => policies.includes(d))).toBe(true);
  });
});

describe('CachedImages IAM', () => {
  test('the handler gets the pull actions on the prefixes of its images only, and GetAuthorizationToken', () => {
    const { stack, cache } = build();
    new CachedImages(stack, 'Images', { cache, images: [NODE] });
    const t = Template.fromStack(stack);
    expectLeastPrivilege(t);
    const policies = t.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('CachedImagesHandler') }] },
    });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const resources = JSON.stringify(statements.map((s: any) => s.Resource));
    expect(resources).toContain('repository/ecrpubliccache/*');
    expect(resources).not.toContain('quaycache');
    expect(resources).not.toContain('k8scache');
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
      expect.objectContaining({
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
      }),
    ]));
    expect(JSON.stringify(statements)).not.toMatch(/ecr:\*|ecr:Put|ecr:Delete|ecr:SetRepositoryPolicy/);
  });
});

describe('CachedImages outputs', () => {
  test('dockerImageCode pins a DockerImageFunction to the platform manifest digest and asks the warm-up for it', () => {
    const { stack, cache } = build();
    const images = new CachedImages(stack, 'Images', { cache, images: [NODE] });
    new lambda.DockerImageFunction(stack, 'Fn', { code: images.dockerImageCode(NODE), architecture: lambda.Architecture.ARM_64 });
    const t = Template.fromStack(stack);
    const { id } = customResource(t);
    t.hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      Architectures: ['arm64'],
      Code: {
        ImageUri: {
          'Fn::Join': ['', [`${DOMAIN}/ecrpubliccache/lambda/nodejs@`, { 'Fn::GetAtt': [id, 'Digest0.linux.arm64'] }]],
        },
      },
    });
    t.hasResourceProperties('Custom::CachedImages', {
      Images: [{ Reference: NODE, Repository: 'ecrpubliccache/lambda/nodejs', Tag: '22', RequiredPlatforms: ['linux/arm64'] }],
    });
  });

  test('no lambdaImageInCache warning for a function of dockerImageCode; the warning stays for one that is not', () => {
    const { stack, cache } = build();
    const images = new CachedImages(stack, 'Images', { cache, images: [NODE] });
    new lambda.DockerImageFunction(stack, 'Warm', { code: images.dockerImageCode(NODE, lambda.Architecture.X86_64) });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new lambda.CfnFunction(stack, 'Cold', { packageType: 'Image', code: { imageUri: cache.imageUri(NODE) }, role: role.roleArn });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('lambdaImageInCache'));
    expect(warnings.map(w => w.id)).toEqual(['/Stack/Cold']);
  });

  test('dockerImageCode with an architecture other than the function\'s is an error', () => {
    const { stack, cache } = build();
    const images = new CachedImages(stack, 'Images', { cache, images: [NODE] });
    expect(() => new lambda.DockerImageFunction(stack, 'Fn', { code: images.dockerImageCode(NODE, lambda.Architecture.ARM_64) }))
      .toThrow(/dockerImageCode \(Python: docker_image_code\) of 'public\.ecr\.aws\/lambda\/nodejs:22' for arm64 is given to a function of architecture x86_64/);
  });

  test('containerImage pins an ECS task definition to the digest and grants its execution role', () => {
    const { stack, cache } = build();
    const images = new CachedImages(stack, 'Images', { cache, images: ['quay.io/prometheus/busybox:latest'] });
    const task = new ecs.FargateTaskDefinition(stack, 'Task');
    task.addContainer('app', { image: images.containerImage('quay.io/prometheus/busybox:latest') });
    const t = Template.fromStack(stack);
    const { id } = customResource(t);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [{
        Image: { 'Fn::Join': ['', [`${DOMAIN}/quaycache/prometheus/busybox@`, { 'Fn::GetAtt': [id, 'Digest0'] }]] },
      }],
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('TaskExecutionRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['ecr:BatchGetImage']) })]) },
    });
    expectLeastPrivilege(t);
  });

  test('digestOf and failures are attributes of the custom resource', () => {
    const { stack, cache } = build();
    const images = new CachedImages(stack, 'Images', { cache, images: [NODE, 'registry.k8s.io/pause:3.10'] });
    expect(stack.resolve(images.digestOf('registry.k8s.io/pause:3.10'))).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Images/), 'Digest1'] });
    expect(stack.resolve(images.failures)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Images/), 'Failures'] });
  });

  test('a reference not among the images is an error naming the images', () => {
    const { stack, cache } = build();
    const images = new CachedImages(stack, 'Images', { cache, images: [NODE] });
    expect(() => images.digestOf('public.ecr.aws/lambda/python:3.13'))
      .toThrow("CachedImages at 'Stack/Images': 'public.ecr.aws/lambda/python:3.13' is not one of its images ('public.ecr.aws/lambda/nodejs:22'); add it to images");
  });
});

describe('CachedImages validation, before any resource', () => {
  test.each([
    ['no image', { images: [] }, /images: 0 images; give 1 to 30/],
    ['31 images', { images: Array.from({ length: 31 }, (_, i) => `quay.io/org/app${i}:1`) }, /images: 31 images; give 1 to 30.*split larger lists/],
    ['a registry no upstream serves', { images: ['ghcr.io/org/app:1'] }, /images\[0\]: .*cannot pull 'ghcr\.io\/org\/app:1' through the cache: no upstream of the cache serves registry 'ghcr\.io'/],
    ['a digest', { images: [`quay.io/org/app@sha256:${'a'.repeat(64)}`] }, /images\[0\]: .* is pinned by digest; ECR does not fill the cache on a first pull by digest/],
    ['a duplicate', { images: [NODE, NODE] }, /images\[1\]: 'public\.ecr\.aws\/lambda\/nodejs:22' is given twice/],
    ['a bad platform', { images: [NODE], platforms: ['arm64'] }, /platforms\[0\]: 'arm64' is not os\/arch\[\/variant\]/],
    ['bad retries', { images: [NODE], retries: 11 }, /retries: 11; give an integer from 0 to 10/],
    ['a bad timeout', { images: [NODE], requestTimeout: Duration.minutes(11) }, /requestTimeout \(Python: request_timeout\): 660 seconds/],
  ])('%s', (_name, props, message) => {
    const { stack, cache } = build();
    const before = stack.node.findAll().length;
    expect(() => new CachedImages(stack, 'Images', { cache, ...props } as any)).toThrow(message);
    // Nothing but the (empty) CachedImages scope was added.
    expect(stack.node.findAll().length).toBeLessThanOrEqual(before + 1);
    expect(Template.fromStack(stack).findResources('Custom::CachedImages')).toEqual({});
  });

  test('a cache of another account or region is an error naming cache', () => {
    const { stack } = build();
    const other = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Other', {
      account: '444455556666', region: 'us-east-1', upstreams: [{ registry: UpstreamRegistry.ecrPublic(), prefix: 'ecrpubliccache' }],
    });
    expect(() => new CachedImages(stack, 'Images', { cache: other, images: [NODE] })).toThrow(
      /CachedImages at 'Stack\/Images' is invalid:\n {2}- cache: the cache at 'Stack\/Other' is in account '444455556666', this stack in '111122223333'.*\n {2}- cache: .* region 'us-east-1'/);
  });

  test('an imported cache of the same account and region works, in an environment-agnostic stack too', () => {
    const { stack } = build(undefined);
    const imported = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      upstreams: [{ registry: UpstreamRegistry.ecrPublic(), prefix: 'ecrpubliccache' }],
    });
    const images = new CachedImages(stack, 'Images', { cache: imported, images: [NODE] });
    expect(images.resource).toBeDefined();
    Template.fromStack(stack).resourceCountIs('Custom::CachedImages', 1);
  });
});

describe('Lambda reads the cached repositories', () => {
  test('repositoryTemplate.allowLambda adds the Lambda statement, scoped to this account\'s functions, to every template', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecrPublic(), prefix: 'ecrpubliccache' }, { registry: UpstreamRegistry.quay(), prefix: 'quaycache' }],
      repositoryTemplate: { allowLambda: true },
    });
    const images = new CachedImages(stack, 'Images', { cache, images: [NODE] });
    new lambda.DockerImageFunction(stack, 'Fn', { code: images.dockerImageCode(NODE) });
    const templates = Template.fromStack(stack).findResources('AWS::ECR::RepositoryCreationTemplate');
    expect(Object.keys(templates)).toHaveLength(2);
    for (const t of Object.values(templates)) {
      const policy = policyOf((t as any).Properties.RepositoryPolicy);
      expect(policy.Statement).toEqual([{
        Sid: 'LambdaECRImageRetrievalPolicy',
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        Condition: { StringLike: { 'aws:sourceArn': 'arn:aws:lambda:eu-west-1:111122223333:function:*' } },
      }]);
    }
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('lambdaRepositoryPolicy|lambdaImageInCache'))).toEqual([]);
  });

  test('allowLambda keeps the user\'s own repository policy statements', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecrPublic(), prefix: 'ecrpubliccache' }],
      repositoryTemplate: {
        allowLambda: true,
        repositoryPolicy: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ sid: 'Own', principals: [new iam.AccountPrincipal('444455556666')], actions: ['ecr:BatchGetImage'] })],
        }),
      },
    });
    const [t] = Object.values(Template.fromStack(stack).findResources('AWS::ECR::RepositoryCreationTemplate'));
    const policy = policyOf((t as any).Properties.RepositoryPolicy);
    expect(policy.Statement.map((s: any) => s.Sid)).toEqual(['Own', 'LambdaECRImageRetrievalPolicy']);
  });

  test('dockerImageCode of an owned cache without allowLambda warns lambdaRepositoryPolicy', () => {
    const { stack, cache } = build();
    const images = new CachedImages(stack, 'Images', { cache, images: [NODE] });
    new lambda.DockerImageFunction(stack, 'Fn', { code: images.dockerImageCode(NODE) });
    Annotations.fromStack(stack).hasWarning('/Stack/Images', Match.stringLikeRegexp(
      'the repository creation templates of the cache at \'Stack/Cache\' do not let Lambda read.*Set repositoryTemplate.allowLambda \\(Python: repository_template.allow_lambda\\): true'));
  });
});

describe('CachedImages answer size', () => {
  function withFunctions(count: number) {
    const { stack, cache } = build();
    const refs = Array.from({ length: 30 }, (_, i) => `quay.io/org/app${i}:1`);
    const images = new CachedImages(stack, 'Images', { cache, images: refs });
    refs.slice(0, count).forEach((ref, i) => new lambda.DockerImageFunction(stack, `Fn${i}`, { code: images.dockerImageCode(ref) }));
    return stack;
  }

  test('30 images and 4 platform digests fit in CloudFormation\'s 4 KB', () => {
    expect(() => Template.fromStack(withFunctions(4))).not.toThrow();
  });

  test('30 images and 5 platform digests are an error at synthesis', () => {
    expect(() => Template.fromStack(withFunctions(5))).toThrow(
      /CachedImages at 'Stack\/Images': 30 images and 5 platform digests \(dockerImageCode\) need about 3050 bytes.*split the images across several CachedImages/);
  });
});
