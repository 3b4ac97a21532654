import { createHash } from 'crypto';
import { unspelledNames } from './support/spelling';
import { attributes, failureReason, handler } from '../src/warm-up/private/handler/index';
import { warmImages } from '../src/warm-up/private/handler/pull';

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

describe('bounds that keep the answer to CloudFormation', () => {
  // A stand-in for Amazon ECR's HTTP answers only (throttling, a broken body), which the loopback
  // registries of test/warm-up cannot be made to give on demand.
  const layer = Buffer.from('layer bytes');
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(layer), size: layer.length },
    layers: [],
  }));
  const options = (transport: any, extra: object = {}) => ({
    host: '111122223333.dkr.ecr.eu-west-1.amazonaws.com',
    authorization: 'Basic dG9rZW4=',
    images: [{ reference: 'alpine:3', repository: 'dockercache/library/alpine', tag: '3' }],
    platforms: [],
    transport,
    timeoutMs: 1000,
    retries: 10,
    backoffMs: 200,
    ...extra,
  });

  test('past the deadline nothing more is tried: a cache that keeps answering 429 fails the image in time', async () => {
    let requests = 0;
    const throttled = {
      async request() {
        requests++;
        return { status: 429, headers: { 'retry-after': '20' }, body: (async function* () { yield Buffer.alloc(0); })(), discard: () => undefined };
      },
    };
    const started = Date.now();
    const [result] = await warmImages(options(throttled, { deadline: Date.now() + 1500 }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(requests).toBe(1);
    expect(result.error).toMatch(/manifest of tag 3: not pulled, the warm-up ran out of time .* Fix: split the images across several CachedImages/);
    expect(unspelledNames(result.error!)).toEqual([]);
  });

  test.each([401, 404, 429, 500, 0])('the error for HTTP %s names the image, the host, the status and the fix, in both spellings', async (status) => {
    const answering = {
      async request() {
        if (status === 0) {
          throw new Error('no answer within 1 s');
        }
        return { status, headers: {}, body: (async function* () { yield Buffer.from('{"errors":[{"code":"X","message":"refused"}]}'); })(), discard: () => undefined };
      },
    };
    const [result] = await warmImages(options(answering, { retries: 0 }));
    expect(result.error).toMatch(/^image 'alpine:3' \(cache host 111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com, repository dockercache\/library\/alpine, tag 3\): .*Fix: /);
    expect(result.error).toContain(status === 0 ? 'no answer' : `HTTP ${status}`);
    expect(unspelledNames(result.error!)).toEqual([]);
  });

  test('a blob whose body breaks off is fetched again', async () => {
    let blobGets = 0;
    const flaky = {
      async request(_host: string, path: string) {
        if (path.includes('/manifests/')) {
          return { status: 200, headers: {}, body: (async function* () { yield manifest; })(), discard: () => undefined };
        }
        blobGets++;
        const broken = blobGets === 1;
        return {
          status: 200,
          headers: {},
          body: (async function* () {
            yield layer.subarray(0, 3);
            if (broken) {
              throw new Error('socket hang up');
            }
            yield layer.subarray(3);
          })(),
          discard: () => undefined,
        };
      },
    };
    const [result] = await warmImages(options(flaky, { backoffMs: 1 }));
    expect(result.error).toBeUndefined();
    expect({ blobGets, bytes: result.bytes }).toEqual({ blobGets: 2, bytes: layer.length });
  });

  test('the reason given to CloudFormation fits its 4 KB, however many images fail', () => {
    const failures = Array.from({ length: 30 }, (_, i) => `image 'app${i}:1' (cache host h): HTTP 404 ${'x'.repeat(500)}`);
    const reason = failureReason(failures, 30);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(3000);
    expect(reason).toMatch(/^CachedImages: 30 of 30 images could not be pulled through the cache:\nimage 'app0:1'/);
    expect(reason).toMatch(/\(\d+ more in the function's log\)$/);
    expect(failureReason(failures.slice(0, 2), 2)).toBe(`CachedImages: 2 of 2 images could not be pulled through the cache:\n${failures[0]}\n${failures[1]}`);
  });

  test('a repository or tag that could change the request path is refused before any token is asked for', async () => {
    process.env.AWS_REGION = 'eu-west-1';
    await expect(handler({
      RequestType: 'Create',
      ResourceProperties: { ...PROPS, Images: [{ Reference: 'x', Repository: 'dockercache/../../v2/_catalog', Tag: '3' }] } as any,
    }, CONTEXT)).rejects.toThrow(/has repository 'dockercache\/\.\.\/\.\.\/v2\/_catalog' and tag '3', which are not a repository name and a tag/);
    await expect(handler({
      RequestType: 'Create',
      ResourceProperties: { ...PROPS, Images: [{ Reference: 'x', Repository: 'dockercache/x', Tag: '3?n=1' }] } as any,
    }, CONTEXT)).rejects.toThrow(/which are not a repository name and a tag/);
  });
});
