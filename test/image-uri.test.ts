import { CfnParameter, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PullThroughCache, PullThroughCacheSecret, UpstreamRegistry } from '../src';
import { CENTRAL, DOMAIN, fullCache, newEnvStack, PROD, publicCache, SHA256 } from './support/cache-fixtures';

describe('imageUri maps a reference to the upstream that serves it', () => {
  const stack = newEnvStack();
  const cache = fullCache(stack);

  test.each<[string, string]>([
    // Docker Hub: official images get library/, every alias of Docker Hub is docker.io
    ['alpine:3', 'dockercache/library/alpine:3'],
    ['alpine', 'dockercache/library/alpine:latest'],
    ['library/alpine:3.19', 'dockercache/library/alpine:3.19'],
    ['docker.io/alpine:3', 'dockercache/library/alpine:3'],
    ['docker.io/library/nginx:1.27', 'dockercache/library/nginx:1.27'],
    ['index.docker.io/nginx', 'dockercache/library/nginx:latest'],
    ['registry-1.docker.io/bitnami/redis:7.2', 'dockercache/bitnami/redis:7.2'],
    // host names are case-insensitive: Docker Hub in capitals is still Docker Hub, with library/
    ['DOCKER.IO/alpine', 'dockercache/library/alpine:latest'],
    ['Index.Docker.IO/nginx:1.27', 'dockercache/library/nginx:1.27'],
    // Docker Hub organization images
    ['grafana/grafana:11.0.0', 'dockercache/grafana/grafana:11.0.0'],
    ['bitnami/postgresql', 'dockercache/bitnami/postgresql:latest'],
    // GitHub, nested paths, a host name in capitals
    ['ghcr.io/actions/actions-runner:2.317.0', 'ghcrcache/actions/actions-runner:2.317.0'],
    ['ghcr.io/org/team/app/sub:tag', 'ghcrcache/org/team/app/sub:tag'],
    ['GHCR.IO/org/app:1', 'ghcrcache/org/app:1'],
    // GitLab, Azure (by the registry's name, lowercased), Chainguard
    ['registry.gitlab.com/group/project/image:1', 'gitlabcache/group/project/image:1'],
    ['myregistry.azurecr.io/samples/nginx', 'azurecache/samples/nginx:latest'],
    ['cgr.dev/chainguard/static:latest', 'chainguardcache/chainguard/static:latest'],
    // registry.k8s.io, Quay, ECR Public
    ['registry.k8s.io/pause:3.9', 'k8scache/pause:3.9'],
    ['quay.io/prometheus/node-exporter:v1.8.1', 'quaycache/prometheus/node-exporter:v1.8.1'],
    ['public.ecr.aws/docker/library/nginx:latest', 'ecrpubliccache/docker/library/nginx:latest'],
    ['public.ecr.aws/eks-distro/kubernetes/pause:3.9', 'ecrpubliccache/eks-distro/kubernetes/pause:3.9'],
    // ECR Public's dual-stack host for OCI and Docker clients (argo-cd's redis default since 2025)
    ['ecr-public.aws.com/docker/library/redis:7.2.7-alpine', 'ecrpubliccache/docker/library/redis:7.2.7-alpine'],
    ['ECR-Public.AWS.com/eks-distro/kubernetes/pause:3.9', 'ecrpubliccache/eks-distro/kubernetes/pause:3.9'],
    // ECR to ECR: the whole registry, and a registry limited to `prod/` (ECR replaces it with the prefix)
    [`${CENTRAL}/team/app:1`, 'central/team/app:1'],
    [`${PROD}/prod/app:2`, 'prodmirror/app:2'],
  ])('%s', (reference, path) => {
    expect(cache.imageUri(reference)).toBe(`${DOMAIN}/${path}`);
  });

  test('a reference by tag gives no digest warning', () => {
    expect(digestWarnings(stack)).toEqual([]);
  });
});

const DIGEST_FIRST_PULL = 'cdk-pull-through-cache:digestFirstPull';

/** The digestFirstPull warnings of the cache at Stack/Cache. */
function digestWarnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('/Stack/Cache', Match.stringLikeRegexp(`\\[ack: ${DIGEST_FIRST_PULL}\\]`))
    .map(w => String(w.entry.data));
}

describe('imageUri keeps digests, and warns that a first pull by digest does not populate the cache', () => {
  test.each<[string, string]>([
    // a digest alone, and with a tag: ECR imports neither on a first pull
    [`nginx@${SHA256}`, `dockercache/library/nginx@${SHA256}`],
    [`nginx:1.27@${SHA256}`, `dockercache/library/nginx:1.27@${SHA256}`],
    [`ghcr.io/org/app@${SHA256}`, `ghcrcache/org/app@${SHA256}`],
    [`registry.k8s.io/ingress-nginx/controller:v1.10.1@${SHA256}`, `k8scache/ingress-nginx/controller:v1.10.1@${SHA256}`],
    [`${PROD}/prod/team/app@${SHA256}`, `prodmirror/team/app@${SHA256}`],
  ])('%s', (reference, path) => {
    const stack = newEnvStack();
    const cache = fullCache(stack);
    expect(cache.imageUri(reference)).toBe(`${DOMAIN}/${path}`);
    expect(digestWarnings(stack)).toEqual([
      `image '${reference}' is pinned by digest: ECR pull through cache does not populate the cache when an image that is not cached yet `
      + 'is first pulled by digest, even with a tag as well (the pull fails as not found; aws/containers-roadmap#2837). '
      + 'Pre-warm the cache by pulling the tag through it once before the first deployment, or pin the image by tag '
      + `[ack: ${DIGEST_FIRST_PULL}]`,
    ]);
  });

  test('once per distinct reference, from imageUri and containerImage alike', () => {
    const stack = newEnvStack();
    const cache = fullCache(stack);
    const pinned = `nginx:1.27@${SHA256}`;
    cache.imageUri(pinned);
    cache.imageUri(pinned);
    cache.containerImage(pinned);
    expect(digestWarnings(stack)).toHaveLength(1);
    cache.containerImage(`ghcr.io/org/app@${SHA256}`);
    cache.imageUri('nginx:1.27');
    const warnings = digestWarnings(stack);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(new RegExp(`^image 'ghcr\\.io/org/app@${SHA256}' is pinned by digest`));
  });
});

describe('imageUri rejects what the cache cannot serve', () => {
  const stack = newEnvStack();
  const cache = fullCache(stack);

  test.each<[string, RegExp]>([
    // hosts the cache does not serve, ports included
    ['mcr.microsoft.com/dotnet/aspnet:8.0', /no upstream of the cache serves registry 'mcr\.microsoft\.com'/],
    ['localhost:5000/foo/bar:tag', /no upstream of the cache serves registry 'localhost:5000'/],
    ['registry.k8s.io:443/pause:3.9', /no upstream of the cache serves registry 'registry\.k8s\.io:443'/],
    ['ghcr.io:443/org/app:1', /serves registry 'ghcr\.io:443'/],
    ['192.168.1.1:5000/foo', /serves registry '192\.168\.1\.1:5000'/],
    ['otherregistry.azurecr.io/samples/nginx', /serves registry 'otherregistry\.azurecr\.io'/],
    ['gcr.io/distroless/static:nonroot', /serves registry 'gcr\.io'/],
    // private ECR registries: another one, and a repository outside the upstream repository prefix
    ['999999999999.dkr.ecr.us-east-1.amazonaws.com/app:1', /private ECR registry that no upstream of the cache serves/],
    [`${PROD}/dev/app:1`, /no upstream of the cache serves repository 'dev\/app' of registry '444455556666\.dkr\.ecr\.us-west-2\.amazonaws\.com'/],
    // invalid references
    ['', /Invalid image reference '': reference is empty/],
    ['Alpine:3', /Invalid image reference 'Alpine:3'/],
    ['alpine:3 ', /must not contain whitespace/],
    ['ghcr.io/org/app@sha256:abc', /Invalid image reference .*digest/],
    ['ghcr.io/org//app', /empty path component/],
  ])('%s', (reference, reason) => {
    const error = captureError(() => cache.imageUri(reference));
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(`PullThroughCache at 'Stack/Cache': cannot pull '${reference}' through the cache`);
    // the message lists every upstream, prefix → registry
    for (const upstream of [
      'dockercache → docker.io',
      'ghcrcache → ghcr.io',
      'gitlabcache → registry.gitlab.com',
      'azurecache → myregistry.azurecr.io',
      'chainguardcache → cgr.dev',
      'k8scache → registry.k8s.io',
      'quaycache → quay.io',
      'ecrpubliccache → public.ecr.aws',
      `central → ${CENTRAL}`,
      `prodmirror → ${PROD}/prod/*`,
    ]) {
      expect(error.message).toContain(upstream);
    }
  });

  test('a cache without Docker Hub does not take Docker Hub images', () => {
    const publicOnly = publicCache(newEnvStack());
    expect(() => publicOnly.imageUri('alpine:3')).toThrow(
      "PullThroughCache at 'Stack/Cache': cannot pull 'alpine:3' through the cache: no upstream of the cache serves registry 'docker.io'; add an upstream for it (UpstreamRegistry), or pull it from its registry. "
      + "The cache's upstreams (prefix → registry) are: k8scache → registry.k8s.io, quaycache → quay.io, ecrpubliccache → public.ecr.aws",
    );
  });

  test('a repository name longer than ECR allows (256 characters with the prefix)', () => {
    const longPath = `org/${'x'.repeat(241)}`; // docker.io/<245 characters> is a valid 255-character name
    expect(() => cache.imageUri(longPath)).toThrow(/cached repository name 'dockercache\/org\/x+' is 257 characters; ECR allows at most 256/);
    expect(cache.imageUri(`org/${'x'.repeat(240)}`)).toMatch(/\/dockercache\/org\/x{240}:latest$/);
  });

  test('a token reference needs a literal', () => {
    const param = new CfnParameter(stack, 'Image');
    expect(() => cache.imageUri(param.valueAsString)).toThrow(
      /PullThroughCache at 'Stack\/Cache': the image reference '\$\{Token\[.*\]\}' is a token; a literal reference such as 'alpine:3'/,
    );
    expect(() => cache.imageUri(Lazy.string({ produce: () => 'alpine:3' }))).toThrow(/is a token/);
  });
});

describe('the registry domain', () => {
  test('is tokens in an environment-agnostic stack', () => {
    const stack = newEnvStack({});
    const cache = publicCache(stack);
    expect(stack.resolve(cache.imageUri('registry.k8s.io/pause:3.9'))).toEqual({
      'Fn::Join': ['', [
        { Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/k8scache/pause:3.9',
      ]],
    });
  });

  test('is amazonaws.com.cn in the China regions', () => {
    const stack = newEnvStack({ env: { account: '111122223333', region: 'cn-north-1' } });
    const cache = publicCache(stack);
    expect(cache.imageUri('registry.k8s.io/pause:3.9')).toBe('111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/k8scache/pause:3.9');
    expect(cache.imageUri('quay.io/org/app@' + SHA256)).toBe(`111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/quaycache/org/app@${SHA256}`);
  });

  test('an ECR upstream in a China region is matched by its amazonaws.com.cn host', () => {
    const stack = newEnvStack({ env: { account: '111122223333', region: 'cn-north-1' } });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'cn-northwest-1' }), prefix: 'central' }],
    });
    expect(cache.imageUri('444455556666.dkr.ecr.cn-northwest-1.amazonaws.com.cn/team/app:1'))
      .toBe('111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/central/team/app:1');
  });
});

describe('prefixes and upstream order', () => {
  test('a trailing slash of a prefix is not doubled, a nested prefix is kept', () => {
    const cache = publicCache(newEnvStack(), 'Cache', { k8s: 'k8scache/', quay: 'mirrors/quay' });
    expect(cache.imageUri('registry.k8s.io/pause:3.9')).toBe(`${DOMAIN}/k8scache/pause:3.9`);
    expect(cache.imageUri('quay.io/prometheus/prometheus:v2')).toBe(`${DOMAIN}/mirrors/quay/prometheus/prometheus:v2`);
  });

  test('of two upstreams of the same registry, the first given wins', () => {
    const stack = newEnvStack();
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.quay(), prefix: 'quayb' },
        { registry: UpstreamRegistry.quay(), prefix: 'quaya' },
      ],
    });
    expect(cache.imageUri('quay.io/org/app:1')).toBe(`${DOMAIN}/quayb/org/app:1`);
  });

  test('a token prefix is kept as a token', () => {
    const stack = newEnvStack();
    const prefix = new CfnParameter(stack, 'Prefix').valueAsString;
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.kubernetes(), prefix }] });
    expect(stack.resolve(cache.imageUri('registry.k8s.io/pause:3.9'))).toEqual({
      'Fn::Join': ['', [`${DOMAIN}/`, { Ref: 'Prefix' }, '/pause:3.9']],
    });
  });

  test('an ECR upstream in the stack\'s own account and region (tokens) matches no reference', () => {
    const stack = newEnvStack({});
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, region: 'us-east-1' }) }],
    });
    expect(() => cache.imageUri('111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1'))
      .toThrow(/ecrcache → \$\{Token\[AWS\.AccountId\.\d+\]\}\.dkr\.ecr\.us-east-1\.amazonaws\.com \(unresolved: never matched\)/);
  });

  test('an ECR upstream with a token upstream repository prefix matches no reference of its registry', () => {
    const stack = newEnvStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
    const repositoryPrefix = new CfnParameter(stack, 'UpstreamPrefix').valueAsString;
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-east-1', repositoryPrefix }) }],
    });
    expect(() => cache.imageUri(`${CENTRAL}/prod/app:1`)).toThrow(/no upstream of the cache serves repository 'prod\/app' of registry/);
  });

  test('an Azure registry with a token name matches no reference', () => {
    const stack = newEnvStack();
    const name = new CfnParameter(stack, 'AzureName').valueAsString;
    const credentials = PullThroughCacheSecret.create(stack, 'AzureSecret', { registryName: 'azure', username: 'u' });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry(name), credentials }],
    });
    expect(() => cache.imageUri('myregistry.azurecr.io/app:1')).toThrow(/azurecache → \$\{Token\[.*\]\}\.azurecr\.io \(unresolved: never matched\)/);
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}
