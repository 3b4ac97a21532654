import * as fs from 'fs';
import { join as joinPath } from 'path';
import { App, Aws, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  PullThroughCache,
  PullThroughCacheProps,
  PullThroughCacheSecret,
  TemplateScope,
  UpstreamRegistry,
} from '../src';
import { k8sAndQuayCache, PULL_ACTIONS } from './support/cache-fixtures';
import {
  allStatements,
  buildReference,
  expectLeastPrivilege,
  REFERENCE_PREFIXES,
  repositoryArnPattern, newStack,
} from './support/helpers';

function onlyResource(template: Template, type: string): any {
  const resources = Object.values<any>(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0];
}

function templateProperties(stack: Stack): any[] {
  return Object.values<any>(Template.fromStack(stack).findResources('AWS::ECR::RepositoryCreationTemplate'))
    .map(r => r.Properties);
}

describe('the reference use case', () => {
  test('renders exactly 4 rules with prefix, URL, registry type and credentials', () => {
    const { stack } = buildReference();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECR::PullThroughCacheRule', 4);
    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'dockercache',
      UpstreamRegistryUrl: 'registry-1.docker.io',
      UpstreamRegistry: 'docker-hub',
      CredentialArn: { Ref: stack.getLogicalId(stack.node.findChild('DockerHubSecret').node.defaultChild as secretsmanager.CfnSecret) },
    });
    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'ghcrcache',
      UpstreamRegistryUrl: 'ghcr.io',
      UpstreamRegistry: 'github-container-registry',
      CredentialArn: { Ref: Match.stringLikeRegexp('^GhcrSecret') },
    });
    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'k8scache',
      UpstreamRegistryUrl: 'registry.k8s.io',
      UpstreamRegistry: 'k8s',
      CredentialArn: Match.absent(),
      CustomRoleArn: Match.absent(),
      UpstreamRepositoryPrefix: Match.absent(),
    });
    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'quaycache',
      UpstreamRegistryUrl: 'quay.io',
      UpstreamRegistry: 'quay',
      CredentialArn: Match.absent(),
    });
  });

  test('renders one ROOT template for pull-through cache, mutable and AES-256', () => {
    const { stack } = buildReference();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
    const root = onlyResource(template, 'AWS::ECR::RepositoryCreationTemplate');
    expect(root.Properties).toEqual({
      Prefix: 'ROOT',
      AppliedFor: ['PULL_THROUGH_CACHE'],
      ImageTagMutability: 'MUTABLE',
      EncryptionConfiguration: { EncryptionType: 'AES256' },
      Description: 'Repositories created by any ECR pull-through cache rule of this registry',
    });
    // No role is needed without tags or a customer-managed key.
    template.resourceCountIs('AWS::IAM::Role', 1); // the puller only
  });

  test('every rule depends on the template, and the credentialed ones reference their secret', () => {
    const { stack } = buildReference();
    const template = Template.fromStack(stack);
    const rootId = Object.keys(template.findResources('AWS::ECR::RepositoryCreationTemplate'))[0];
    const dockerSecretId = Object.keys(template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Name: 'ecr-pullthroughcache/dockerio' },
    }))[0];
    const ghcrSecretId = Object.keys(template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Name: 'ecr-pullthroughcache/ghcr' },
    }))[0];
    const rules = template.findResources('AWS::ECR::PullThroughCacheRule');
    const dependsOn = Object.fromEntries(Object.values<any>(rules).map(r => [r.Properties.EcrRepositoryPrefix, [...r.DependsOn].sort()]));
    expect(dependsOn).toEqual({
      dockercache: [rootId],
      ghcrcache: [rootId],
      k8scache: [rootId],
      quaycache: [rootId],
    });
    // A Ref is a dependency: the secret is created first, without a redundant DependsOn (cfn-lint W3005).
    const credentialRefs = Object.fromEntries(Object.values<any>(rules).map(r => [r.Properties.EcrRepositoryPrefix, r.Properties.CredentialArn]));
    expect(credentialRefs).toEqual({
      dockercache: { Ref: dockerSecretId },
      ghcrcache: { Ref: ghcrSecretId },
      k8scache: undefined,
      quaycache: undefined,
    });
  });

  test('holds no secret material and emits no warnings', () => {
    const { stack } = buildReference();
    const template = Template.fromStack(stack);
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('"SecretString"');
    // The access token only appears as the key CloudFormation generates (and in prose).
    const occurrences: string[] = [];
    const walk = (value: any, path: string): void => {
      if (typeof value === 'string') {
        if (value.includes('accessToken') && !path.endsWith('.Description')) {
          occurrences.push(`${path}=${value}`);
        }
      } else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (k.includes('accessToken')) {
            occurrences.push(`${path}.${k}`);
          }
          walk(v, `${path}.${k}`);
        }
      }
    };
    walk(template.toJSON(), '');
    expect(occurrences.sort()).toEqual([
      '.Resources.DockerHubSecret9BE6658C.Properties.GenerateSecretString.GenerateStringKey=accessToken',
      '.Resources.GhcrSecretEA0AD9C8.Properties.GenerateSecretString.GenerateStringKey=accessToken',
    ]);
    for (const secret of Object.values<any>(template.findResources('AWS::SecretsManager::Secret'))) {
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString.GenerateStringKey).toBe('accessToken');
      expect(JSON.parse(secret.Properties.GenerateSecretString.SecretStringTemplate)).not.toHaveProperty('accessToken');
    }
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-pull-through-cache'))).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });

  test('the puller gets exactly the pull actions on each prefix and the token on *', () => {
    const { stack } = buildReference();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: PULL_ACTIONS,
            Resource: REFERENCE_PREFIXES.map(p => repositoryArnPattern(`${p}/*`)),
          },
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    expectLeastPrivilege(template);
  });
});

describe('defaults', () => {
  test.each([
    [UpstreamRegistry.kubernetes(), 'k8scache'],
    [UpstreamRegistry.quay(), 'quaycache'],
    [UpstreamRegistry.ecrPublic(), 'ecrpubliccache'],
  ])('an upstream without prefix uses the registry default (%#)', (registry, expected) => {
    const stack = newStack();
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: [{ registry }] });
    expect(cache.prefixes).toEqual([expected]);
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { EcrRepositoryPrefix: expected });
  });

  test('credentialed registries default to their prefixes', () => {
    const stack = newStack();
    const secret = (name: string) => secretsmanager.Secret.fromSecretCompleteArn(
      stack, name, `arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/${name}-AbCdEf`);
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), credentials: secret('docker') },
        { registry: UpstreamRegistry.githubContainerRegistry(), credentials: secret('ghcr') },
        { registry: UpstreamRegistry.gitlabContainerRegistry(), credentials: secret('gitlab') },
        { registry: UpstreamRegistry.azureContainerRegistry('myregistry'), credentials: secret('azure') },
        { registry: UpstreamRegistry.chainguard(), credentials: secret('cgr') },
      ],
    });
    expect(cache.prefixes).toEqual(['dockercache', 'ghcrcache', 'gitlabcache', 'azurecache', 'chainguardcache']);
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'azurecache',
      UpstreamRegistryUrl: 'myregistry.azurecr.io',
      UpstreamRegistry: 'azure-container-registry',
      CredentialArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/azure-AbCdEf',
    });
  });

  test('PER_UPSTREAM is the default: one template per prefix, each rule depends on its own', () => {
    const stack = newStack();
    const cache = k8sAndQuayCache(stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 2);
    expect(templateProperties(stack).map(p => p.Prefix).sort()).toEqual(['k8scache', 'quaycache']);
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Prefix: 'k8scache',
      AppliedFor: ['PULL_THROUGH_CACHE'],
      ImageTagMutability: 'MUTABLE',
      EncryptionConfiguration: { EncryptionType: 'AES256' },
      Description: "Repositories created by the ECR pull-through cache rule 'k8scache'",
    });
    expect(cache.templates).toHaveLength(2);
    for (const [i, rule] of cache.rules.entries()) {
      const resolvedTemplate = cache.templates[i];
      expect(stack.resolve(resolvedTemplate.prefix)).toBe(stack.resolve(rule.ecrRepositoryPrefix));
      const ruleId = stack.getLogicalId(rule);
      expect(template.toJSON().Resources[ruleId].DependsOn).toEqual([stack.getLogicalId(resolvedTemplate)]);
    }
  });

  test('explicit PER_UPSTREAM equals the default', () => {
    const a = newStack();
    k8sAndQuayCache(a);
    const b = newStack();
    k8sAndQuayCache(b, { scope: TemplateScope.PER_UPSTREAM });
    expect(Template.fromStack(b).toJSON()).toEqual(Template.fromStack(a).toJSON());
  });
});

describe('template options', () => {
  test('tag mutability with exclusion filters renders the filters', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, {
      imageTagMutability: ecr.TagMutability.MUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [
        ecr.ImageTagMutabilityExclusionFilter.wildcard('release-*'),
        ecr.ImageTagMutabilityExclusionFilter.wildcard('v1.*'),
      ],
    });
    for (const props of templateProperties(stack)) {
      expect(props.ImageTagMutability).toBe('MUTABLE_WITH_EXCLUSION');
      expect(props.ImageTagMutabilityExclusionFilters).toEqual([
        { ImageTagMutabilityExclusionFilterType: 'WILDCARD', ImageTagMutabilityExclusionFilterValue: 'release-*' },
        { ImageTagMutabilityExclusionFilterType: 'WILDCARD', ImageTagMutabilityExclusionFilterValue: 'v1.*' },
      ]);
    }
  });

  test('IMMUTABLE is rendered and warned about', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, { imageTagMutability: ecr.TagMutability.IMMUTABLE });
    expect(templateProperties(stack).map(p => p.ImageTagMutability)).toEqual(['IMMUTABLE', 'IMMUTABLE']);
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('cdk-pull-through-cache:immutableTags'));
  });

  test('IMMUTABLE_WITH_EXCLUSION is warned about too', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, {
      imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard('latest')],
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('immutableTags'));
  });

  test('KMS with a key: KmsKey, and a role trusted by ECR with grants on that key only', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const cache = k8sAndQuayCache(stack, { encryptionKey: key });
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    expect(cache.templateRole).toBeDefined();
    const roleArn = { 'Fn::GetAtt': [stack.getLogicalId(cache.templateRole!.node.defaultChild as iam.CfnRole), 'Arn'] };
    for (const props of templateProperties(stack)) {
      expect(props.EncryptionConfiguration).toEqual({ EncryptionType: 'KMS', KmsKey: keyArn });
      expect(props.CustomRoleArn).toEqual(roleArn);
    }
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecr.amazonaws.com' } }],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleArn['Fn::GetAtt'][0] }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'ecr:CreateRepository',
            Resource: [repositoryArnPattern('k8scache/*'), repositoryArnPattern('quaycache/*')],
          },
          // Only grants an AWS service (ECR) asks for: no CreateGrant for whoever holds the role.
          {
            Effect: 'Allow',
            Action: 'kms:CreateGrant',
            Resource: keyArn,
            Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
          },
          { Effect: 'Allow', Action: ['kms:RetireGrant', 'kms:DescribeKey'], Resource: keyArn },
        ],
      },
    });
    // CreateGrant appears nowhere without the condition.
    const createGrants = allStatements(template).filter(st => [st.Action].flat().includes('kms:CreateGrant'));
    expect(createGrants).toHaveLength(1);
    expect(createGrants[0].Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': true } });
    // The templates are created after the role and its policy.
    for (const t of Object.values<any>(template.findResources('AWS::ECR::RepositoryCreationTemplate'))) {
      expect(t.Properties.CustomRoleArn).toEqual(roleArn);
      expect(t.DependsOn).toEqual([expect.stringMatching(/^CacheTemplateRoleDefaultPolicy/)]);
    }
    expectLeastPrivilege(template);
  });

  test('KMS without a key: the AWS managed key, no role', () => {
    const stack = newStack();
    const cache = k8sAndQuayCache(stack, { encryption: ecr.RepositoryEncryption.KMS });
    for (const props of templateProperties(stack)) {
      expect(props.EncryptionConfiguration).toEqual({ EncryptionType: 'KMS' });
      expect(props.CustomRoleArn).toBeUndefined();
    }
    expect(cache.templateRole).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Role', 0);
  });

  test('KMS_DSSE is rendered', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, { encryption: ecr.RepositoryEncryption.KMS_DSSE });
    expect(templateProperties(stack).map(p => p.EncryptionConfiguration)).toEqual([
      { EncryptionType: 'KMS_DSSE' }, { EncryptionType: 'KMS_DSSE' },
    ]);
  });

  test('an imported key: CreateGrant carries kms:GrantIsForAWSResource too', () => {
    const stack = newStack();
    const keyArn = 'arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    k8sAndQuayCache(stack, { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', keyArn) });
    const statements = allStatements(Template.fromStack(stack)).filter(st => [st.Action].flat().some((a: string) => a.startsWith('kms:')));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'kms:CreateGrant', Resource: keyArn, Condition: { Bool: { 'kms:GrantIsForAWSResource': true } } },
      { Effect: 'Allow', Action: ['kms:RetireGrant', 'kms:DescribeKey'], Resource: keyArn },
    ]);
  });

  test('a key whose policy names its principals: the key policy\'s CreateGrant has the condition too', () => {
    const stack = newStack();
    const cfnKey = new kms.CfnKey(stack, 'CfnKey', {
      keyPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] },
    });
    const cache = k8sAndQuayCache(stack, { encryptionKey: kms.Key.fromCfnKey(cfnKey) });
    const template = Template.fromStack(stack);
    const condition = { Bool: { 'kms:GrantIsForAWSResource': true } };
    const roleArn = { 'Fn::GetAtt': [stack.getLogicalId(cache.templateRole!.node.defaultChild as iam.CfnRole), 'Arn'] };
    const keyPolicy = template.findResources('AWS::KMS::Key')[stack.getLogicalId(cfnKey)].Properties.KeyPolicy;
    expect(keyPolicy.Statement.filter((st: any) => JSON.stringify(st.Principal) === JSON.stringify({ AWS: roleArn }))).toEqual([
      { Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'kms:CreateGrant', Resource: '*', Condition: condition },
      { Effect: 'Allow', Principal: { AWS: roleArn }, Action: ['kms:RetireGrant', 'kms:DescribeKey'], Resource: '*' },
    ]);
    const createGrants = allStatements(template).filter(st => [st.Action].flat().includes('kms:CreateGrant'));
    expect(createGrants).toEqual([expect.objectContaining({ Action: 'kms:CreateGrant', Condition: condition })]);
  });

  test('an imported key of another account: no key-policy statement here, and the registries guide tells its owner the condition', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 0);
    const guide = fs.readFileSync(joinPath(__dirname, '..', 'docs', 'registries.md'), 'utf8');
    expect(guide).toMatch(/imports from another account[\s\S]{0,200}must allow the template role `kms:CreateGrant`[\s\S]{0,60}same condition \(`"Bool": \{"kms:GrantIsForAWSResource": "true"\}`\)/);
  });

  test('KMS_DSSE with a key keeps the key', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    k8sAndQuayCache(stack, { encryption: ecr.RepositoryEncryption.KMS_DSSE, encryptionKey: key });
    expect(templateProperties(stack)[0].EncryptionConfiguration).toEqual({
      EncryptionType: 'KMS_DSSE', KmsKey: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
  });

  test('lifecycle rules render the same policy as ecr.Repository', () => {
    const rules: ecr.LifecycleRule[] = [
      { rulePriority: 1, tagStatus: ecr.TagStatus.TAGGED, tagPrefixList: ['v'], maxImageCount: 5, description: 'keep 5' },
      { tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7) },
      { tagPatternList: ['release-*-final'], maxImageAge: Duration.days(90) },
      { maxImageCount: 10 },
    ];
    const stack = newStack();
    k8sAndQuayCache(stack, { lifecycleRules: rules });

    const reference = newStack();
    new ecr.Repository(reference, 'Repo', { lifecycleRules: rules });
    const repo = onlyResource(Template.fromStack(reference), 'AWS::ECR::Repository');
    const expected = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText);
    expect(expected.rules).toHaveLength(4);

    for (const props of templateProperties(stack)) {
      expect(typeof props.LifecyclePolicy).toBe('string');
      expect(props.LifecyclePolicy.length).toBeGreaterThanOrEqual(100);
      expect(JSON.parse(props.LifecyclePolicy)).toEqual(expected);
      // Same text, not only the same structure.
      expect(props.LifecyclePolicy).toBe(repo.Properties.LifecyclePolicy.LifecyclePolicyText);
    }
  });

  test('lifecycle rules with an explicitly prioritized ANY rule match ecr.Repository', () => {
    const rules: ecr.LifecycleRule[] = [
      { rulePriority: 3, tagStatus: ecr.TagStatus.TAGGED, tagPrefixList: ['a', 'b'], maxImageCount: 2 },
      { rulePriority: 9, tagStatus: ecr.TagStatus.ANY, maxImageAge: Duration.days(30) },
    ];
    const stack = newStack();
    k8sAndQuayCache(stack, { lifecycleRules: rules });
    const reference = newStack();
    new ecr.Repository(reference, 'Repo', { lifecycleRules: rules });
    const repo = onlyResource(Template.fromStack(reference), 'AWS::ECR::Repository');
    expect(templateProperties(stack)[0].LifecyclePolicy).toBe(repo.Properties.LifecyclePolicy.LifecyclePolicyText);
  });

  test('no lifecycle rules: no LifecyclePolicy', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, { lifecycleRules: [] });
    expect(templateProperties(stack)[0]).not.toHaveProperty('LifecyclePolicy');
  });

  test('resource tags are sorted and come with a role that may tag the prefix repositories', () => {
    const stack = newStack();
    const cache = k8sAndQuayCache(stack, { resourceTags: { team: 'platform', cost: 'cache', app: 'ptc' } });
    const template = Template.fromStack(stack);
    for (const props of templateProperties(stack)) {
      expect(props.ResourceTags).toEqual([
        { Key: 'app', Value: 'ptc' },
        { Key: 'cost', Value: 'cache' },
        { Key: 'team', Value: 'platform' },
      ]);
      expect(props.CustomRoleArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(cache.templateRole!.node.defaultChild as iam.CfnRole), 'Arn'] });
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: ['ecr:CreateRepository', 'ecr:TagResource'],
          Resource: [repositoryArnPattern('k8scache/*'), repositoryArnPattern('quaycache/*')],
        }],
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ecr.amazonaws.com' } })] },
    });
    expectLeastPrivilege(template);
  });

  test('resource tags on the ROOT template: the role may tag any repository', () => {
    const { stack } = buildReference({ repositoryTemplate: { scope: TemplateScope.ANY_PREFIX, resourceTags: { a: 'b' } } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: ['ecr:CreateRepository', 'ecr:TagResource'], Resource: repositoryArnPattern('*') }],
      },
    });
    template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Prefix: 'ROOT',
      ResourceTags: [{ Key: 'a', Value: 'b' }],
      CustomRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheTemplateRole'), 'Arn'] },
    });
    expectLeastPrivilege(template);
  });

  test('a repository policy is rendered as a JSON string', () => {
    const stack = newStack();
    const policy = new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({
        principals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:root')],
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      })],
    });
    k8sAndQuayCache(stack, { repositoryPolicy: policy });
    const props = templateProperties(stack)[0];
    expect(typeof props.RepositoryPolicy).toBe('string');
    expect(JSON.parse(props.RepositoryPolicy)).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      }],
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('publicRepositoryPolicy'))).toEqual([]);
  });

  test('a repository policy with tokens becomes a Fn::Join string', () => {
    const stack = newStack();
    const policy = new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({ principals: [new iam.AccountRootPrincipal()], actions: ['ecr:BatchGetImage'] })],
    });
    k8sAndQuayCache(stack, { repositoryPolicy: policy });
    const rendered = templateProperties(stack)[0].RepositoryPolicy;
    expect(rendered['Fn::Join']).toBeDefined();
    expect(JSON.stringify(rendered)).toContain('AWS::AccountId');
  });

  test('a repository policy open to any principal is warned about', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, {
      repositoryPolicy: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions: ['ecr:BatchGetImage'] })],
      }),
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('cdk-pull-through-cache:publicRepositoryPolicy'));
  });

  test('a repository policy open to any principal with a condition is not warned about', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, {
      repositoryPolicy: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          principals: [new iam.AnyPrincipal()],
          actions: ['ecr:BatchGetImage'],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
        })],
      }),
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('publicRepositoryPolicy'))).toEqual([]);
  });

  test('description: a default naming the prefix, or the one given', () => {
    const a = newStack();
    k8sAndQuayCache(a);
    expect(templateProperties(a).map(p => p.Description).sort()).toEqual([
      "Repositories created by the ECR pull-through cache rule 'k8scache'",
      "Repositories created by the ECR pull-through cache rule 'quaycache'",
    ]);
    const b = newStack();
    k8sAndQuayCache(b, { description: 'Team cache repositories' });
    expect(templateProperties(b).map(p => p.Description)).toEqual(['Team cache repositories', 'Team cache repositories']);
  });

  test('a 256-character description is accepted', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, { description: 'd'.repeat(256) });
    expect(templateProperties(stack)[0].Description).toHaveLength(256);
  });
});

describe('grants', () => {
  test('grantPull: every prefix, least privilege', () => {
    const stack = newStack();
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.kubernetes(), prefix: 'team/k8s' },
        { registry: UpstreamRegistry.quay(), prefix: 'quay/' },
        { registry: UpstreamRegistry.ecrPublic() },
      ],
    });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = cache.grantPull(role);
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: PULL_ACTIONS,
            Resource: Match.arrayEquals([
              repositoryArnPattern('ecrpubliccache/*'),
              repositoryArnPattern('quay/*'),
              repositoryArnPattern('team/k8s/*'),
            ]),
          },
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    expectLeastPrivilege(template);
  });

  test('grantPull adds ecr:TagResource on the prefixes, only with the templates\' tags, when they tag new repositories', () => {
    const stack = newStack();
    const cache = k8sAndQuayCache(stack, { resourceTags: { 'team': 'platform', 'cost-center': 'cache' } });
    expect(cache.repositoryTemplateResourceTags).toEqual({ 'team': 'platform', 'cost-center': 'cache' });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPullFromUpstream(role, 'quaycache');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Role') }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: PULL_ACTIONS, Resource: repositoryArnPattern('quaycache/*') },
          {
            Effect: 'Allow',
            Action: 'ecr:TagResource',
            Resource: repositoryArnPattern('quaycache/*'),
            // No other key, and each key with the template's value: a grantee cannot retag a
            // cached repository with tags of its choosing.
            Condition: {
              'ForAllValues:StringEquals': { 'aws:TagKeys': ['cost-center', 'team'] },
              'StringEquals': { 'aws:RequestTag/cost-center': 'cache', 'aws:RequestTag/team': 'platform' },
            },
          },
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    // ecr:TagResource appears nowhere without that condition.
    const tagging = allStatements(template).filter(st => [st.Action].flat().includes('ecr:TagResource') && st.Condition === undefined);
    expect(tagging.map(st => st.Action)).toEqual([['ecr:CreateRepository', 'ecr:TagResource']]); // the template role's, for ECR itself
    expectLeastPrivilege(template);
  });

  test('the token a grantee fetches can pull, never push: grantPull has no registry write action', () => {
    // An ECR token carries all of its principal's ECR permissions (README, "What the token
    // allows"), so what grantPull adds must not let a node's token push.
    const stack = newStack();
    const cache = k8sAndQuayCache(stack, { resourceTags: { team: 'platform' } });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPull(role);
    // Every policy of the stack: the grantee's and the template role's.
    const granted = allStatements(Template.fromStack(stack)).flatMap(st => [st.Action].flat());
    expect(granted).toContain('ecr:BatchImportUpstreamImage');
    for (const write of ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:BatchDeleteImage', 'ecr:DeleteRepository', 'ecr:SetRepositoryPolicy', 'ecr:UntagResource']) {
      expect(granted).not.toContain(write);
    }
  });

  test('without resource tags, grantPull has no ecr:TagResource', () => {
    const stack = newStack();
    const cache = k8sAndQuayCache(stack);
    expect(cache.repositoryTemplateResourceTags).toBeUndefined();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPull(role);
    expect(JSON.stringify(allStatements(Template.fromStack(stack)))).not.toContain('ecr:TagResource');
  });

  test('grantPull to a principal without a policy (a user) is still least privilege', () => {
    const stack = newStack();
    const cache = k8sAndQuayCache(stack);
    const user = new iam.User(stack, 'User');
    cache.grantPull(user);
    const template = Template.fromStack(stack);
    const statements = allStatements(template);
    expect(statements).toHaveLength(2);
    expect(statements.filter(s => s.Resource === '*')).toEqual([
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ]);
    expectLeastPrivilege(template);
  });

  test('grantPullFromUpstream: only that prefix', () => {
    const { stack, cache } = buildReference({ grant: false });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPullFromUpstream(role, 'ghcrcache');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: PULL_ACTIONS, Resource: repositoryArnPattern('ghcrcache/*') },
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('repository/dockercache');
    expectLeastPrivilege(template);
  });

  test('grantPullFromUpstream of an unknown prefix throws naming the prefixes', () => {
    const { stack, cache } = buildReference({ grant: false });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => cache.grantPullFromUpstream(role, 'nope')).toThrow(
      "PullThroughCache at 'Stack/Cache': grantPullFromUpstream (Python: grant_pull_from_upstream): no upstream has prefix 'nope': give one of the cache's prefixes, 'dockercache', 'ghcrcache', 'k8scache', 'quaycache'",
    );
    // Nothing was granted.
    expect(Template.fromStack(stack).findResources('AWS::IAM::Policy')).toEqual({});
  });

  test('fromPullThroughCacheAttributes with tagging templates of unknown tags grants ecr:TagResource, with a warning', () => {
    const stack = newStack();
    const imported = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      upstreams: [{ registry: UpstreamRegistry.quay() }],
      repositoryTemplateHasResourceTags: true,
    });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantPull(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: [...PULL_ACTIONS, 'ecr:TagResource'], Resource: repositoryArnPattern('quaycache/*') },
          { Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Imported', Match.stringLikeRegexp('cdk-pull-through-cache:tagResourceUnconditioned'));
  });

  test('fromPullThroughCacheAttributes with the templates\' tags limits ecr:TagResource to them, without a warning', () => {
    const stack = newStack();
    const imported = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      upstreams: [{ registry: UpstreamRegistry.quay() }],
      repositoryTemplateResourceTags: { team: 'platform' },
    });
    expect(imported.repositoryTemplateHasResourceTags).toBe(true);
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantPull(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: PULL_ACTIONS, Resource: repositoryArnPattern('quaycache/*') },
          {
            Action: 'ecr:TagResource',
            Resource: repositoryArnPattern('quaycache/*'),
            Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] }, 'StringEquals': { 'aws:RequestTag/team': 'platform' } },
          },
          { Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Imported', Match.stringLikeRegexp('tagResourceUnconditioned'));
  });

  test('fromPullThroughCacheAttributes: tags with repositoryTemplateHasResourceTags false is an error', () => {
    const stack = newStack();
    expect(() => PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      upstreams: [{ registry: UpstreamRegistry.quay() }],
      repositoryTemplateHasResourceTags: false,
      repositoryTemplateResourceTags: { team: 'platform' },
    })).toThrow(/repositoryTemplateHasResourceTags \(Python: repository_template_has_resource_tags\): false, but repositoryTemplateResourceTags \(Python: repository_template_resource_tags\) gives 1 tag\(s\)/);
  });

  test.each([
    [[], /upstreams: the list is empty/],
    [[{ registry: UpstreamRegistry.quay(), prefix: 'ROOT' }], /upstream 'ROOT': prefix 'ROOT' is only for an ECR upstream/],
    [[{ registry: UpstreamRegistry.quay(), prefix: 'Bad Prefix' }], /upstream 'Bad Prefix': prefix 'Bad Prefix' is invalid/],
    [[{ registry: UpstreamRegistry.quay() }, { registry: UpstreamRegistry.kubernetes(), prefix: 'quaycache' }],
      /upstream 'quaycache': prefix 'quaycache' is already used by upstreams\[0\]/],
  ])('fromPullThroughCacheAttributes rejects upstreams %#', (upstreams, message) => {
    const stack = newStack();
    expect(() => PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', { upstreams })).toThrow(message);
    expect(() => PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', { upstreams })).toThrow(/at 'Stack\/Imported' is invalid/);
  });

  test('fromPullThroughCacheAttributes grants like the cache itself', () => {
    const stack = newStack();
    const imported = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      // Credentials are not needed to import, and not checked.
      upstreams: [{ registry: UpstreamRegistry.dockerHub() }, { registry: UpstreamRegistry.kubernetes() }],
    });
    expect(imported.prefixes).toEqual(['dockercache', 'k8scache']);
    expect(stack.resolve(imported.registryDomain)).toEqual({
      'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    });
    const all = new iam.Role(stack, 'All', { assumedBy: new iam.AccountRootPrincipal() });
    const one = new iam.Role(stack, 'One', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantPull(all);
    imported.grantPullFromUpstream(one, 'k8scache');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(all.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          { Action: PULL_ACTIONS, Resource: [repositoryArnPattern('dockercache/*'), repositoryArnPattern('k8scache/*')] },
          { Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(one.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          { Action: PULL_ACTIONS, Resource: repositoryArnPattern('k8scache/*') },
          { Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    expect(() => imported.grantPullFromUpstream(one, 'quaycache')).toThrow(/no upstream has prefix 'quaycache'/);
    template.resourceCountIs('AWS::ECR::PullThroughCacheRule', 0);
    expectLeastPrivilege(template);
  });

  // A tag key that is a token cannot name a condition key (`aws:RequestTag/<key>` is a map key,
  // which a token cannot be): the grant falls back to ecr:TagResource unconditioned, with a
  // warning, rather than failing synthesis.
  test.each([
    ['a CfnParameter', (stack: Stack) => new CfnParameter(stack, 'TagKey', { type: 'String' }).valueAsString],
    ['Aws.REGION', () => Aws.REGION],
  ])('a tag key that is %s: synthesizes, ecr:TagResource unconditioned, with a warning', (_what, tokenKey) => {
    const stack = newStack();
    const cache = k8sAndQuayCache(stack, { resourceTags: { [tokenKey(stack)]: 'platform' } });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPullFromUpstream(role, 'quaycache');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Role') }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: [...PULL_ACTIONS, 'ecr:TagResource'], Resource: repositoryArnPattern('quaycache/*'), Condition: Match.absent() },
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('cdk-pull-through-cache:tagResourceUnconditioned'));
  });

  test('a tag value that is a token keeps ecr:TagResource conditioned, without a warning', () => {
    const stack = newStack();
    const value = new CfnParameter(stack, 'TagValue', { type: 'String' });
    const cache = k8sAndQuayCache(stack, { resourceTags: { team: value.valueAsString } });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    cache.grantPullFromUpstream(role, 'quaycache');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: PULL_ACTIONS, Resource: repositoryArnPattern('quaycache/*') },
          {
            Action: 'ecr:TagResource',
            Resource: repositoryArnPattern('quaycache/*'),
            Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] }, 'StringEquals': { 'aws:RequestTag/team': { Ref: 'TagValue' } } },
          },
          { Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Cache', Match.stringLikeRegexp('tagResourceUnconditioned'));
  });

  test('fromPullThroughCacheAttributes with a tag key that is a token: synthesizes, ecr:TagResource unconditioned, with a warning', () => {
    const stack = newStack();
    const key = new CfnParameter(stack, 'TagKey', { type: 'String' });
    const imported = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      upstreams: [{ registry: UpstreamRegistry.quay() }],
      repositoryTemplateResourceTags: { [key.valueAsString]: 'platform', team: 'platform' },
    });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantPull(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: [...PULL_ACTIONS, 'ecr:TagResource'], Resource: repositoryArnPattern('quaycache/*'), Condition: Match.absent() },
          { Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Imported', Match.stringLikeRegexp('cdk-pull-through-cache:tagResourceUnconditioned'));
  });
});

describe('exposed properties', () => {
  test('prefixes, rules and templates follow the order given', () => {
    const { stack, cache } = buildReference({ order: [3, 1, 0, 2] });
    expect(cache.prefixes).toEqual(['quaycache', 'ghcrcache', 'dockercache', 'k8scache']);
    expect(cache.rules.map(r => stack.resolve(r.ecrRepositoryPrefix))).toEqual(cache.prefixes);
    expect(cache.rules.every(r => r instanceof ecr.CfnPullThroughCacheRule)).toBe(true);
    expect(cache.templates).toHaveLength(1);
    expect(cache.templates[0].prefix).toBe('ROOT');
    expect(cache.templateRole).toBeUndefined();
  });

  test('PER_UPSTREAM templates follow the order given', () => {
    const stack = newStack();
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.quay() }, { registry: UpstreamRegistry.kubernetes() }],
    });
    expect(cache.templates.map(t => t.prefix)).toEqual(['quaycache', 'k8scache']);
    expect(cache.rules.map(r => r.ecrRepositoryPrefix)).toEqual(['quaycache', 'k8scache']);
  });

  test('registryDomain of an environment-agnostic stack is a Fn::Join of the pseudo parameters', () => {
    const { stack, cache } = buildReference();
    expect(stack.resolve(cache.registryDomain)).toEqual({
      'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    });
  });

  test.each([
    ['eu-west-1', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
    ['cn-north-1', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'],
    ['us-gov-west-1', '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com'],
  ])('registryDomain of a stack bound to %s is a partition-correct literal', (region, domain) => {
    const { cache } = buildReference({ stackProps: { env: { account: '123456789012', region } } });
    expect(cache.registryDomain).toEqual(domain);
  });

  test('templateRole exists only when tags or a key need it', () => {
    const a = newStack();
    expect(k8sAndQuayCache(a, { resourceTags: { a: 'b' } }).templateRole).toBeInstanceOf(iam.Role);
    const b = newStack();
    expect(k8sAndQuayCache(b, { encryption: ecr.RepositoryEncryption.KMS }).templateRole).toBeUndefined();
  });
});

describe('ECR upstream', () => {
  function ecrCache(options: Partial<Parameters<typeof UpstreamRegistry.ecr>[0]>, stack = newStack()) {
    const role = new iam.Role(stack, 'UpstreamRole', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, ...options }), prefix: 'mirror' }],
    });
    return { stack, role, cache };
  }

  test('another account and region: role, upstream prefix and URL', () => {
    const { stack, role } = ecrCache({ account: '210987654321', region: 'eu-central-1', repositoryPrefix: 'team-a' });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'mirror',
      UpstreamRegistry: 'ecr',
      UpstreamRegistryUrl: '210987654321.dkr.ecr.eu-central-1.amazonaws.com',
      CustomRoleArn: { 'Fn::GetAtt': [stack.getLogicalId(role.node.defaultChild as iam.CfnRole), 'Arn'] },
      UpstreamRepositoryPrefix: 'team-a',
      CredentialArn: Match.absent(),
    });
  });

  test('a China region gets the amazonaws.com.cn suffix', () => {
    const { stack } = ecrCache({ account: '210987654321', region: 'cn-north-1' });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      UpstreamRegistryUrl: '210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn',
      UpstreamRepositoryPrefix: Match.absent(),
    });
  });

  test('account and region both omitted: the upstream would be the cache itself, an error', () => {
    expect(() => ecrCache({})).toThrow(/upstream 'mirror': registry: neither account nor region is given/);
  });

  test('the cache\'s own account and region: an error', () => {
    const stack = new Stack(new App(), 'Bound', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(() => ecrCache({ region: 'eu-west-1' }, stack)).toThrow(
      /upstream 'mirror': registry: account 123456789012 and region eu-west-1 are the cache's own registry/,
    );
  });

  test('an omitted account or region is the bound stack\'s: a literal URL', () => {
    const stack = new Stack(new App(), 'Bound', { env: { account: '123456789012', region: 'eu-west-1' } });
    const { cache } = ecrCache({ account: '210987654321' }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      UpstreamRegistryUrl: '210987654321.dkr.ecr.eu-west-1.amazonaws.com',
    });
    expect(cache.imageUri('210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/app:1'))
      .toEqual('123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/team/app:1');
  });

  test('region omitted in an environment-agnostic stack: the URL uses the pseudo parameters', () => {
    const { stack } = ecrCache({ account: '210987654321' });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      UpstreamRegistryUrl: {
        'Fn::Join': ['', ['210987654321.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
      },
    });
  });

  test('the rule waits for every policy of the upstream role, also ones added after the cache', () => {
    const { stack, role } = ecrCache({ account: '210987654321', region: 'eu-central-1' });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:BatchGetImage'], resources: ['arn:aws:ecr:eu-central-1:210987654321:repository/*'] }));
    const template = Template.fromStack(stack);
    const policyId = Object.keys(template.findResources('AWS::IAM::Policy'))[0];
    const rule = Object.values<any>(template.findResources('AWS::ECR::PullThroughCacheRule'))[0];
    expect(rule.DependsOn).toEqual(expect.arrayContaining([policyId]));
  });

  test('the default prefix is ecrcache', () => {
    const stack = newStack();
    const role = iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::123456789012:role/ptc');
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.ecr({ role, region: 'us-west-2' }) }] });
    expect(cache.prefixes).toEqual(['ecrcache']);
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      CustomRoleArn: 'arn:aws:iam::123456789012:role/ptc',
      UpstreamRegistryUrl: { 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.us-west-2.amazonaws.com']] },
    });
  });
});

describe('warnings', () => {
  test('nested prefixes are warned about', () => {
    const stack = newStack();
    new PullThroughCache(stack, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.kubernetes(), prefix: 'team' },
        { registry: UpstreamRegistry.quay(), prefix: 'team/quay' },
      ],
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('cdk-pull-through-cache:nestedPrefix'));
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Cache', Match.stringLikeRegexp('nestedPrefix'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toContain("prefix 'team/quay' is inside prefix 'team'");
  });

  test('sibling prefixes sharing a string start are not nested', () => {
    const stack = newStack();
    new PullThroughCache(stack, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.kubernetes(), prefix: 'team' },
        { registry: UpstreamRegistry.quay(), prefix: 'teamquay' },
      ],
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('nestedPrefix'))).toEqual([]);
  });

  test('an unresolved prefix is warned about and gets a positional construct ID', () => {
    const stack = newStack();
    const prefix = new CfnParameter(stack, 'Prefix', { type: 'String' }).valueAsString;
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.kubernetes() }, { registry: UpstreamRegistry.quay(), prefix }],
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('cdk-pull-through-cache:tokenPrefix'));
    expect(cache.node.tryFindChild('Upstream1')).toBeDefined();
    expect(cache.node.tryFindChild('k8scache')).toBeDefined();
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', { EcrRepositoryPrefix: { Ref: 'Prefix' } });
  });
});

describe('misc', () => {
  test('a PullThroughCacheSecret is accepted and referenced by ARN', () => {
    const stack = newStack();
    const secret = PullThroughCacheSecret.create(stack, 'Secret', { registryName: 'gitlab', username: 'me' });
    new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.gitlabContainerRegistry(), credentials: secret }] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      CredentialArn: { Ref: stack.getLogicalId(secret.node.defaultChild as secretsmanager.CfnSecret) },
      UpstreamRegistryUrl: 'registry.gitlab.com',
    });
  });

  test('two caches in one stack do not collide', () => {
    const stack = newStack();
    k8sAndQuayCache(stack, undefined, 'A');
    const props: PullThroughCacheProps = { upstreams: [{ registry: UpstreamRegistry.ecrPublic() }] };
    new PullThroughCache(stack, 'B', props);
    Template.fromStack(stack).resourceCountIs('AWS::ECR::PullThroughCacheRule', 3);
  });

  test('the Aws pseudo account is accepted as an ECR upstream account', () => {
    const { stack } = (() => {
      const s = newStack();
      const role = iam.Role.fromRoleArn(s, 'R', 'arn:aws:iam::123456789012:role/ptc');
      new PullThroughCache(s, 'Cache', { upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: Aws.ACCOUNT_ID, region: 'eu-west-1' }) }] });
      return { stack: s };
    })();
    Template.fromStack(stack).resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
  });
});

describe('Resource behaviour', () => {
  test('applyRemovalPolicy reaches the rules, the templates and the template role', () => {
    const stack = newStack();
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.quay() }, { registry: UpstreamRegistry.kubernetes() }],
      repositoryTemplate: { resourceTags: { team: 'platform' } },
    });
    cache.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const template = Template.fromStack(stack);
    for (const type of ['AWS::ECR::PullThroughCacheRule', 'AWS::ECR::RepositoryCreationTemplate', 'AWS::IAM::Role']) {
      const resources = Object.values<any>(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      expect(resources.every(r => r.DeletionPolicy === 'Retain')).toBe(true);
    }
  });

  test('grantPullFromUpstream takes a prefix with or without its trailing slash', () => {
    // The same cache twice (a Quay upstream written 'quay/', and registry.k8s.io beside it), granted
    // once with each spelling: both give the same policy, on Quay's repositories only.
    const grantedPolicy = (prefix: string) => {
      const stack = newStack();
      const cache = new PullThroughCache(stack, 'Cache', {
        upstreams: [{ registry: UpstreamRegistry.quay(), prefix: 'quay/' }, { registry: UpstreamRegistry.kubernetes() }],
      });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
      const grant = cache.grantPullFromUpstream(role, prefix);
      expect(grant.success).toBe(true);
      const policies = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
      expect(policies).toHaveLength(1);
      return policies[0].Properties.PolicyDocument;
    };
    const withoutSlash = grantedPolicy('quay');
    expect(grantedPolicy('quay/')).toEqual(withoutSlash);
    expect(withoutSlash).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: PULL_ACTIONS, Resource: repositoryArnPattern('quay/*') },
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      ],
    });
  });
});
