import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PullThroughCache, PullThroughCacheSecret, UpstreamRegistry } from '../src';
import { newStack } from './support/helpers';

function onlySecret(stack: Stack): any {
  const secrets = Object.values<any>(Template.fromStack(stack).findResources('AWS::SecretsManager::Secret'));
  expect(secrets).toHaveLength(1);
  return secrets[0];
}

describe('PullThroughCacheSecret', () => {
  test('is named ecr-pullthroughcache/<registryName> and generates the accessToken', () => {
    const stack = newStack();
    PullThroughCacheSecret.create(stack, 'Secret', { registryName: 'dockerio', username: 'my-docker-user' });
    const secret = onlySecret(stack);
    expect(secret.Properties.Name).toBe('ecr-pullthroughcache/dockerio');
    expect(secret.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{"username":"my-docker-user"}',
      GenerateStringKey: 'accessToken',
    });
    expect(secret.Properties).not.toHaveProperty('SecretString');
    expect(secret.Properties).not.toHaveProperty('KmsKeyId');
    expect(secret.Properties.Description).toContain('accessToken');
  });

  test('is retained by default', () => {
    const stack = newStack();
    PullThroughCacheSecret.create(stack, 'Secret', { registryName: 'ghcr', username: 'me' });
    const secret = onlySecret(stack);
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(secret.UpdateReplacePolicy).toBe('Retain');
  });

  test('takes a removal policy and a description', () => {
    const stack = newStack();
    PullThroughCacheSecret.create(stack, 'Secret', {
      registryName: 'ghcr', username: 'me', removalPolicy: RemovalPolicy.DESTROY, description: 'GHCR token',
    });
    const secret = onlySecret(stack);
    expect(secret.DeletionPolicy).toBe('Delete');
    expect(secret.UpdateReplacePolicy).toBe('Delete');
    expect(secret.Properties.Description).toBe('GHCR token');
  });

  test('a username with JSON characters is escaped in the template', () => {
    const stack = newStack();
    PullThroughCacheSecret.create(stack, 'Secret', { registryName: 'x', username: 'we"ird\\user' });
    expect(JSON.parse(onlySecret(stack).Properties.GenerateSecretString.SecretStringTemplate)).toEqual({ username: 'we"ird\\user' });
  });

  test.each(['', 'docker hub', 'a:b', 'é', 'a'.repeat(492)])('registryName %j is rejected', registryName => {
    const stack = newStack();
    expect(() => PullThroughCacheSecret.create(stack, 'Secret', { registryName, username: 'me' }))
      .toThrow(`PullThroughCacheSecret at 'Stack/Secret' is invalid:\n  - registryName (Python: registry_name) '${registryName}' is invalid`);
    expect(Template.fromStack(stack).toJSON().Resources).toBeUndefined();
  });

  test.each(['a', 'team/docker', 'a_+=.@-b', 'a'.repeat(491)])('registryName %j is accepted', registryName => {
    const stack = newStack();
    PullThroughCacheSecret.create(stack, 'Secret', { registryName, username: 'me' });
    expect(onlySecret(stack).Properties.Name).toBe(`ecr-pullthroughcache/${registryName}`);
  });

  test('a registryName with the ecr-pullthroughcache/ prefix is refused with the name to give, and no secret is created', () => {
    const stack = newStack();
    expect(() => PullThroughCacheSecret.create(stack, 'Secret', { registryName: 'ecr-pullthroughcache/dockerio', username: 'u' }))
      .toThrow(new Error("PullThroughCacheSecret at 'Stack/Secret' is invalid:\n"
        + "  - registryName (Python: registry_name) 'ecr-pullthroughcache/dockerio' starts with 'ecr-pullthroughcache/', which "
        + "PullThroughCacheSecret.create adds itself: the secret would be 'ecr-pullthroughcache/ecr-pullthroughcache/dockerio'. Give 'dockerio'"));
    expect(stack.node.tryFindChild('Secret')).toBeUndefined();
    // A name that only contains the prefix further on is a name like any other.
    const nested = PullThroughCacheSecret.create(stack, 'Nested', { registryName: 'team/ecr-pullthroughcache', username: 'u' });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'ecr-pullthroughcache/team/ecr-pullthroughcache' });
    expect(nested).toBeDefined();
  });

  test('an empty username is rejected', () => {
    const stack = newStack();
    expect(() => PullThroughCacheSecret.create(stack, 'Secret', { registryName: 'dockerio', username: '' }))
      .toThrow("PullThroughCacheSecret at 'Stack/Secret' is invalid:\n  - username is empty");
  });

  test('errors name the construct path of a nested secret', () => {
    const stack = newStack();
    const team = new Construct(stack, 'Team');
    expect(() => PullThroughCacheSecret.create(team, 'Docker', { registryName: 'a b', username: 'me' }))
      .toThrow("PullThroughCacheSecret at 'Stack/Team/Docker' is invalid:\n  - registryName (Python: registry_name) 'a b' is invalid");
  });

  test('both problems are listed in one Error, and no secret is created', () => {
    const stack = newStack();
    expect(() => PullThroughCacheSecret.create(stack, 'Secret', { registryName: 'a b', username: '' }))
      .toThrow(/is invalid:\n {2}- registryName \(Python: registry_name\) 'a b' is invalid.*\n {2}- username is empty/);
    expect(Template.fromStack(stack).toJSON().Resources).toBeUndefined();
  });

  test('the factory class carries none of Secret\'s static importers', () => {
    // A subclass of Secret would answer fromSecretNameV2() with an import the cache then rejects.
    expect(Object.getPrototypeOf(PullThroughCacheSecret)).toBe(Function.prototype);
    expect((PullThroughCacheSecret as any).fromSecretNameV2).toBeUndefined();
    expect((PullThroughCacheSecret as any).fromSecretCompleteArn).toBeUndefined();
  });

  test('is accepted as credentials, by complete ARN', () => {
    const stack = newStack();
    const secret = PullThroughCacheSecret.create(stack, 'Secret', { registryName: 'dockerio', username: 'me' });
    expect(secret).toBeInstanceOf(secretsmanager.Secret);
    new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secret }] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      CredentialArn: { Ref: stack.getLogicalId(secret.node.defaultChild as secretsmanager.CfnSecret) },
    });
  });
});
