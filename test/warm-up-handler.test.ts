import { createHash } from 'crypto';
import { attributes, handler } from '../src/private/warm-up/index';
import { warmImages } from '../src/private/warm-up/pull';

// The Lambda entry of CachedImages, without AWS: what it refuses before any request, and the
// attributes it answers. The pulling itself is tested against real registries in test/warm-up.

const PROPS = {
  RegistryDomain: '111122223333.dkr.ecr.eu-west-1.amazonaws.com',
  Images: [{ Reference: 'alpine:3', Repository: 'dockercache/library/alpine', Tag: '3' }],
  FailOnError: 'true',
  TimeoutSeconds: '60',
  Retries: '4',
};
const CONTEXT = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:handler' };

describe('the CachedImages Lambda entry', () => {
  const region = process.env.AWS_REGION;
  beforeEach(() => {
    process.env.AWS_REGION = 'eu-west-1';
  });
  afterAll(() => {
    process.env.AWS_REGION = region;
  });

  test('Delete pulls nothing and keeps the physical ID', async () => {
    await expect(handler({ RequestType: 'Delete', PhysicalResourceId: 'cached-images:x', ResourceProperties: PROPS as any }, CONTEXT))
      .resolves.toEqual({ PhysicalResourceId: 'cached-images:x' });
  });

  test.each([
    ['a host that is not a private ECR registry', { RegistryDomain: 'evil.example.com' }, CONTEXT],
    ['another region\'s registry', { RegistryDomain: '111122223333.dkr.ecr.us-east-1.amazonaws.com' }, CONTEXT],
    ['another account\'s registry', { RegistryDomain: '444455556666.dkr.ecr.eu-west-1.amazonaws.com' }, CONTEXT],
  ])('refuses %s before asking for a token', async (_name, override, context) => {
    await expect(handler({ RequestType: 'Create', ResourceProperties: { ...PROPS, ...override } as any }, context))
      .rejects.toThrow(/is not the private ECR registry of this function's account and region \(111122223333, eu-west-1\)/);
  });

  test('attributes: a digest per image, the required platforms\' digests, failures apart', () => {
    const images = [
      { reference: 'a:1', repository: 'p/a', tag: '1', requiredPlatforms: ['linux/arm64'] },
      { reference: 'b:1', repository: 'p/b', tag: '1', requiredPlatforms: ['linux/amd64'] },
      { reference: 'c:1', repository: 'p/c', tag: '1' },
    ];
    const { data, failures } = attributes([
      { reference: 'a:1', digest: 'sha256:index', platforms: { 'linux/amd64': 'sha256:amd', 'linux/arm64/v8': 'sha256:arm' }, blobs: 3, bytes: 10 },
      { reference: 'b:1', digest: 'sha256:single', platforms: { '*': 'sha256:single' }, blobs: 2, bytes: 5 },
      { reference: 'c:1', platforms: {}, blobs: 0, bytes: 0, error: 'image \'c:1\': HTTP 404' },
    ], images);
    expect(data).toEqual({
      'Digest0': 'sha256:index',
      'Digest0.linux.arm64': 'sha256:arm',
      'Digest1': 'sha256:single',
      'Digest1.linux.amd64': 'sha256:single',
    });
    expect(failures).toEqual(['image \'c:1\': HTTP 404']);
  });
});

describe('the pulling code against ECR\'s blob redirect', () => {
  // Stands in for Amazon ECR only: ECR answers a blob it holds with a redirect to its storage.
  // Everything else is tested against real registries in test/warm-up.
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 2 ** 30 }],
  }));
  const seen: string[] = [];
  const ecr = {
    async request(_host: string, path: string, headers: { [name: string]: string }) {
      seen.push(`${path} ${headers.Authorization === 'Basic dG9rZW4=' ? 'auth' : 'no auth'}`);
      const body = path.includes('/manifests/') ? manifest : Buffer.alloc(0);
      return {
        status: path.includes('/manifests/') ? 200 : 307,
        headers: path.includes('/manifests/') ? { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } : { location: 'https://storage.example/layer' },
        body: (async function* () { yield body; })(),
        discard: () => undefined,
      };
    },
  };

  test('a redirected blob is not downloaded, and the digest is the manifest\'s', async () => {
    const [result] = await warmImages({
      host: '111122223333.dkr.ecr.eu-west-1.amazonaws.com',
      authorization: 'Basic dG9rZW4=',
      images: [{ reference: 'alpine:3', repository: 'dockercache/library/alpine', tag: '3' }],
      platforms: [],
      transport: ecr,
      timeoutMs: 1000,
      retries: 0,
      backoffMs: 1,
    });
    expect(result).toEqual({ reference: 'alpine:3', digest: sha(manifest), platforms: { '*': sha(manifest) }, blobs: 2, bytes: 0 });
    expect(seen.sort()).toEqual([
      `/v2/dockercache/library/alpine/blobs/${sha(config)} auth`,
      `/v2/dockercache/library/alpine/blobs/sha256:${'b'.repeat(64)} auth`,
      '/v2/dockercache/library/alpine/manifests/3 auth',
    ].sort());
  });
});
