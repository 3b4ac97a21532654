import { App, AspectPriority, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { PullThroughCache, UpstreamRegistry } from '../src';
import { ENV } from './support/cache-fixtures';
import { cachedPrefixOf, flatten, LambdaImageGuard } from '../src/images/private/lambda-images';

const WARNING = 'cdk-pull-through-cache:lambdaImageInCache';

function build(env?: { account: string; region: string }) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env });
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.ecrPublic(), prefix: 'ecrpubliccache' },
      { registry: UpstreamRegistry.quay(), prefix: 'quaycache/' },
    ],
  });
  const role = new iam.Role(stack, 'FunctionRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { app, stack, cache, role };
}

function cfnFunction(stack: Stack, id: string, role: iam.IRole, imageUri: string): lambda.CfnFunction {
  return new lambda.CfnFunction(stack, id, { packageType: 'Image', code: { imageUri }, role: role.roleArn });
}

function warnings(stack: Stack) {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(WARNING));
}

describe('a Lambda image in the cache gets a warning', () => {
  test('a CfnFunction with a literal image URI in a prefix', () => {
    const { stack, cache, role } = build(ENV);
    cfnFunction(stack, 'Fn', role, `${cache.registryDomain}/ecrpubliccache/lambda/nodejs:20`);
    Annotations.fromStack(stack).hasWarning('/Stack/Fn', Match.stringLikeRegexp(
      'the function\'s image \'111122223333\\.dkr\\.ecr\\.eu-west-1\\.amazonaws\\.com/ecrpubliccache/lambda/nodejs:20\' is in prefix \'ecrpubliccache\' '
      + 'of the pull-through cache at \'Stack/Cache\': Lambda does not pull through a pull-through cache.*ImageDeleted.*'
      + 'https://docs\\.aws\\.amazon\\.com/lambda/latest/dg/images-create\\.html.*\\[ack: cdk-pull-through-cache:lambdaImageInCache\\]'));
  });

  test('cache.imageUri() in an environment-agnostic stack (the domain is tokens)', () => {
    const { stack, cache, role } = build();
    cfnFunction(stack, 'Fn', role, cache.imageUri('quay.io/prometheus/node-exporter:v1.8.1'));
    expect(warnings(stack)).toHaveLength(1);
    expect(warnings(stack)[0].entry.data).toMatch(/in prefix 'quaycache'/);
  });

  test('a DockerImageFunction from a cached repository (DockerImageCode.fromEcr)', () => {
    const { stack } = build(ENV);
    const repository = ecr.Repository.fromRepositoryName(stack, 'Cached', 'ecrpubliccache/lambda/python');
    new lambda.DockerImageFunction(stack, 'Fn', { code: lambda.DockerImageCode.fromEcr(repository, { tagOrDigest: '3.12' }) });
    // On the L2 function, not its CfnFunction.
    Annotations.fromStack(stack).hasWarning('/Stack/Fn', Match.stringLikeRegexp(WARNING));
    expect(warnings(stack)).toHaveLength(1);
  });

  test('a literal ECR URI in an environment-agnostic stack may be the cache\'s: warned', () => {
    const { stack, role } = build();
    cfnFunction(stack, 'Fn', role, '444455556666.dkr.ecr.us-east-1.amazonaws.com/quaycache/org/app:1');
    expect(warnings(stack)).toHaveLength(1);
  });
});

describe('what is not in the cache is left alone', () => {
  test.each([
    ['another prefix', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/myapp/api:1'],
    ['a prefix of the cache as a repository name, not a path', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/ecrpubliccache:1'],
    ['another account', '444455556666.dkr.ecr.eu-west-1.amazonaws.com/ecrpubliccache/lambda/nodejs:20'],
    ['another region', '111122223333.dkr.ecr.us-east-1.amazonaws.com/ecrpubliccache/lambda/nodejs:20'],
  ])('%s', (_, imageUri) => {
    const { stack, role } = build(ENV);
    cfnFunction(stack, 'Fn', role, imageUri);
    expect(warnings(stack)).toEqual([]);
  });

  test('an image asset and a zip function', () => {
    const { stack } = build(ENV);
    new lambda.DockerImageFunction(stack, 'FromAsset', { code: lambda.DockerImageCode.fromImageAsset(`${__dirname}/support/lambda-image`) });
    new lambda.Function(stack, 'Zip', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;') });
    expect(warnings(stack)).toEqual([]);
  });
});

describe('the redirect aspect never rewrites Lambda images', () => {
  test('DockerImageFunction and CfnFunction image URIs are untouched', () => {
    const { stack, cache, role } = build(ENV);
    cache.redirectImages(stack);
    // Images of registries the cache serves: the redirect would rewrite them in a task definition.
    const upstreamUri = 'public.ecr.aws/lambda/nodejs:20';
    cfnFunction(stack, 'L1', role, upstreamUri);
    const repository = ecr.Repository.fromRepositoryName(stack, 'Own', 'myapp/api');
    new lambda.DockerImageFunction(stack, 'L2', { code: lambda.DockerImageCode.fromEcr(repository, { tagOrDigest: 'v1' }) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Code: { ImageUri: upstreamUri } });
    const functions = Object.values<any>(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(JSON.stringify(fn.Properties.Code.ImageUri)).not.toContain('ecrpubliccache');
    }
    expect(JSON.stringify(stack.resolve(template.toJSON()))).not.toMatch(/ecrpubliccache\/lambda/);
    // Neither was it granted anything through the cache, nor warned about by the redirect.
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('imageNotCached|imageNotRedirected'))).toEqual([]);
  });
});

describe('cachedPrefixOf (pure)', () => {
  const literal = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';
  test.each([
    [`${literal}/quaycache/a:1`, literal, 'quaycache'],
    ['111122223333.dkr.ecr.eu-west-1.{AWS::URLSuffix}/quaycache/a:1', literal, 'quaycache'],
    [`${literal}/quaycache/nested/a:1`, literal, 'quaycache/nested'],
    ['111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/quaycache/a:1', '111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn', 'quaycache'],
    ['{AWS::AccountId}.dkr.ecr.{AWS::Region}.{AWS::URLSuffix}/quaycache/a', '{AWS::AccountId}.dkr.ecr.{AWS::Region}.{AWS::URLSuffix}', 'quaycache'],
    ['{?}.dkr.ecr.{AWS::Region}.{AWS::URLSuffix}/quaycache/a', '{AWS::AccountId}.dkr.ecr.{AWS::Region}.{AWS::URLSuffix}', undefined],
    [`${literal}/{?}`, literal, undefined],
    ['public.ecr.aws/quaycache/a', literal, undefined],
    ['quaycache', literal, undefined],
  ])('%s in %s: %s', (uri, domain, expected) => {
    expect(cachedPrefixOf(uri, domain, ['quaycache/', 'quaycache/nested', 'other'])).toBe(expected);
  });

  test('flatten', () => {
    expect(flatten({ 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.x/', { Ref: 'Repo' }]] })).toBe('{AWS::AccountId}.x/{?}');
    expect(flatten(42)).toBeUndefined();
  });
});

describe('the check is an aspect the cache adds to its stack', () => {
  test('read-only priority: it runs after ImageRedirect and every other mutating aspect', () => {
    const { stack } = build();
    const applied = Aspects.of(stack).applied.filter(a => a.aspect instanceof LambdaImageGuard);
    expect(applied.map(a => a.priority)).toEqual([AspectPriority.READONLY]);
  });
});
