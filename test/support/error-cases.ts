import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  PullThroughCacheProps,
  RepositoryTemplateOptions,
  UpstreamDefinition,
  UpstreamRegistry,
} from '../../src';

/**
 * The invalid inputs of a PullThroughCache, one line each: test/validation.test.ts checks each
 * message's parts, test/error-messages.test.ts that every name in it is spelled for every language.
 */
/** Where every cache of these tests lives. */
export const PATH = 'Stack/Team/Cache';
export const PREFIX_RULE = "2 to 30 characters: lowercase letters and digits in segments joined by '.', '_', '__' or '-'";

export function newScope(): { stack: Stack; scope: Construct } {
  const stack = new Stack(new App(), 'Stack');
  return { stack, scope: new Construct(stack, 'Team') };
}

/** A complete ARN of a secret named `ecr-pullthroughcache/<name>`. */
export function secretArn(name: string): string {
  return `arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/${name}-AbCdEf`;
}

export function goodSecret(scope: Construct, id = 'GoodSecret'): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretCompleteArn(scope, id, secretArn(id.toLowerCase()));
}

export function k8s(prefix?: string): UpstreamDefinition {
  return { registry: UpstreamRegistry.kubernetes(), prefix };
}

export function withTemplate(options: RepositoryTemplateOptions): (scope: Construct) => PullThroughCacheProps {
  return () => ({ upstreams: [k8s()], repositoryTemplate: options });
}

export const role = (scope: Construct) => iam.Role.fromRoleArn(scope, 'UpstreamRole', 'arn:aws:iam::123456789012:role/ptc');
export const wildcards = (n: number) => Array.from({ length: n }, (_, i) => ecr.ImageTagMutabilityExclusionFilter.wildcard(`t${i}*`));

export type Case = [string, (scope: Construct) => PullThroughCacheProps, string[]];

/** [what, props, substrings the message must contain besides the construct path] */
export const CASES: Case[] = [
  // Prefixes
  ['prefix too short', () => ({ upstreams: [k8s('a')] }), ["upstream 'a'", "prefix 'a' is 1 character long", PREFIX_RULE, 'lengthen it']],
  ['prefix too long', () => ({ upstreams: [k8s('a'.repeat(31))] }), [`upstream '${'a'.repeat(31)}'`, 'prefix', '31 characters long', PREFIX_RULE, 'shorten it']],
  ['prefix with uppercase', () => ({ upstreams: [k8s('DockerCache')] }), ["upstream 'DockerCache'", "prefix 'DockerCache' is invalid", PREFIX_RULE]],
  ['prefix with a double dot', () => ({ upstreams: [k8s('a..b')] }), ["upstream 'a..b'", "prefix 'a..b' is invalid", PREFIX_RULE]],
  ['prefix starting with a dash', () => ({ upstreams: [k8s('-a')] }), ["upstream '-a'", "prefix '-a' is invalid", PREFIX_RULE]],
  ['prefix ending with an underscore', () => ({ upstreams: [k8s('a_')] }), ["upstream 'a_'", "prefix 'a_' is invalid", PREFIX_RULE]],
  ['prefix with three underscores', () => ({ upstreams: [k8s('a___b')] }), ["upstream 'a___b'", "prefix 'a___b' is invalid", PREFIX_RULE]],
  ['prefix ROOT for a registry that is not ECR', () => ({ upstreams: [k8s('ROOT')] }),
    ["upstream 'ROOT'", "prefix 'ROOT' is only for an ECR upstream", 'would claim every repository of the registry', PREFIX_RULE]],
  ['prefix ROOT with an upstream repository prefix', s => ({
    upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(s), region: 'eu-west-1', repositoryPrefix: 'team-a' }), prefix: 'ROOT' }],
  }), ["upstream 'ROOT'", "cannot be combined with the ECR upstream's repositoryPrefix (Python: repository_prefix) 'team-a'", 'drop repositoryPrefix']],
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
  ['duplicate default prefixes', () => ({ upstreams: [k8s(), k8s()] }),
    ["upstream 'k8scache'", "prefix 'k8scache' is already used by upstreams[0] ('k8scache' is the default prefix of UpstreamRegistry.kubernetes())", 'give one of them another `prefix`']],
  ['duplicate default prefixes of Quay', () => ({ upstreams: [{ registry: UpstreamRegistry.quay() }, { registry: UpstreamRegistry.quay(), prefix: 'quaycache' }] }),
    ["upstream 'quaycache'", "prefix 'quaycache' is already used by upstreams[0] ('quaycache' is the default prefix of UpstreamRegistry.quay())", 'give one of them another `prefix`']],

  // The upstream list
  ['an empty upstream list', () => ({ upstreams: [] }), ['upstreams', 'the list is empty', 'at least one upstream']],
  ['51 upstreams', () => ({ upstreams: Array.from({ length: 51 }, (_, i) => k8s(`k8s${i}`)) }),
    ['upstreams', '51 upstreams given', 'at most 50 pull-through cache rules per registry']],

  // Credentials required
  ['Docker Hub without credentials', () => ({ upstreams: [{ registry: UpstreamRegistry.dockerHub() }] }),
    ["upstream 'dockercache'", 'credentials are missing', 'registry-1.docker.io', "named 'ecr-pullthroughcache/<name>'",
      'give `credentials`: PullThroughCacheSecret.create makes such a secret']],
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
  }), ["upstream 'dockercache'", 'credentials', 'the secret has no name', "starting with 'ecr-pullthroughcache/'", 'set secretName (Python: secret_name), or use PullThroughCacheSecret.create']],
  ['a secret encrypted with a customer-managed key', s => ({
    upstreams: [{
      registry: UpstreamRegistry.dockerHub(),
      credentials: new secretsmanager.Secret(s, 'S', { secretName: 'ecr-pullthroughcache/docker', encryptionKey: new kms.Key(s, 'K') }),
    }],
  }), ["upstream 'dockercache'", 'credentials', 'customer-managed KMS key', 'AWS managed key (aws/secretsmanager)']],
  ['a secret imported by name', s => ({
    upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secretsmanager.Secret.fromSecretNameV2(s, 'S', 'ecr-pullthroughcache/docker') }],
  }), ["upstream 'dockercache'", 'credentials', 'imported without its complete ARN', 'Secret.fromSecretCompleteArn (Python: Secret.from_secret_complete_arn)(scope, id, ']],
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
    ["upstream 'ecrcache'", "region 'Frankfurt'", "not an AWS region name: give the upstream registry's region, such as 'us-east-1'"]],
  ['an ECR upstream with a bad repository prefix', s => ({ upstreams: [{ registry: UpstreamRegistry.ecr({ role: role(s), repositoryPrefix: 'Team_A' }) }] }),
    ["upstream 'ecrcache'", "repositoryPrefix (Python: repository_prefix) 'Team_A' is invalid", 'ROOT or 2 to 30 characters']],

  // Template options
  ['exclusion filters with MUTABLE', withTemplate({
    imageTagMutability: ecr.TagMutability.MUTABLE,
    imageTagMutabilityExclusionFilters: wildcards(1),
  }), ['repositoryTemplate.imageTagMutabilityExclusionFilters', "repositoryTemplate.imageTagMutability (Python: repository_template.image_tag_mutability) 'MUTABLE'", 'need IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION']],
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
    ['repositoryTemplate.lifecycleRules[0]', 'exactly one of maxImageAge (Python: max_image_age) and maxImageCount (Python: max_image_count)']],
  ['a lifecycle rule with neither maxImageAge nor maxImageCount', withTemplate({ lifecycleRules: [{ tagStatus: ecr.TagStatus.UNTAGGED }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'exactly one of maxImageAge (Python: max_image_age) and maxImageCount (Python: max_image_count)']],
  ['tagPrefixList with UNTAGGED', withTemplate({ lifecycleRules: [{ tagStatus: ecr.TagStatus.UNTAGGED, tagPrefixList: ['v'], maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'can only be specified when tagStatus (Python: tag_status) is set to Tagged']],
  ['TAGGED without tag lists', withTemplate({ lifecycleRules: [{ tagStatus: ecr.TagStatus.TAGGED, maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'TagStatus.Tagged requires the specification of a tagPrefixList (Python: tag_prefix_list) or a tagPatternList (Python: tag_pattern_list)']],
  ['both tag lists', withTemplate({ lifecycleRules: [{ tagPrefixList: ['v'], tagPatternList: ['v*'], maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'Both tagPrefixList (Python: tag_prefix_list) and tagPatternList (Python: tag_pattern_list) cannot be specified together']],
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
  }), ['repositoryTemplate.lifecycleRules', 'rulePriority (Python: rule_priority) 1 is used more than once']],
  ['a maxImageAge of 36 hours', withTemplate({ lifecycleRules: [{ maxImageAge: Duration.hours(36) }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'maxImageAge (Python: max_image_age) Duration.hours(36)', 'whole number of days']],
  ['a maxImageCount of 0', withTemplate({ lifecycleRules: [{ maxImageCount: 0 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'maxImageCount (Python: max_image_count) 0', 'whole number of at least 1']],

  ['a rulePriority of 0', withTemplate({ lifecycleRules: [{ rulePriority: 0, maxImageCount: 1 }] }),
    ['repositoryTemplate.lifecycleRules[0]', 'rulePriority (Python: rule_priority) 0', 'whole number of at least 1']],

  // Repository policy
  ['a repository policy statement without principal', withTemplate({
    repositoryPolicy: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['ecr:BatchGetImage'] })] }),
  }), ['repositoryTemplate.repositoryPolicy', 'must specify at least one IAM principal']],
];
