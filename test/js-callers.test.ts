// Values a JavaScript caller can pass: jsii checks the types only for Python, Java, .NET and Go,
// so every one must end in the library's plain Error naming the field, never in a TypeError.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ImageReference, PullThroughCache, RegistryScanning, UpstreamRegistry } from '../src';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-AbCdEf';

function newStack(): Stack {
  return new Stack(new App(), 'Stack');
}

/** Props as an untyped caller writes them. */
type UntypedProps = (scope: Construct) => any;

const k8s = () => ({ registry: UpstreamRegistry.kubernetes() });
const withTemplate = (repositoryTemplate: any): UntypedProps => () => ({ upstreams: [k8s()], repositoryTemplate });

/** [what, props, substrings the message must contain besides the construct path] */
const CASES: Array<[string, UntypedProps, string[]]> = [
  ['credentials that are an ARN string', () => ({ upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: SECRET_ARN }] }),
    ["upstream 'dockercache': credentials: 'arn:aws:secretsmanager:", 'is not a secretsmanager.ISecret', 'Secret.fromSecretCompleteArn']],
  ['credentials that are a number', () => ({ upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: 5 }] }),
    ["upstream 'dockercache': credentials: 5 is not a secretsmanager.ISecret"]],
  ['credentials that are a plain object', () => ({ upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: { secretArn: SECRET_ARN } }] }),
    ['credentials: {"secretArn":', 'is not a secretsmanager.ISecret']],
  ['an encryption key that is an ARN string', withTemplate({ encryptionKey: 'arn' }),
    ["repositoryTemplate.encryptionKey: 'arn' is not a kms.IKey (use kms.Key.fromKeyArn)"]],
  ['an encryption key string with tags, which would need the template role', withTemplate({
    encryption: ecr.RepositoryEncryption.KMS, encryptionKey: 'arn:aws:kms:us-east-1:123456789012:key/abc', resourceTags: { team: 'a' },
  }), ["repositoryTemplate.encryptionKey: 'arn:aws:kms:us-east-1:123456789012:key/abc' is not a kms.IKey"]],
  ['exclusion filters that are strings', withTemplate({
    imageTagMutability: ecr.TagMutability.MUTABLE_WITH_EXCLUSION, imageTagMutabilityExclusionFilters: ['v*'],
  }), ["repositoryTemplate.imageTagMutabilityExclusionFilters[0]: 'v*' is not an ecr.ImageTagMutabilityExclusionFilter", "wildcard('v*')"]],
  ['exclusion filters that are not a list', withTemplate({
    imageTagMutability: ecr.TagMutability.MUTABLE_WITH_EXCLUSION, imageTagMutabilityExclusionFilters: 'v*',
  }), ["repositoryTemplate.imageTagMutabilityExclusionFilters: 'v*' is not a list"]],
  ['lifecycle rules that are not a list', withTemplate({ lifecycleRules: {} }),
    ['repositoryTemplate.lifecycleRules: {} is not a list of ecr.LifecycleRule']],
  ['a lifecycle rule that is null', withTemplate({ lifecycleRules: [null] }),
    ['repositoryTemplate.lifecycleRules[0]: null is not an ecr.LifecycleRule object']],
  ['a maxImageAge that is a number', withTemplate({ lifecycleRules: [{ maxImageAge: 30 }] }),
    ['repositoryTemplate.lifecycleRules[0]: maxImageAge 30 is not a Duration (use Duration.days(n))']],
  ['a tag pattern list of numbers', withTemplate({ lifecycleRules: [{ tagPatternList: [5], maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]: tagPatternList [5] is not a list of strings']],
  ['an unknown tag status', withTemplate({ lifecycleRules: [{ tagStatus: 'old', maxImageCount: 1 }] }),
    ["repositoryTemplate.lifecycleRules[0]: tagStatus 'old' is not an ecr.TagStatus"]],
  ['a maxImageCount that is a string', withTemplate({ lifecycleRules: [{ maxImageCount: '5' }] }),
    ["repositoryTemplate.lifecycleRules[0]: maxImageCount '5' is not a number"]],
  ['a repository policy that is a plain object', withTemplate({
    repositoryPolicy: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' }] },
  }), ['repositoryTemplate.repositoryPolicy: {"Statement":', 'is not an iam.PolicyDocument (use iam.PolicyDocument.fromJson)']],
  ['a repository policy that is a JSON string', withTemplate({ repositoryPolicy: '{"Statement":[]}' }),
    ['repositoryTemplate.repositoryPolicy: \'{"Statement":[]}\' is not an iam.PolicyDocument']],
  ['scanning that is null', () => ({ upstreams: [k8s()], scanning: null }),
    ['scanning: null is not an object']],
  ['scanning that is a scan type string', () => ({ upstreams: [k8s()], scanning: 'ENHANCED' }),
    ["scanning: 'ENHANCED' is not an object"]],
  ['cross-account access that is null', () => ({ upstreams: [k8s()], crossAccountAccess: null }),
    ['crossAccountAccess: null is not an object']],
  ['cross-account access that is an account list', () => ({ upstreams: [k8s()], crossAccountAccess: ['444455556666'] }),
    ['crossAccountAccess: ["444455556666"] is not an object']],
  ['accounts holding a construct', s => ({ upstreams: [k8s()], crossAccountAccess: { accounts: [new Construct(s, 'X')] } }),
    ['crossAccountAccess.accounts[0]: a Construct is not an AWS account ID']],
  ['a description that is a number', withTemplate({ description: 5 }),
    ['repositoryTemplate.description: 5 is not a string']],
  ['resource tags that are a string', withTemplate({ resourceTags: 'a=b' }),
    ["repositoryTemplate.resourceTags: 'a=b' is not an object of tag keys to string values"]],
  ['resource tags that are a list', withTemplate({ resourceTags: [['a', 'b']] }),
    ['repositoryTemplate.resourceTags: [["a","b"]] is not an object']],
  ['a resource tag value that is a number', withTemplate({ resourceTags: { a: 5 } }),
    ["repositoryTemplate.resourceTags: value of 'a' is 5; a tag value must be a string"]],
  ['a repository template that is a string', withTemplate('ANY_PREFIX'),
    ["repositoryTemplate: 'ANY_PREFIX' is not an object of RepositoryTemplateOptions"]],
  ['an encryption that is a kms key ARN', withTemplate({ encryption: 'KMS' }),
    ["repositoryTemplate.encryption: 'KMS' is not an ecr.RepositoryEncryption"]],
  ['upstreams that are not a list', () => ({ upstreams: { registry: UpstreamRegistry.kubernetes() } }),
    ['upstreams: {"registry":', 'is not a list']],
  ['a prefix that is an object', () => ({ upstreams: [{ registry: UpstreamRegistry.kubernetes(), prefix: { name: 'k8s' } }] }),
    ['upstreams[0] (k8s): prefix {"name":"k8s"} is not a string']],
];

describe('untyped callers get a plain Error naming the field, and nothing is created', () => {
  test.each(CASES)('%s', (_what, props, expected) => {
    const stack = newStack();
    let error: any;
    try {
      new PullThroughCache(stack, 'Cache', props(stack));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error.name).toBe('Error');
    expect(error.message).toContain("PullThroughCache at 'Stack/Cache' is invalid:\n");
    for (const part of expected) {
      expect(error.message).toContain(part);
    }
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(resources === undefined || Object.keys(resources).length === 0).toBe(true);
  });

  test('the table covers each case once', () => {
    const names = CASES.map(c => c[0]);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('untyped arguments of methods and helpers', () => {
  const cacheIn = (stack: Stack) => new PullThroughCache(stack, 'Cache', { upstreams: [k8s()] });

  test.each<[string, (stack: Stack) => unknown, string]>([
    ['ImageReference.parse(undefined)', () => ImageReference.parse(undefined as any),
      "Invalid image reference undefined: a reference must be a string, e.g. 'alpine:3'"],
    ['ImageReference.parse(5)', () => ImageReference.parse(5 as any), 'Invalid image reference 5: a reference must be a string'],
    ['containerdMirrors with a number directory', s => cacheIn(s).containerdMirrors({ configDirectory: 5 as any }),
      "PullThroughCache at 'Stack/Cache': containerdMirrors: configDirectory 5 is not a string"],
    ['containerdMirrors with a string for options', s => cacheIn(s).containerdMirrors('/etc/containerd/certs.d' as any),
      "PullThroughCache at 'Stack/Cache': containerdMirrors: options '/etc/containerd/certs.d' is not an object"],
    ['imageUri with a number', s => cacheIn(s).imageUri(5 as any), 'the image reference 5 is not a string'],
    ['addWildcardFilters with a string', s => RegistryScanning.of(s).addWildcardFilters('team/*' as any),
      "RegistryScanning at 'Stack/EcrRegistryScanning': cannot add filters:\n  - filters: 'team/*' is not a list of wildcard repository filters"],
    ['addWildcardFilters with null options', s => RegistryScanning.of(s).addWildcardFilters(['team/*'], null as any),
      "RegistryScanning at 'Stack/EcrRegistryScanning': cannot add filters:\n  - options: null is not an object"],
  ])('%s', (_what, call, message) => {
    const stack = newStack();
    let error: any;
    try {
      call(stack);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error.name).toBe('Error');
    expect(error.message).toContain(message);
  });
});

describe('rendered lengths AWS limits', () => {
  const principal = (i: number) => new iam.ArnPrincipal(`arn:aws:iam::${String(100000000000 + i)}:role/puller`);
  const policy = (count: number) => new iam.PolicyDocument({
    statements: Array.from({ length: count }, (_, i) => new iam.PolicyStatement({
      sid: `S${i}`, principals: [principal(i)], actions: ['ecr:BatchGetImage'],
    })),
  });

  test('a repository policy over 10,240 characters fails synthesis, naming the field', () => {
    const stack = newStack();
    new PullThroughCache(stack, 'Cache', { upstreams: [k8s()], repositoryTemplate: { repositoryPolicy: policy(120) } });
    expect(() => Template.fromStack(stack)).toThrow(
      /PullThroughCache at 'Stack\/Cache': repositoryTemplate.repositoryPolicy: the repository policy of the templates renders to \d+ characters; ECR allows at most 10240/,
    );
  });

  test('with the cross-account statements and their partition tokens, the literal text is a lower bound', () => {
    const stack = newStack();
    new PullThroughCache(stack, 'Cache', {
      upstreams: [k8s()],
      repositoryTemplate: { repositoryPolicy: policy(100) },
      crossAccountAccess: { accounts: ['444455556666'] },
    });
    expect(() => Template.fromStack(stack)).toThrow(
      /repositoryTemplate.repositoryPolicy: the repository policy of the templates renders to at least \d+ characters \(with the crossAccountAccess statements\)/,
    );
  });

  test('a repository policy within the limit synthesizes', () => {
    const stack = newStack();
    new PullThroughCache(stack, 'Cache', { upstreams: [k8s()], repositoryTemplate: { repositoryPolicy: policy(20) } });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
  });

  test('a lifecycle policy over 30,720 characters is rejected before any resource', () => {
    const stack = newStack();
    const lifecycleRules = Array.from({ length: 250 }, (_, i) => ({
      rulePriority: i + 1, tagPrefixList: [`release-${i}`], maxImageAge: Duration.days(30),
    }));
    expect(() => new PullThroughCache(stack, 'Cache', { upstreams: [k8s()], repositoryTemplate: { lifecycleRules } }))
      .toThrow(/repositoryTemplate.lifecycleRules: the lifecycle policy renders to \d+ characters; ECR allows at most 30720/);
    expect(Template.fromStack(stack).toJSON().Resources).toBeUndefined();
  });
});
