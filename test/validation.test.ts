import { App, Aws, CfnParameter, Duration, Fn, Lazy, NestedStack, Stack, StackProps, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  PullThroughCache,
  PullThroughCacheProps,
  RepositoryTemplateOptions,
  TemplateScope,
  UpstreamDefinition,
  UpstreamRegistry,
} from '../src';
import { withPythonSpelling } from '../src/private/diagnostics';

/** Where every cache of these tests lives. */
const PATH = 'Stack/Team/Cache';
const PREFIX_RULE = "2 to 30 characters: lowercase letters and digits in segments joined by '.', '_', '__' or '-'";

function newScope(): { stack: Stack; scope: Construct } {
  const stack = new Stack(new App(), 'Stack');
  return { stack, scope: new Construct(stack, 'Team') };
}

/** A complete ARN of a secret named `ecr-pullthroughcache/<name>`. */
function secretArn(name: string): string {
  return `arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/${name}-AbCdEf`;
}

function goodSecret(scope: Construct, id = 'GoodSecret'): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretCompleteArn(scope, id, secretArn(id.toLowerCase()));
}

function k8s(prefix?: string): UpstreamDefinition {
  return { registry: UpstreamRegistry.kubernetes(), prefix };
}

function withTemplate(options: RepositoryTemplateOptions): (scope: Construct) => PullThroughCacheProps {
  return () => ({ upstreams: [k8s()], repositoryTemplate: options });
}

const role = (scope: Construct) => iam.Role.fromRoleArn(scope, 'UpstreamRole', 'arn:aws:iam::123456789012:role/ptc');
const wildcards = (n: number) => Array.from({ length: n }, (_, i) => ecr.ImageTagMutabilityExclusionFilter.wildcard(`t${i}*`));

type Case = [string, (scope: Construct) => PullThroughCacheProps, string[]];

/** [what, props, substrings the message must contain besides the construct path] */
const CASES: Case[] = [
  // Prefixes
  ['prefix too short', () => ({ upstreams: [k8s('a')] }), ["upstream 'a'", "prefix 'a'", '1 characters', PREFIX_RULE]],
  ['prefix too long', () => ({ upstreams: [k8s('a'.repeat(31))] }), [`upstream '${'a'.repeat(31)}'`, 'prefix', '31 characters', PREFIX_RULE]],
  ['prefix with uppercase', () => ({ upstreams: [k8s('DockerCache')] }), ["upstream 'DockerCache'", "prefix 'DockerCache' is invalid", PREFIX_RULE]],
  ['prefix with a double dot', () => ({ upstreams: [k8s('a..b')] }), ["upstream 'a..b'", "prefix 'a..b' is invalid", PREFIX_RULE]],
  ['prefix starting with a dash', () => ({ upstreams: [k8s('-a')] }), ["upstream '-a'", "prefix '-a' is invalid", PREFIX_RULE]],
  ['prefix ending with an underscore', () => ({ upstreams: [k8s('a_')] }), ["upstream 'a_'", "prefix 'a_' is invalid", PREFIX_RULE]],
  ['prefix with three underscores', () => ({ upstreams: [k8s('a___b')] }), ["upstream 'a___b'", "prefix 'a___b' is invalid", PREFIX_RULE]],
  ['prefix ROOT for a registry that is not ECR', () => ({ upstreams: [k8s('ROOT')] }),
    ["upstream 'ROOT'", "prefix 'ROOT' is only for an ECR upstream", 'would claim every repository of the registry', PREFIX_RULE]],
  ['prefix ROOT with an upstream repository prefix', s => ({
    upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(s), region: 'eu-west-1', repositoryPrefix: 'team-a' }), prefix: 'ROOT' }],
  }), ["upstream 'ROOT'", "cannot be combined with the ECR upstream's repositoryPrefix 'team-a'"]],
  ['two ROOT rules', s => {
    const upstreamRole = role(s);
    return {
      upstreams: [
        { registry: UpstreamRegistry.ecr({ role: upstreamRole, region: 'eu-west-1' }), prefix: 'ROOT' },
        { registry: UpstreamRegistry.ecr({ role: upstreamRole, region: 'eu-central-1' }), prefix: 'ROOT' },
      ],
    };
  }, ["upstream 'ROOT'", "prefix 'ROOT' is already used by upstreams[0]"]],
  ['duplicate prefixes', () => ({ upstreams: [k8s('cache'), { registry: UpstreamRegistry.quay(), prefix: 'cache' }] }),
    ["upstream 'cache'", "prefix 'cache' is already used by upstreams[0]", 'every upstream needs its own prefix']],
  ['duplicate prefixes, one with a trailing slash', () => ({ upstreams: [k8s('xx'), { registry: UpstreamRegistry.quay(), prefix: 'xx/' }] }),
    ["upstream 'xx/'", "prefix 'xx/' is already used by upstreams[0]"]],
  ['duplicate default prefixes', () => ({ upstreams: [k8s(), k8s()] }), ["upstream 'k8scache'", 'already used by upstreams[0]']],

  // The upstream list
  ['an empty upstream list', () => ({ upstreams: [] }), ['upstreams', 'the list is empty', 'at least one upstream']],
  ['51 upstreams', () => ({ upstreams: Array.from({ length: 51 }, (_, i) => k8s(`k8s${i}`)) }),
    ['upstreams', '51 upstreams given', 'at most 50 pull-through cache rules per registry']],

  // Credentials required
  ['Docker Hub without credentials', () => ({ upstreams: [{ registry: UpstreamRegistry.dockerHub() }] }),
    ["upstream 'dockercache'", 'credentials are missing', 'registry-1.docker.io', "named 'ecr-pullthroughcache/<name>'"]],
  ['GHCR without credentials', () => ({ upstreams: [{ registry: UpstreamRegistry.githubContainerRegistry() }] }),
    ["upstream 'ghcrcache'", 'credentials are missing', 'ghcr.io']],
  ['GitLab without credentials', () => ({ upstreams: [{ registry: UpstreamRegistry.gitlabContainerRegistry() }] }),
    ["upstream 'gitlabcache'", 'credentials are missing', 'registry.gitlab.com']],
  ['Azure without credentials', () => ({ upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry('myregistry') }] }),
    ["upstream 'azurecache'", 'credentials are missing', 'myregistry.azurecr.io']],
  ['Chainguard without credentials', () => ({ upstreams: [{ registry: UpstreamRegistry.chainguard() }] }),
    ["upstream 'chainguardcache'", 'credentials are missing', 'cgr.dev']],

  // Credentials refused
  ['credentials for registry.k8s.io', s => ({ upstreams: [{ registry: UpstreamRegistry.kubernetes(), credentials: goodSecret(s) }] }),
    ["upstream 'k8scache'", 'credentials were given but registry.k8s.io takes none', 'remove credentials']],
  ['credentials for Quay', s => ({ upstreams: [{ registry: UpstreamRegistry.quay(), credentials: goodSecret(s) }] }),
    ["upstream 'quaycache'", 'credentials were given but quay.io takes none']],
  ['credentials for ECR Public', s => ({ upstreams: [{ registry: UpstreamRegistry.ecrPublic(), credentials: goodSecret(s) }] }),
    ["upstream 'ecrpubliccache'", 'credentials were given but public.ecr.aws takes none']],
  ['credentials for an ECR upstream', s => ({
    upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(s), account: '210987654321', region: 'eu-west-1' }), credentials: goodSecret(s) }],
  }), ["upstream 'ecrcache'", 'credentials were given but 210987654321.dkr.ecr.eu-west-1.amazonaws.com takes none', 'uses its role instead']],

  // Bad secrets
  ['a secret not named ecr-pullthroughcache/', s => ({
    upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: new secretsmanager.Secret(s, 'S', { secretName: 'dockerhub-creds' }) }],
  }), ["upstream 'dockercache'", 'credentials', "secret name 'dockerhub-creds'", "does not start with 'ecr-pullthroughcache/'"]],
  ['a created secret without a name', s => ({
    upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: new secretsmanager.Secret(s, 'S') }],
  }), ["upstream 'dockercache'", 'credentials', 'the secret has no name', "starting with 'ecr-pullthroughcache/'", 'set secretName']],
  ['a secret encrypted with a customer-managed key', s => ({
    upstreams: [{
      registry: UpstreamRegistry.dockerHub(),
      credentials: new secretsmanager.Secret(s, 'S', { secretName: 'ecr-pullthroughcache/docker', encryptionKey: new kms.Key(s, 'K') }),
    }],
  }), ["upstream 'dockercache'", 'credentials', 'customer-managed KMS key', 'AWS managed key (aws/secretsmanager)']],
  ['a secret imported by name', s => ({
    upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secretsmanager.Secret.fromSecretNameV2(s, 'S', 'ecr-pullthroughcache/docker') }],
  }), ["upstream 'dockercache'", 'credentials', 'imported without its complete ARN', 'Secret.fromSecretCompleteArn']],
  ['a secret imported by partial ARN', s => ({
    upstreams: [{
      registry: UpstreamRegistry.dockerHub(),
      credentials: secretsmanager.Secret.fromSecretPartialArn(s, 'S', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker'),
    }],
  }), ["upstream 'dockercache'", 'imported without its complete ARN', 'Secret.fromSecretCompleteArn']],
  ['a secret imported by name with the wrong name', s => ({
    upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secretsmanager.Secret.fromSecretNameV2(s, 'S', 'docker') }],
  }), ["secret name 'docker' does not start with 'ecr-pullthroughcache/'", 'Secret.fromSecretCompleteArn']],

  // Azure names
  ['an Azure name of 2 characters', s => ({ upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry('ab'), credentials: goodSecret(s) }] }),
    ["upstream 'azurecache'", 'registryName', "'ab'", '5 to 50 alphanumeric characters']],
  ['an Azure name with a dash', s => ({ upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry('my-registry'), credentials: goodSecret(s) }] }),
    ["upstream 'azurecache'", 'registryName', "'my-registry'", '5 to 50 alphanumeric characters']],
  ['an Azure name of 51 characters', s => ({ upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry('a'.repeat(51)), credentials: goodSecret(s) }] }),
    ["upstream 'azurecache'", 'registryName', `'${'a'.repeat(51)}'`, '5 to 50 alphanumeric characters']],

  // ECR upstreams
  ['an ECR upstream with a bad account', s => ({ upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(s), account: '12345' }) }] }),
    ["upstream 'ecrcache'", "account '12345'", 'not a 12-digit AWS account ID']],
  ['an ECR upstream with a bad region', s => ({ upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(s), region: 'Frankfurt' }) }] }),
    ["upstream 'ecrcache'", "region 'Frankfurt'", "an AWS region name such as 'us-east-1'"]],
  ['an ECR upstream with a bad repository prefix', s => ({ upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(s), repositoryPrefix: 'Team_A' }) }] }),
    ["upstream 'ecrcache'", "repositoryPrefix (Python: repository_prefix) 'Team_A' is invalid", 'ROOT or 2 to 30 characters']],

  // Template options
  ['exclusion filters with MUTABLE', withTemplate({
    imageTagMutability: ecr.TagMutability.MUTABLE,
    imageTagMutabilityExclusionFilters: wildcards(1),
  }), ['repositoryTemplate.imageTagMutabilityExclusionFilters', "imageTagMutability 'MUTABLE'", 'need IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION']],
  ['exclusion filters with the default mutability', withTemplate({ imageTagMutabilityExclusionFilters: wildcards(1) }),
    ['repositoryTemplate.imageTagMutabilityExclusionFilters', "'MUTABLE'"]],
  ['IMMUTABLE_WITH_EXCLUSION without filters', withTemplate({ imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION }),
    ['repositoryTemplate.imageTagMutabilityExclusionFilters', "'IMMUTABLE_WITH_EXCLUSION'", 'needs 1 to 5 exclusion filters, got none']],
  ['MUTABLE_WITH_EXCLUSION with an empty filter list', withTemplate({
    imageTagMutability: ecr.TagMutability.MUTABLE_WITH_EXCLUSION, imageTagMutabilityExclusionFilters: [],
  }), ['repositoryTemplate.imageTagMutabilityExclusionFilters', "'MUTABLE_WITH_EXCLUSION'", 'got none']],
  ['6 exclusion filters', withTemplate({
    imageTagMutability: ecr.TagMutability.MUTABLE_WITH_EXCLUSION, imageTagMutabilityExclusionFilters: wildcards(6),
  }), ['repositoryTemplate.imageTagMutabilityExclusionFilters', '6 filters given', 'ECR allows 1 to 5']],
  ['a description of 257 characters', withTemplate({ description: 'd'.repeat(257) }),
    ['repositoryTemplate.description', '257 characters', 'at most 256']],
  ['an encryption key with AES_256', s => withTemplate({ encryption: ecr.RepositoryEncryption.AES_256, encryptionKey: new kms.Key(s, 'K') })(s),
    ['repositoryTemplate.encryptionKey', 'encryption AES_256', 'use RepositoryEncryption.KMS or KMS_DSSE']],
  ['51 resource tags', withTemplate({ resourceTags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }),
    ['repositoryTemplate.resourceTags', '51 tags given', 'at most 50']],
  ['a resource tag key starting with aws:', withTemplate({ resourceTags: { 'aws:owner': 'me' } }),
    ['repositoryTemplate.resourceTags', "key 'aws:owner'", "not start with 'aws:'"]],
  ['a resource tag value of 257 characters', withTemplate({ resourceTags: { owner: 'v'.repeat(257) } }),
    ['repositoryTemplate.resourceTags', "value of 'owner'", 'at most 256 characters']],

  // Lifecycle rules that ecr.Repository rejects
  ['two ANY lifecycle rules', withTemplate({ lifecycleRules: [{ maxImageCount: 5 }, { tagStatus: ecr.TagStatus.ANY, maxImageAge: Duration.days(9) }] }),
    ['repositoryTemplate.lifecycleRules[1]', 'Life cycle can only have one TagStatus.Any rule']],
  ['a lifecycle rule with both maxImageAge and maxImageCount', withTemplate({ lifecycleRules: [{ maxImageCount: 5, maxImageAge: Duration.days(1) }] }),
    ['repositoryTemplate.lifecycleRules[0]', "exactly one of 'maxImageAge' and 'maxImageCount'"]],
  ['a lifecycle rule with neither maxImageAge nor maxImageCount', withTemplate({ lifecycleRules: [{ tagStatus: ecr.TagStatus.UNTAGGED }] }),
    ['repositoryTemplate.lifecycleRules[0]', "exactly one of 'maxImageAge' and 'maxImageCount'"]],
  ['tagPrefixList with UNTAGGED', withTemplate({ lifecycleRules: [{ tagStatus: ecr.TagStatus.UNTAGGED, tagPrefixList: ['v'], maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'can only be specified when tagStatus is set to Tagged']],
  ['TAGGED without tag lists', withTemplate({ lifecycleRules: [{ tagStatus: ecr.TagStatus.TAGGED, maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'TagStatus.Tagged requires the specification of a tagPrefixList or a tagPatternList']],
  ['both tag lists', withTemplate({ lifecycleRules: [{ tagPrefixList: ['v'], tagPatternList: ['v*'], maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'Both tagPrefixList and tagPatternList cannot be specified together']],
  ['a tag pattern with 5 wildcards', withTemplate({ lifecycleRules: [{ tagPatternList: ['*a*b*c*d*'], maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'more than four wildcard characters (*), pattern: *a*b*c*d*, counts: 5']],
  ['an ANY rule below another priority', withTemplate({
    lifecycleRules: [
      { rulePriority: 1, tagStatus: ecr.TagStatus.ANY, maxImageCount: 5 },
      { rulePriority: 2, tagStatus: ecr.TagStatus.TAGGED, tagPrefixList: ['v'], maxImageCount: 3 },
    ],
  }), ['repositoryTemplate.lifecycleRules', 'TagStatus.Any rule must have highest priority, has 1 which is smaller than 2']],
  ['a prioritized ANY rule with unprioritized rules', withTemplate({
    lifecycleRules: [
      { rulePriority: 5, tagStatus: ecr.TagStatus.ANY, maxImageCount: 5 },
      { tagStatus: ecr.TagStatus.UNTAGGED, maxImageCount: 3 },
    ],
  }), ['repositoryTemplate.lifecycleRules', 'Cannot combine prioritized TagStatus.Any rule with unprioritized rules']],
  ['duplicate rule priorities', withTemplate({
    lifecycleRules: [
      { rulePriority: 1, tagStatus: ecr.TagStatus.UNTAGGED, maxImageCount: 3 },
      { rulePriority: 1, tagPrefixList: ['v'], maxImageCount: 3 },
    ],
  }), ['repositoryTemplate.lifecycleRules', 'rulePriority 1 is used more than once']],
  ['a maxImageAge of 36 hours', withTemplate({ lifecycleRules: [{ maxImageAge: Duration.hours(36) }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'maxImageAge Duration.hours(36)', 'whole number of days']],
  ['a maxImageCount of 0', withTemplate({ lifecycleRules: [{ maxImageCount: 0 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'maxImageCount 0', 'whole number of at least 1']],

  ['a rulePriority of 0', withTemplate({ lifecycleRules: [{ rulePriority: 0, maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'rulePriority 0', 'whole number of at least 1']],

  // Repository policy
  ['a repository policy statement without principal', withTemplate({
    repositoryPolicy: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['ecr:BatchGetImage'] })] }),
  }), ['repositoryTemplate.repositoryPolicy', 'must specify at least one IAM principal']],
];

describe('bad inputs throw a plain Error naming the path, the upstream, the field, the value and the rule', () => {
  test.each(CASES)('%s', (_what, props, expected) => {
    const { scope } = newScope();
    let error: unknown;
    try {
      new PullThroughCache(scope, 'Cache', props(scope));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).constructor).toBe(Error);
    const message = (error as Error).message;
    expect(message).toContain(`PullThroughCache at '${PATH}' is invalid:`);
    for (const part of expected) {
      expect(message).toContain(part);
    }
  });

  test('the table covers each case once', () => {
    const names = CASES.map(c => c[0]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(50);
  });
});

describe('all problems at once', () => {
  test('several problems are listed in one Error, one line each', () => {
    const { scope } = newScope();
    expect.assertions(6);
    try {
      new PullThroughCache(scope, 'Cache', {
        upstreams: [
          { registry: UpstreamRegistry.dockerHub(), prefix: 'Docker' },
          k8s('k8scache'),
          k8s('k8scache'),
        ],
        repositoryTemplate: { description: 'x'.repeat(300), imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION },
      });
    } catch (e) {
      const lines = (e as Error).message.split('\n');
      expect(lines[0]).toBe(`PullThroughCache at '${PATH}' is invalid:`);
      expect(lines.slice(1).every(l => l.startsWith('  - '))).toBe(true);
      expect(lines.filter(l => l.includes("upstream 'Docker'"))).toHaveLength(2); // bad prefix, no credentials
      expect(lines.filter(l => l.includes("prefix 'k8scache' is already used by upstreams[1]"))).toHaveLength(1);
      expect(lines.filter(l => l.startsWith('  - repositoryTemplate.'))).toHaveLength(2);
      expect(lines).toHaveLength(6);
    }
  });

  test('a bad token-prefixed upstream is named by position and registry type', () => {
    const { scope } = newScope();
    const prefix = Lazy.string({ produce: () => 'later' });
    expect(() => new PullThroughCache(scope, 'Cache', { upstreams: [{ registry: UpstreamRegistry.dockerHub(), prefix }] }))
      .toThrow(/upstreams\[0\] \(docker-hub\): credentials are missing/);
  });
});

describe('nothing is half-built', () => {
  test.each([
    ['a bad prefix', (): PullThroughCacheProps => ({ upstreams: [k8s('cache'), k8s('Bad')] })],
    ['a bad template with a key role', (): PullThroughCacheProps => ({
      upstreams: [k8s()],
      repositoryTemplate: { resourceTags: { a: 'b' }, description: 'd'.repeat(300) },
    })],
    ['a bad lifecycle rule after good upstreams', (): PullThroughCacheProps => ({
      upstreams: [k8s(), { registry: UpstreamRegistry.quay() }],
      repositoryTemplate: { lifecycleRules: [{ maxImageAge: Duration.hours(1) }] },
    })],
  ])('after %s the stack has no resources', (_what, props) => {
    const { stack, scope } = newScope();
    expect(() => new PullThroughCache(scope, 'Cache', props())).toThrow(Error);
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(resources === undefined || Object.keys(resources).length === 0).toBe(true);
  });
});

describe('tokens are accepted', () => {
  test('a prefix from Lazy.string', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', { upstreams: [k8s(Lazy.string({ produce: () => 'lazycache' }))] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { EcrRepositoryPrefix: 'lazycache' });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', { Prefix: 'lazycache' });
  });

  test('an Azure registry name token', () => {
    const { stack, scope } = newScope();
    const name = new CfnParameter(stack, 'AzureName', { type: 'String' }).valueAsString;
    new PullThroughCache(scope, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry(name), credentials: goodSecret(scope) }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      UpstreamRegistryUrl: { 'Fn::Join': ['', [{ Ref: 'AzureName' }, '.azurecr.io']] },
    });
  });

  test('the pseudo account as an ECR account, and a token region', () => {
    const { stack, scope } = newScope();
    const region = new CfnParameter(stack, 'Region', { type: 'String' }).valueAsString;
    new PullThroughCache(scope, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(scope), account: Aws.ACCOUNT_ID, region }) }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      UpstreamRegistryUrl: { 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
    });
  });

  test('an imported secret whose ARN and name are tokens', () => {
    const { stack, scope } = newScope();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(scope, 'S', Fn.importValue('x'));
    new PullThroughCache(scope, 'Cache', { upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secret }] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { CredentialArn: { 'Fn::ImportValue': 'x' } });
  });

  test('a created secret whose name is a token', () => {
    const { stack, scope } = newScope();
    const name = new CfnParameter(stack, 'SecretName', { type: 'String' }).valueAsString;
    const secret = new secretsmanager.Secret(scope, 'S', { secretName: name });
    new PullThroughCache(scope, 'Cache', { upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secret }] });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });

  test('a tokenized description and tag are not length-checked', () => {
    const { stack, scope } = newScope();
    const p = new CfnParameter(stack, 'P', { type: 'String' }).valueAsString;
    new PullThroughCache(scope, 'Cache', { upstreams: [k8s()], repositoryTemplate: { description: p, resourceTags: { owner: p } } });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Description: { Ref: 'P' },
      ResourceTags: [{ Key: 'owner', Value: { Ref: 'P' } }],
    });
  });
});

describe('edge values that are valid', () => {
  test.each([
    'ab', 'a'.repeat(30), 'a.b', 'a_b', 'a__b', 'a-b', 'a---b', 'team/app', 'team/app/', 'x1/y2.z_3',
  ])('prefix %s is accepted', prefix => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', { upstreams: [k8s(prefix)] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { EcrRepositoryPrefix: prefix });
  });

  test('50 upstreams are accepted', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', { upstreams: Array.from({ length: 50 }, (_, i) => k8s(`k8s${i}`)) });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::PullThroughCacheRule', 50);
  });

  test('5 exclusion filters and 50 tags are accepted', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', {
      upstreams: [k8s()],
      repositoryTemplate: {
        imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
        imageTagMutabilityExclusionFilters: wildcards(5),
        resourceTags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])),
      },
    });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
  });

  test('Azure names of 5 and 50 characters, mixed case lowered in the URL', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.azureContainerRegistry('MyReg'), credentials: goodSecret(scope, 'A') },
        { registry: UpstreamRegistry.azureContainerRegistry('b'.repeat(50)), prefix: 'azure2', credentials: goodSecret(scope, 'B') },
      ],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { UpstreamRegistryUrl: 'myreg.azurecr.io' });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { UpstreamRegistryUrl: `${'b'.repeat(50)}.azurecr.io` });
  });

  test('an ECR upstream repository prefix of ROOT is accepted', () => {
    const { stack, scope } = newScope();
    new PullThroughCache(scope, 'Cache', { upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(scope), region: 'us-west-2', repositoryPrefix: 'ROOT' }) }] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { UpstreamRepositoryPrefix: 'ROOT' });
  });
});

describe('errors name fields as every language spells them', () => {
  test('a camelCase field also gets its Python spelling; Java, Go and .NET read the TypeScript one', () => {
    const { scope } = newScope();
    expect(() => new PullThroughCache(scope, 'Cache', {
      upstreams: [k8s()],
      repositoryTemplate: { description: 'd'.repeat(257) },
    })).toThrow(/- repositoryTemplate\.description \(Python: repository_template\.description\): 257 characters/);
  });

  test.each([
    ['upstream \'x\': registry: repositoryPrefix \'A\' is invalid', 'upstream \'x\': registry: repositoryPrefix (Python: repository_prefix) \'A\' is invalid'],
    ['repositoryTemplate.lifecycleRules[0]: no', 'repositoryTemplate.lifecycleRules[0] (Python: repository_template.lifecycle_rules[0]): no'],
    ['upstream \'dockercache\': credentials are missing', 'upstream \'dockercache\': credentials are missing'],
    ['upstreams: the list is empty', 'upstreams: the list is empty'],
  ])('%s', (problem, expected) => {
    expect(withPythonSpelling(problem)).toBe(expected);
  });
});

describe('two caches of one registry may not claim one prefix', () => {
  const ENV = { account: '111122223333', region: 'eu-west-1' };
  const SHARE = 'import that cache where you pull through it (PullThroughCache.fromPullThroughCacheAttributes)';

  function twoStacks(first: StackProps['env'], second: StackProps['env']): [Stack, Stack] {
    const app = new App();
    return [new Stack(app, 'First', { env: first }), new Stack(app, 'Second', { env: second })];
  }

  function ecrRoot(scope: Construct): UpstreamDefinition {
    return { registry: UpstreamRegistry.ecr({ role: role(scope), region: 'us-west-2' }), prefix: 'ROOT' };
  }

  test('a rule prefix of another stack in the same account and region is refused, before any resource of the second exists', () => {
    const [first, second] = twoStacks(ENV, ENV);
    new PullThroughCache(first, 'Cache', { upstreams: [k8s(), { registry: UpstreamRegistry.quay() }] });
    expect(() => new PullThroughCache(second, 'Cache', { upstreams: [{ registry: UpstreamRegistry.quay(), prefix: 'quaycache/' }, k8s('k8s2')] }))
      .toThrow("PullThroughCache at 'Second/Cache' is invalid:\n"
        + "  - upstream 'quaycache/': prefix 'quaycache/' is already the prefix of a rule of the PullThroughCache at 'First/Cache' "
        + "(in the same account 111122223333 and region eu-west-1), there written 'quaycache'; a registry has one pull-through cache rule per prefix: "
        + `give this upstream another prefix, or ${SHARE}`);
    expect(Template.fromStack(second).toJSON().Resources ?? {}).toEqual({});
  });

  test('two caches in one stack are one registry, even when the stack is environment-agnostic', () => {
    const stack = new Stack(new App(), 'Stack');
    new PullThroughCache(stack, 'A', { upstreams: [k8s()] });
    expect(() => new PullThroughCache(stack, 'B', { upstreams: [k8s()] }))
      .toThrow(/- upstream 'k8scache': prefix 'k8scache' is already the prefix of a rule of the PullThroughCache at 'Stack\/A' \(in the same stack\); /);
  });

  test('a nested stack deploys to its parent\'s registry', () => {
    const parent = new Stack(new App(), 'Parent');
    new PullThroughCache(parent, 'A', { upstreams: [k8s()] });
    const nested = new NestedStack(parent, 'Nested');
    expect(() => new PullThroughCache(nested, 'B', { upstreams: [k8s()] }))
      .toThrow(/already the prefix of a rule of the PullThroughCache at 'Parent\/A' \(in the same stack 'Parent' or a stack nested in it\)/);
  });

  test('two Stages of one app deployed to the same account and region are one registry', () => {
    const app = new App();
    for (const name of ['Dev', 'Prod']) {
      const stage = new Stage(app, name, { env: ENV });
      const stack = new Stack(stage, 'Cache');
      const create = () => new PullThroughCache(stack, 'Cache', { upstreams: [k8s()] });
      if (name === 'Dev') {
        create();
      } else {
        expect(create).toThrow(/prefix 'k8scache' is already the prefix of a rule of the PullThroughCache at 'Dev\/Cache\/Cache'/);
      }
    }
  });

  test.each<[string, (s: Construct) => PullThroughCacheProps, (s: Construct) => PullThroughCacheProps, string]>([
    [
      'both with TemplateScope.ANY_PREFIX',
      () => ({ upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      () => ({ upstreams: [k8s('other')], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      "  - repositoryTemplate.scope (Python: repository_template.scope): TemplateScope.ANY_PREFIX makes the registry's ROOT repository creation template, "
        + "which the PullThroughCache at 'First/Cache' (in the same account 111122223333 and region eu-west-1) already has (its scope is TemplateScope.ANY_PREFIX); "
        + `a registry has one ROOT template: use TemplateScope.PER_UPSTREAM here, or give the PullThroughCache at 'First/Cache' TemplateScope.PER_UPSTREAM, or ${SHARE}`,
    ],
    [
      'ANY_PREFIX after a ROOT upstream',
      s => ({ upstreams: [ecrRoot(s)] }),
      () => ({ upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      `already has (the template of its ROOT upstream); a registry has one ROOT template: use TemplateScope.PER_UPSTREAM here, or ${SHARE}`,
    ],
    [
      'ANY_PREFIX and a ROOT upstream after ANY_PREFIX (the ROOT upstream makes it either way)',
      () => ({ upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      s => ({ upstreams: [ecrRoot(s)], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      '(its scope is TemplateScope.ANY_PREFIX); a registry has one ROOT template: '
        + `give the PullThroughCache at 'First/Cache' TemplateScope.PER_UPSTREAM, or ${SHARE}`,
    ],
    [
      'a ROOT upstream after ANY_PREFIX',
      () => ({ upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } }),
      s => ({ upstreams: [ecrRoot(s)] }),
      "  - upstream 'ROOT': its repository creation template is the registry's ROOT repository creation template, which the PullThroughCache at 'First/Cache' "
        + '(in the same account 111122223333 and region eu-west-1) already has (its scope is TemplateScope.ANY_PREFIX); a registry has one ROOT template: '
        + `give the PullThroughCache at 'First/Cache' TemplateScope.PER_UPSTREAM, or ${SHARE}`,
    ],
  ])('one ROOT template per registry: %s is refused, naming the field that makes it', (_what, firstProps, secondProps, expected) => {
    const [first, second] = twoStacks(ENV, ENV);
    new PullThroughCache(first, 'Cache', firstProps(first));
    expect(() => new PullThroughCache(second, 'Cache', secondProps(second))).toThrow(expected);
  });

  test('two ROOT upstreams: one error, for the rule (the template follows it)', () => {
    const [first, second] = twoStacks(ENV, ENV);
    new PullThroughCache(first, 'Cache', { upstreams: [ecrRoot(first)] });
    let message = '';
    try {
      new PullThroughCache(second, 'Cache', { upstreams: [ecrRoot(second)], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n').filter(l => l.startsWith('  - '))).toEqual([
      expect.stringMatching(/^  - upstream 'ROOT': prefix 'ROOT' is already the prefix of a rule of the PullThroughCache at 'First\/Cache'/),
    ]);
  });

  test('ECR\'s 50 rules per registry count every cache of the registry', () => {
    const stack = new Stack(new App(), 'Stack');
    const many = (from: number, count: number) => Array.from({ length: count }, (_, i) => k8s(`k8s${from + i}`));
    new PullThroughCache(stack, 'A', { upstreams: many(0, 30) });
    expect(() => new PullThroughCache(stack, 'B', { upstreams: many(30, 21) }))
      .toThrow("  - upstreams: with the rules of the PullThroughCache at 'Stack/A' (in the same stack), the registry would hold 51 pull-through cache rules; ECR allows at most 50 per registry");
    new PullThroughCache(stack, 'C', { upstreams: many(30, 20) });
  });

  test('a prefix inside another cache\'s prefix is the nestedPrefix warning', () => {
    const stack = new Stack(new App(), 'Stack');
    new PullThroughCache(stack, 'A', { upstreams: [k8s('team')] });
    new PullThroughCache(stack, 'B', { upstreams: [k8s('team/images')] });
    Annotations.fromStack(stack).hasWarning('/Stack/B', Match.stringLikeRegexp(
      "prefix 'team/images' is inside prefix 'team': .*; 'team' is a rule of the PullThroughCache at 'Stack/A' \\(in the same stack\\)",
    ));
  });

  test.each<[string, StackProps['env'], StackProps['env']]>([
    ['another account', ENV, { ...ENV, account: '444455556666' }],
    ['another region', ENV, { ...ENV, region: 'us-east-1' }],
    ['an environment-agnostic stack (it could be deployed anywhere)', ENV, undefined],
    ['two environment-agnostic stacks', undefined, undefined],
  ])('the same prefix in %s is accepted', (_what, firstEnv, secondEnv) => {
    const [first, second] = twoStacks(firstEnv, secondEnv);
    new PullThroughCache(first, 'Cache', { upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    new PullThroughCache(second, 'Cache', { upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    Template.fromStack(second).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });

  test('an import is not a claim: it creates no rule', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { upstreams: [k8s()], account: '444455556666' });
    PullThroughCache.fromPullThroughCacheAttributes(stack, 'Local', { upstreams: [k8s()] });
    new PullThroughCache(stack, 'Cache', { upstreams: [k8s()], repositoryTemplate: { scope: TemplateScope.ANY_PREFIX } });
    Template.fromStack(stack).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });

  test('a cache whose constructor threw claims nothing', () => {
    const [first, second] = twoStacks(ENV, ENV);
    expect(() => new PullThroughCache(first, 'Cache', { upstreams: [k8s(), k8s('Bad')] })).toThrow(Error);
    new PullThroughCache(second, 'Cache', { upstreams: [k8s()] });
    Template.fromStack(second).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });
});
