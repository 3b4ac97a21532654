import { CfnParameter } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PullThroughCache, PullThroughCacheSecret, UpstreamRegistry } from '../src';
import { CENTRAL, DOMAIN, fullCache, newEnvStack } from './support/cache-fixtures';

/** The hosts.toml the README documents, for a cache at `domain`. */
function hostsToml(server: string, domain: string, prefix: string): string {
  return `server = "${server}"

[host."https://${domain}/v2/${prefix}"]
  capabilities = ["pull", "resolve"]
  override_path = true
`;
}

describe('containerdMirrors', () => {
  test('one hosts.toml per upstream registry, named as containerd names the registry', () => {
    const stack = newEnvStack();
    const mirrors = fullCache(stack).containerdMirrors();

    expect(mirrors.map(m => [m.upstreamHost, m.prefix, m.server, m.path])).toEqual([
      ['docker.io', 'dockercache', 'https://registry-1.docker.io', '/etc/containerd/certs.d/docker.io/hosts.toml'],
      ['ghcr.io', 'ghcrcache', 'https://ghcr.io', '/etc/containerd/certs.d/ghcr.io/hosts.toml'],
      ['registry.gitlab.com', 'gitlabcache', 'https://registry.gitlab.com', '/etc/containerd/certs.d/registry.gitlab.com/hosts.toml'],
      ['myregistry.azurecr.io', 'azurecache', 'https://myregistry.azurecr.io', '/etc/containerd/certs.d/myregistry.azurecr.io/hosts.toml'],
      ['cgr.dev', 'chainguardcache', 'https://cgr.dev', '/etc/containerd/certs.d/cgr.dev/hosts.toml'],
      ['registry.k8s.io', 'k8scache', 'https://registry.k8s.io', '/etc/containerd/certs.d/registry.k8s.io/hosts.toml'],
      ['quay.io', 'quaycache', 'https://quay.io', '/etc/containerd/certs.d/quay.io/hosts.toml'],
      ['public.ecr.aws', 'ecrpubliccache', 'https://public.ecr.aws', '/etc/containerd/certs.d/public.ecr.aws/hosts.toml'],
      [CENTRAL, 'central', `https://${CENTRAL}`, `/etc/containerd/certs.d/${CENTRAL}/hosts.toml`],
    ]);
    for (const mirror of mirrors) {
      expect(mirror.mirrorEndpoint).toBe(`https://${DOMAIN}/v2/${mirror.prefix}`);
      expect(mirror.content).toBe(hostsToml(mirror.server, DOMAIN, mirror.prefix));
    }
  });

  test('Docker Hub: the exact file', () => {
    const stack = newEnvStack();
    const [docker] = fullCache(stack).containerdMirrors();
    expect(docker.content).toBe(
      'server = "https://registry-1.docker.io"\n'
      + '\n'
      + '[host."https://111122223333.dkr.ecr.eu-west-1.amazonaws.com/v2/dockercache"]\n'
      + '  capabilities = ["pull", "resolve"]\n'
      + '  override_path = true\n',
    );
  });

  test('an ECR upstream limited to an upstream repository prefix has no mirror, with a warning', () => {
    const stack = newEnvStack();
    const mirrors = fullCache(stack).containerdMirrors();
    expect(mirrors.map(m => m.prefix)).not.toContain('prodmirror');
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp(
      "upstream 'prodmirror' has no containerd mirror: ECR maps 'prodmirror/<path>' to 'prod/<path>' upstream.*\\[ack: cdk-pull-through-cache:mirrorSkipped\\]",
    ));
  });

  test('of two upstreams of the same registry only the first has a mirror, with a warning', () => {
    const stack = newEnvStack();
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.quay(), prefix: 'quayb' },
        { registry: UpstreamRegistry.quay(), prefix: 'quaya' },
      ],
    });
    expect(cache.containerdMirrors().map(m => m.prefix)).toEqual(['quayb']);
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp(
      "upstream 'quaya' has no containerd mirror: upstream 'quayb' serves the same registry quay.io",
    ));
  });

  test('another config directory, with or without a trailing slash; a relative one is an error', () => {
    const stack = newEnvStack();
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.kubernetes(), prefix: 'k8s/' }] });
    for (const configDirectory of ['/etc/cri/certs.d', '/etc/cri/certs.d/']) {
      const [mirror] = cache.containerdMirrors({ configDirectory });
      expect(mirror.path).toBe('/etc/cri/certs.d/registry.k8s.io/hosts.toml');
      // a trailing slash of the prefix is not part of the path
      expect(mirror.mirrorEndpoint).toBe(`https://${DOMAIN}/v2/k8s`);
    }
    expect(() => cache.containerdMirrors({ configDirectory: 'etc/containerd/certs.d' }))
      .toThrow("PullThroughCache at 'Stack/Cache': containerdMirrors (Python: containerd_mirrors): configDirectory (Python: config_directory) 'etc/containerd/certs.d' must be an absolute path, such as /etc/containerd/certs.d");
  });

  test('an environment-agnostic stack: the content has tokens, which user data resolves', () => {
    const stack = newEnvStack({});
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });
    const [mirror] = cache.containerdMirrors();
    expect(mirror.upstreamHost).toBe('registry.k8s.io');
    expect(mirror.path).toBe('/etc/containerd/certs.d/registry.k8s.io/hosts.toml');
    expect(stack.resolve(mirror.content)).toEqual({
      'Fn::Join': ['', [
        'server = "https://registry.k8s.io"\n\n[host."https://',
        { Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' },
        '/v2/k8scache"]\n  capabilities = ["pull", "resolve"]\n  override_path = true\n',
      ]],
    });

    const userData = ec2.UserData.forLinux();
    userData.addCommands(`mkdir -p $(dirname ${mirror.path})`, `cat > ${mirror.path} <<'EOF'\n${mirror.content}EOF`);
    const rendered = JSON.stringify(stack.resolve(userData.render()));
    expect(rendered).toContain('cat > /etc/containerd/certs.d/registry.k8s.io/hosts.toml <<\'EOF\'\\nserver = \\"https://registry.k8s.io\\"');
    expect(rendered).toContain('{"Ref":"AWS::AccountId"}');
  });

  test('in a China region the mirror is on amazonaws.com.cn', () => {
    const stack = newEnvStack({ env: { account: '111122223333', region: 'cn-north-1' } });
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.quay() }] });
    expect(cache.containerdMirrors()[0].content).toBe(hostsToml('https://quay.io', '111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn', 'quaycache'));
  });

  test('hosts only known at deploy time are tokens in the host and the path', () => {
    const stack = newEnvStack();
    const name = new CfnParameter(stack, 'AzureName').valueAsString;
    const credentials = PullThroughCacheSecret.create(stack, 'AzureSecret', { registryName: 'azure', username: 'u' });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.azureContainerRegistry(name), credentials },
        { registry: UpstreamRegistry.ecr({ role, region: 'us-east-1' }) },
      ],
    });
    const [azure, ecr] = cache.containerdMirrors();
    expect(stack.resolve(azure.path)).toEqual({ 'Fn::Join': ['', ['/etc/containerd/certs.d/', { Ref: 'AzureName' }, '.azurecr.io/hosts.toml']] });
    expect(stack.resolve(azure.server)).toEqual({ 'Fn::Join': ['', ['https://', { Ref: 'AzureName' }, '.azurecr.io']] });
    // The ECR upstream's omitted account is the (environment-bound) stack's: a literal host.
    expect(ecr.upstreamHost).toEqual('111122223333.dkr.ecr.us-east-1.amazonaws.com');
  });
});
