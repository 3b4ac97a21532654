import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { UpstreamAuthentication, UpstreamRegistry } from '../src';

interface Expected {
  readonly url: string;
  readonly registryType: string;
  readonly authentication: UpstreamAuthentication;
  readonly defaultPrefix: string;
}

function describeRegistry(registry: UpstreamRegistry): Expected {
  return {
    url: registry.url,
    registryType: registry.registryType,
    authentication: registry.authentication,
    defaultPrefix: registry.defaultPrefix,
  };
}

describe('UpstreamRegistry factories', () => {
  test.each<[string, () => UpstreamRegistry, Expected]>([
    ['ecrPublic', () => UpstreamRegistry.ecrPublic(),
      { url: 'public.ecr.aws', registryType: 'ecr-public', authentication: UpstreamAuthentication.NONE, defaultPrefix: 'ecrpubliccache' }],
    ['kubernetes', () => UpstreamRegistry.kubernetes(),
      { url: 'registry.k8s.io', registryType: 'k8s', authentication: UpstreamAuthentication.NONE, defaultPrefix: 'k8scache' }],
    ['quay', () => UpstreamRegistry.quay(),
      { url: 'quay.io', registryType: 'quay', authentication: UpstreamAuthentication.NONE, defaultPrefix: 'quaycache' }],
    ['dockerHub', () => UpstreamRegistry.dockerHub(),
      { url: 'registry-1.docker.io', registryType: 'docker-hub', authentication: UpstreamAuthentication.REQUIRED, defaultPrefix: 'dockercache' }],
    ['githubContainerRegistry', () => UpstreamRegistry.githubContainerRegistry(),
      { url: 'ghcr.io', registryType: 'github-container-registry', authentication: UpstreamAuthentication.REQUIRED, defaultPrefix: 'ghcrcache' }],
    ['gitlabContainerRegistry', () => UpstreamRegistry.gitlabContainerRegistry(),
      { url: 'registry.gitlab.com', registryType: 'gitlab-container-registry', authentication: UpstreamAuthentication.REQUIRED, defaultPrefix: 'gitlabcache' }],
    ['azureContainerRegistry', () => UpstreamRegistry.azureContainerRegistry('MyRegistry01'),
      { url: 'myregistry01.azurecr.io', registryType: 'azure-container-registry', authentication: UpstreamAuthentication.REQUIRED, defaultPrefix: 'azurecache' }],
    ['chainguard', () => UpstreamRegistry.chainguard(),
      { url: 'cgr.dev', registryType: 'chainguard', authentication: UpstreamAuthentication.REQUIRED, defaultPrefix: 'chainguardcache' }],
  ])('%s', (_name, factory, expected) => {
    const registry = factory();
    expect(describeRegistry(registry)).toEqual(expected);
    expect(registry.role).toBeUndefined();
    expect(registry.upstreamRepositoryPrefix).toBeUndefined();
    expect(registry._problems).toEqual([]);
  });

  test('ecr', () => {
    const stack = new Stack(new App(), 'Stack');
    const role = iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::123456789012:role/ptc');
    const registry = UpstreamRegistry.ecr({ role, account: '210987654321', region: 'ap-southeast-2', repositoryPrefix: 'team' });
    expect(describeRegistry(registry)).toEqual({
      url: '210987654321.dkr.ecr.ap-southeast-2.amazonaws.com',
      registryType: 'ecr',
      authentication: UpstreamAuthentication.IAM_ROLE,
      defaultPrefix: 'ecrcache',
    });
    expect(registry.role).toBe(role);
    expect(registry.upstreamRepositoryPrefix).toBe('team');
    expect(registry._problems).toEqual([]);
  });

  test('every factory has its own registry type and default prefix', () => {
    const stack = new Stack(new App(), 'Stack');
    const role = iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::123456789012:role/ptc');
    const all = [
      UpstreamRegistry.ecrPublic(), UpstreamRegistry.kubernetes(), UpstreamRegistry.quay(), UpstreamRegistry.dockerHub(),
      UpstreamRegistry.githubContainerRegistry(), UpstreamRegistry.gitlabContainerRegistry(),
      UpstreamRegistry.azureContainerRegistry('myregistry'), UpstreamRegistry.chainguard(), UpstreamRegistry.ecr({ role, region: 'us-west-2' }),
    ];
    expect(new Set(all.map(r => r.registryType)).size).toBe(9);
    expect(new Set(all.map(r => r.defaultPrefix)).size).toBe(9);
  });

  test('factory problems are collected, not thrown', () => {
    expect(() => UpstreamRegistry.azureContainerRegistry('x')).not.toThrow();
    expect(UpstreamRegistry.azureContainerRegistry('x')._problems).toHaveLength(1);
    const stack = new Stack(new App(), 'Stack');
    const role = iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::123456789012:role/ptc');
    expect(UpstreamRegistry.ecr({ role, account: '1', region: 'Paris' })._problems).toEqual([
      expect.stringContaining("account '1' is not a 12-digit AWS account ID"),
      expect.stringContaining("region 'Paris' is not an AWS region name"),
    ]);
  });
});
