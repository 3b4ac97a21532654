import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PullThroughCache, PullThroughCacheSecret, UpstreamRegistry } from '../src';

function newStack(): Stack {
  return new Stack(new App(), 'Stack');
}

function onlySecret(stack: Stack): any {
  const secrets = Object.values<any>(Template.fromStack(stack).findResources('AWS::SecretsManager::Secret'));
  expect(secrets).toHaveLength(1);
  return secrets[0];
}

describe('PullThroughCacheSecret', () => {
  test('is named ecr-pullthroughcache/<registryName> and generates the accessToken', () => {
    const stack = newStack();
    new PullThroughCacheSecret(stack, 'Secret', { registryName: 'dockerio', username: 'my-docker-user' });
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
    new PullThroughCacheSecret(stack, 'Secret', { registryName: 'ghcr', username: 'me' });
    const secret = onlySecret(stack);
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(secret.UpdateReplacePolicy).toBe('Retain');
  });

  test('takes a removal policy and a description', () => {
    const stack = newStack();
    new PullThroughCacheSecret(stack, 'Secret', {
      registryName: 'ghcr', username: 'me', removalPolicy: RemovalPolicy.DESTROY, description: 'GHCR token',
    });
    const secret = onlySecret(stack);
    expect(secret.DeletionPolicy).toBe('Delete');
    expect(secret.UpdateReplacePolicy).toBe('Delete');
    expect(secret.Properties.Description).toBe('GHCR token');
  });

  test('a username with JSON characters is escaped in the template', () => {
    const stack = newStack();
    new PullThroughCacheSecret(stack, 'Secret', { registryName: 'x', username: 'we"ird\\user' });
    expect(JSON.parse(onlySecret(stack).Properties.GenerateSecretString.SecretStringTemplate)).toEqual({ username: 'we"ird\\user' });
  });

  test.each(['', 'docker hub', 'a:b', 'é', 'a'.repeat(492)])('registryName %j is rejected', registryName => {
    const stack = newStack();
    expect(() => new PullThroughCacheSecret(stack, 'Secret', { registryName, username: 'me' }))
      .toThrow(`PullThroughCacheSecret at 'Stack/Secret': registryName '${registryName}' is invalid`);
    expect(Template.fromStack(stack).toJSON().Resources).toBeUndefined();
  });

  test.each(['a', 'team/docker', 'a_+=.@-b', 'a'.repeat(491)])('registryName %j is accepted', registryName => {
    const stack = newStack();
    new PullThroughCacheSecret(stack, 'Secret', { registryName, username: 'me' });
    expect(onlySecret(stack).Properties.Name).toBe(`ecr-pullthroughcache/${registryName}`);
  });

  test('an empty username is rejected', () => {
    const stack = newStack();
    expect(() => new PullThroughCacheSecret(stack, 'Secret', { registryName: 'dockerio', username: '' }))
      .toThrow("PullThroughCacheSecret at 'Stack/Secret': username is empty");
  });

  test('errors name the construct path of a nested secret', () => {
    const stack = newStack();
    const team = new Construct(stack, 'Team');
    expect(() => new PullThroughCacheSecret(team, 'Docker', { registryName: 'a b', username: 'me' }))
      .toThrow("PullThroughCacheSecret at 'Stack/Team/Docker': registryName 'a b' is invalid");
  });

  test.each([
    ['a registryName that is not a string', { registryName: 5, username: 'me' }, 'registryName 5 is not a string'],
    ['a username that is not a string', { registryName: 'dockerio', username: { name: 'me' } }, 'username {"name":"me"} is not a string'],
    ['a description that is not a string', { registryName: 'dockerio', username: 'me', description: 7 }, 'description 7 is not a string'],
    ['no props', undefined, 'props undefined is not an object'],
  ])('%s from an untyped caller is a plain Error', (_what, props, message) => {
    const stack = newStack();
    let error: any;
    try {
      new PullThroughCacheSecret(stack, 'Secret', props as any);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('Error');
    expect(error.message).toContain(`PullThroughCacheSecret at 'Stack/Secret': ${message}`);
    expect(Template.fromStack(stack).toJSON().Resources).toBeUndefined();
  });

  test('is accepted as credentials, by complete ARN', () => {
    const stack = newStack();
    const secret = new PullThroughCacheSecret(stack, 'Secret', { registryName: 'dockerio', username: 'me' });
    expect(secret).toBeInstanceOf(secretsmanager.Secret);
    new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.dockerHub(), credentials: secret }] });
    Template.fromStack(stack).hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      CredentialArn: { Ref: stack.getLogicalId(secret.node.defaultChild as secretsmanager.CfnSecret) },
    });
  });
});
