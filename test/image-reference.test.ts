import { SHA256 } from './support/cache-fixtures';
import { ImageReference } from '../src/images/image-reference';

const SHA384 = 'sha384:' + 'fedcba9876543210'.repeat(6);
const SHA512 = 'sha512:' + 'a1b2c3d4e5f60789'.repeat(8);

interface Expected {
  readonly domain: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

describe('ImageReference.parse accepts and normalizes', () => {
  test.each<[string, Expected]>([
    // Docker Hub official images
    ['alpine', { domain: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3', { domain: 'docker.io', repository: 'library/alpine', tag: '3' }],
    ['library/alpine:3.19', { domain: 'docker.io', repository: 'library/alpine', tag: '3.19' }],
    ['docker.io/alpine', { domain: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['docker.io/library/alpine:edge', { domain: 'docker.io', repository: 'library/alpine', tag: 'edge' }],
    ['index.docker.io/library/nginx:1.27', { domain: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['index.docker.io/nginx', { domain: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['registry-1.docker.io/bitnami/redis:7.2', { domain: 'docker.io', repository: 'bitnami/redis', tag: '7.2' }],
    // Docker Hub user images
    ['grafana/grafana:11.0.0', { domain: 'docker.io', repository: 'grafana/grafana', tag: '11.0.0' }],
    ['bitnami/postgresql', { domain: 'docker.io', repository: 'bitnami/postgresql', tag: 'latest' }],
    // Other registries
    ['ghcr.io/actions/actions-runner:2.317.0', { domain: 'ghcr.io', repository: 'actions/actions-runner', tag: '2.317.0' }],
    ['ghcr.io/org/team/app/sub:tag', { domain: 'ghcr.io', repository: 'org/team/app/sub', tag: 'tag' }],
    ['registry.k8s.io/pause:3.9', { domain: 'registry.k8s.io', repository: 'pause', tag: '3.9' }],
    [
      `registry.k8s.io/ingress-nginx/controller:v1.10.1@${SHA256}`,
      { domain: 'registry.k8s.io', repository: 'ingress-nginx/controller', tag: 'v1.10.1', digest: SHA256 },
    ],
    ['quay.io/prometheus/node-exporter:v1.8.1', { domain: 'quay.io', repository: 'prometheus/node-exporter', tag: 'v1.8.1' }],
    ['public.ecr.aws/docker/library/nginx:latest', { domain: 'public.ecr.aws', repository: 'docker/library/nginx', tag: 'latest' }],
    ['registry.gitlab.com/group/project/image:1', { domain: 'registry.gitlab.com', repository: 'group/project/image', tag: '1' }],
    ['myregistry.azurecr.io/samples/nginx', { domain: 'myregistry.azurecr.io', repository: 'samples/nginx', tag: 'latest' }],
    ['cgr.dev/chainguard/static:latest', { domain: 'cgr.dev', repository: 'chainguard/static', tag: 'latest' }],
    ['mcr.microsoft.com/dotnet/aspnet:8.0', { domain: 'mcr.microsoft.com', repository: 'dotnet/aspnet', tag: '8.0' }],
    [
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1',
      { domain: '123456789012.dkr.ecr.us-east-1.amazonaws.com', repository: 'team/app', tag: '1' },
    ],
    // Local registries, ports, IP addresses
    ['localhost:5000/foo/bar:tag', { domain: 'localhost:5000', repository: 'foo/bar', tag: 'tag' }],
    ['localhost/foo', { domain: 'localhost', repository: 'foo', tag: 'latest' }],
    ['[::1]:5000/foo', { domain: '[::1]:5000', repository: 'foo', tag: 'latest' }],
    ['[2001:db8::1]/foo:1', { domain: '[2001:db8::1]', repository: 'foo', tag: '1' }],
    ['192.168.1.1:5000/foo', { domain: '192.168.1.1:5000', repository: 'foo', tag: 'latest' }],
    ['192.168.1.1/foo/bar:v2', { domain: '192.168.1.1', repository: 'foo/bar', tag: 'v2' }],
    ['example.com:443/foo:8080', { domain: 'example.com:443', repository: 'foo', tag: '8080' }],
    ['my-registry.example.com/a/b', { domain: 'my-registry.example.com', repository: 'a/b', tag: 'latest' }],
    // A first component with uppercase letters is a domain (distribution's splitDockerDomain), lowercased
    ['Registry/foo', { domain: 'registry', repository: 'foo', tag: 'latest' }],
    // Host names are case-insensitive (RFC 4343): lowercased before Docker Hub is recognized
    ['DOCKER.IO/alpine', { domain: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['Docker.io/library/alpine:3', { domain: 'docker.io', repository: 'library/alpine', tag: '3' }],
    ['Index.Docker.IO/nginx:1.27', { domain: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['REGISTRY-1.DOCKER.IO/bitnami/redis', { domain: 'docker.io', repository: 'bitnami/redis', tag: 'latest' }],
    ['GHCR.IO/org/app:1', { domain: 'ghcr.io', repository: 'org/app', tag: '1' }],
    ['LocalHost:5000/foo', { domain: 'localhost:5000', repository: 'foo', tag: 'latest' }],
    ['[2001:DB8::1]:5000/foo', { domain: '[2001:db8::1]:5000', repository: 'foo', tag: 'latest' }],
    // The tag keeps its case
    ['GHCR.IO/org/app:V1-RC', { domain: 'ghcr.io', repository: 'org/app', tag: 'V1-RC' }],
    // Without a '/', a ':' separates the tag (Docker reads 'localhost:5000' as an image named localhost)
    ['localhost:5000', { domain: 'docker.io', repository: 'library/localhost', tag: '5000' }],
    // Digests
    [`alpine@${SHA256}`, { domain: 'docker.io', repository: 'library/alpine', digest: SHA256 }],
    [`alpine:3.20@${SHA256}`, { domain: 'docker.io', repository: 'library/alpine', tag: '3.20', digest: SHA256 }],
    [`ghcr.io/org/app@${SHA512}`, { domain: 'ghcr.io', repository: 'org/app', digest: SHA512 }],
    [`quay.io/org/app:1@${SHA384}`, { domain: 'quay.io', repository: 'org/app', tag: '1', digest: SHA384 }],
    // Separators
    ['a__b', { domain: 'docker.io', repository: 'library/a__b', tag: 'latest' }],
    ['a-b', { domain: 'docker.io', repository: 'library/a-b', tag: 'latest' }],
    ['a--b', { domain: 'docker.io', repository: 'library/a--b', tag: 'latest' }],
    ['a.b', { domain: 'docker.io', repository: 'library/a.b', tag: 'latest' }],
    ['a_b', { domain: 'docker.io', repository: 'library/a_b', tag: 'latest' }],
    ['org/a.b_c__d---e', { domain: 'docker.io', repository: 'org/a.b_c__d---e', tag: 'latest' }],
    ['0/1', { domain: 'docker.io', repository: '0/1', tag: 'latest' }],
    // Tags
    ['foo:_', { domain: 'docker.io', repository: 'library/foo', tag: '_' }],
    ['foo:Tag_1.2-RC', { domain: 'docker.io', repository: 'library/foo', tag: 'Tag_1.2-RC' }],
    [`foo:${'t'.repeat(128)}`, { domain: 'docker.io', repository: 'library/foo', tag: 't'.repeat(128) }],
  ])('%s', (reference, expected) => {
    const ref = ImageReference.parse(reference);
    expect({
      domain: ref.domain,
      repository: ref.repository,
      tag: ref.tag,
      digest: ref.digest,
    }).toEqual({
      domain: expected.domain,
      repository: expected.repository,
      tag: expected.tag,
      digest: expected.digest,
    });
    expect(ref.isDockerHub).toBe(expected.domain === 'docker.io');
  });
});

describe('ImageReference.parse rejects', () => {
  const longPath = 'a'.repeat(300);
  test.each<[string, string, string]>([
    ['uppercase path', 'Alpine', "path component 'Alpine' must be lowercase letters, digits and separators"],
    ['uppercase nested path', 'ghcr.io/org/MyApp:1', "path component 'MyApp' must be lowercase"],
    ['uppercase path after docker hub domain', 'docker.io/Alpine', "path component 'Alpine' must be lowercase"],
    ['uppercase path after an uppercase domain', 'DOCKER.IO/Alpine', "path component 'Alpine' must be lowercase"],
    ['double slash', 'foo//bar', 'empty path component'],
    ['leading slash', '/foo', 'empty path component'],
    ['trailing slash', 'foo/', 'empty path component'],
    ['domain only', 'ghcr.io/', 'empty path component'],
    ['empty tag', 'foo:', "empty tag after ':'"],
    ['tag over 128 characters', `foo:${'t'.repeat(129)}`, `tag '${'t'.repeat(129)}' must match [\\w][\\w.-]{0,127}`],
    ['tag starting with a dot', 'foo:.1', "tag '.1' must match [\\w][\\w.-]{0,127}"],
    ['tag with a plus sign', 'foo:1+2', "tag '1+2' must match"],
    ['short sha256 digest', 'foo@sha256:abc', "digest 'sha256:abc' must be 'algorithm:hex' with 64 lowercase hex characters for sha256"],
    ['uppercase sha256 digest', `foo@${SHA256.toUpperCase().replace('SHA256', 'sha256')}`, 'with 64 lowercase hex characters for sha256'],
    ['long sha256 digest', `foo@${SHA256}0`, 'with 64 lowercase hex characters for sha256'],
    ['short sha512 digest', `foo@${SHA256.replace('sha256', 'sha512')}`, 'with 128 lowercase hex characters for sha512'],
    ['digest without hex', 'foo@md5', "digest 'md5' must be 'algorithm:hex' with at least 32 hex characters"],
    ['digest with short hex', 'foo@md5:abc', "digest 'md5:abc' must be 'algorithm:hex'"],
    ['unsupported digest algorithm', `foo@md5:${'0'.repeat(32)}`, "digest algorithm 'md5' is not supported"],
    ['empty digest', 'foo@', "empty digest after '@'"],
    ['two digests', `foo@${SHA256}@${SHA256}`, 'with 64 lowercase hex characters for sha256'],
    ['leading dash', '-foo', "path component '-foo' must be lowercase"],
    ['trailing underscore', 'foo_', "path component 'foo_' must be lowercase"],
    ['triple underscore', 'a___b', "path component 'a___b' must be lowercase"],
    ['mixed separators', 'a_.b', "path component 'a_.b' must be lowercase"],
    ['empty string', '', 'reference is empty'],
    ['blank string', '  ', 'reference must not contain whitespace'],
    ['surrounding whitespace', ' alpine ', 'reference must not contain whitespace'],
    ['name over 255 characters', `ghcr.io/${longPath}`, 'name is 308 characters, the limit is 255'],
    ['normalized name over 255 characters', 'b'.repeat(250), 'name is 268 characters, the limit is 255'],
    ['image ID', '0123456789abcdef'.repeat(4), 'is an image ID, not a repository name'],
    ['domain with a leading dash', '-registry.io/foo', "domain '-registry.io' must be a host name"],
    ['domain with an empty component', 'registry..io/foo', "domain 'registry..io' must be a host name"],
    ['domain with a bad port', 'localhost:port/foo', "domain 'localhost:port' must be a host name"],
    ['domain with an empty port', 'localhost:/foo', "domain 'localhost:' must be a host name"],
    ['unbracketed IPv6 address', '::1/foo', "domain '::1' must be a host name"],
  ])('%s: %s', (_description, reference, rule) => {
    let message: string | undefined;
    try {
      ImageReference.parse(reference);
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      message = (e as Error).message;
    }
    expect(message).toBeDefined();
    expect(message!.startsWith(`Invalid image reference '${reference}': `)).toBe(true);
    expect(message).toContain(rule);
  });
});

describe('ImageReference suffix and toString', () => {
  test.each<[string, string, string]>([
    ['alpine', ':latest', 'docker.io/library/alpine:latest'],
    ['alpine:3', ':3', 'docker.io/library/alpine:3'],
    ['index.docker.io/grafana/grafana', ':latest', 'docker.io/grafana/grafana:latest'],
    ['registry-1.docker.io/bitnami/redis:7.2', ':7.2', 'docker.io/bitnami/redis:7.2'],
    [`alpine@${SHA256}`, `@${SHA256}`, `docker.io/library/alpine@${SHA256}`],
    [`alpine:3@${SHA256}`, `:3@${SHA256}`, `docker.io/library/alpine:3@${SHA256}`],
    ['localhost:5000/foo/bar', ':latest', 'localhost:5000/foo/bar:latest'],
    ['[::1]:5000/foo:1', ':1', '[::1]:5000/foo:1'],
    ['DOCKER.IO/alpine', ':latest', 'docker.io/library/alpine:latest'],
    ['Index.Docker.IO/x', ':latest', 'docker.io/library/x:latest'],
  ])('%s', (reference, suffix, normalized) => {
    const ref = ImageReference.parse(reference);
    expect(ref.toString()).toBe(normalized);
    expect(`${ref}`).toBe(normalized);
    expect(ref.suffix).toBe(suffix);
  });

  test.each([
    'docker.io/library/alpine:latest',
    'docker.io/library/alpine:3.19',
    'docker.io/bitnami/redis:7.2',
    `docker.io/library/alpine@${SHA256}`,
    `docker.io/library/alpine:3@${SHA256}`,
    'ghcr.io/org/team/app/sub:tag',
    `registry.k8s.io/ingress-nginx/controller:v1.10.1@${SHA256}`,
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1',
    'localhost:5000/foo/bar:tag',
    'localhost/foo:latest',
    '[::1]:5000/foo:latest',
    '192.168.1.1:5000/foo:latest',
  ])('normalized reference %s round trips', (normalized) => {
    const ref = ImageReference.parse(normalized);
    expect(ref.toString()).toBe(normalized);
    expect(ImageReference.parse(ref.toString()).toString()).toBe(normalized);
  });

  test.each([
    'alpine',
    'grafana/grafana:11',
    'index.docker.io/nginx',
    `ghcr.io/org/app@${SHA512}`,
  ])('parsing the normalized form of %s gives the same reference', (reference) => {
    const ref = ImageReference.parse(reference);
    const again = ImageReference.parse(ref.toString());
    expect(again.domain).toBe(ref.domain);
    expect(again.repository).toBe(ref.repository);
    expect(again.tag).toBe(ref.tag);
    expect(again.digest).toBe(ref.digest);
    expect(again.suffix).toBe(ref.suffix);
  });
});

describe('ImageReference properties', () => {
  test('a digest-only reference has no tag', () => {
    const ref = ImageReference.parse(`nginx@${SHA256}`);
    expect(ref.tag).toBeUndefined();
    expect(ref.digest).toBe(SHA256);
    expect(ref.suffix).toBe(`@${SHA256}`);
  });

  test('a tag-only reference has no digest', () => {
    const ref = ImageReference.parse('nginx:1.27');
    expect(ref.digest).toBeUndefined();
    expect(ref.suffix).toBe(':1.27');
  });

  test('isDockerHub is false for other registries', () => {
    expect(ImageReference.parse('ghcr.io/org/app').isDockerHub).toBe(false);
    expect(ImageReference.parse('docker.example.com/org/app').isDockerHub).toBe(false);
    expect(ImageReference.parse('docker.io/org/app').isDockerHub).toBe(true);
  });

  test('a 255-character name is accepted', () => {
    const path = 'a'.repeat(255 - 'ghcr.io/'.length);
    const ref = ImageReference.parse(`ghcr.io/${path}:1`);
    expect(`${ref.domain}/${ref.repository}`).toHaveLength(255);
  });

  test('a 256-character name is rejected', () => {
    const path = 'a'.repeat(256 - 'ghcr.io/'.length);
    expect(() => ImageReference.parse(`ghcr.io/${path}:1`)).toThrow(/name is 256 characters, the limit is 255/);
  });

  test('the errors are plain Errors', () => {
    expect(() => ImageReference.parse('Alpine')).toThrow(Error);
    expect(() => ImageReference.parse('Alpine')).toThrow("Invalid image reference 'Alpine': ");
  });
});
