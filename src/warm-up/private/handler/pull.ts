/**
 * The registry client of the CachedImages warm-up: pulls images through a registry the way a
 * container runtime does (manifest, each platform's manifest, blobs), keeping nothing.
 *
 * It knows no transport: the Lambda entry (`index.ts`) gives it HTTPS only; the registry test
 * (test/warm-up) gives it plain HTTP on loopback. Nothing here writes to disk or logs.
 */
import { createHash } from 'crypto';

// Messages spell names for Python by hand: the handler's asset holds only this folder, so it cannot
// import the library's `api()` (src/core/private/diagnostics.ts).

/** The answer to one request: status, headers (lower-case names) and the body as a stream. */
export interface RegistryResponse {
  readonly status: number;
  readonly headers: { [name: string]: string | string[] | undefined };
  readonly body: AsyncIterable<Buffer>;
  /** Stop reading the body and free the connection. */
  discard(): void;
}

/** How requests reach the registry: `GET https://<host><path>`, redirects not followed. */
export interface Transport {
  request(host: string, path: string, headers: { [name: string]: string }, timeoutMs: number): Promise<RegistryResponse>;
}

/** One image to warm: the reference the user gave, and where it is in the cache. */
export interface WarmImage {
  readonly reference: string;
  /** The repository in the cache, `<prefix>/<path>`. */
  readonly repository: string;
  readonly tag: string;
  /** Platforms (`os/arch[/variant]`) whose manifest digest must be reported, e.g. for Lambda. */
  readonly requiredPlatforms?: string[];
}

export interface WarmOptions {
  /** The cache host, e.g. `111122223333.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly host: string;
  /** The `Authorization` header value, `Basic base64(AWS:<token>)`: sent to `host` only. */
  readonly authorization: string;
  readonly images: WarmImage[];
  /** Platforms to pull of an image index; empty: every manifest the index lists. */
  readonly platforms: string[];
  readonly transport: Transport;
  /** Time without an answer (or without body bytes) before a request is abandoned. */
  readonly timeoutMs: number;
  /** Retries after a 429, a 5xx, a timeout or a network error. */
  readonly retries: number;
  /** The first backoff; doubled at each retry, capped at 30 s. A `Retry-After` header wins. */
  readonly backoffMs: number;
  /** Blobs in flight at once per image. */
  readonly concurrency?: number;
  /**
   * When to stop (epoch milliseconds): no request starts, and no wait or timeout runs, past it.
   * The Lambda entry sets it a minute before its own timeout so that it always answers
   * CloudFormation; what is left is reported as failed.
   */
  readonly deadline?: number;
}

/** What became of one image. */
export interface WarmResult {
  readonly reference: string;
  /** The digest of the manifest (or index) the tag points to. */
  readonly digest?: string;
  /** The digest of each platform's manifest (`os/arch[/variant]`); a single manifest's as `*`. */
  readonly platforms: { [platform: string]: string };
  /** Blobs the registry answered, and the bytes streamed (a redirect streams none). */
  readonly blobs: number;
  readonly bytes: number;
  readonly error?: string;
}

export const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ');

/** A manifest is JSON of a few KB; anything larger is refused rather than held in memory. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_BACKOFF_MS = 30_000;
const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A failure with what the user can do about it. */
export class WarmError extends Error {
  constructor(message: string, public readonly status?: number) {
    super(message);
  }
}

interface Descriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size?: number;
  readonly platform?: { os?: string; architecture?: string; variant?: string };
}

/** `os/arch[/variant]` of an index entry. */
export function platformOf(d: Descriptor): string {
  const p = d.platform ?? {};
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', ...(p.variant ? [p.variant] : [])].join('/');
}

/** Whether an index entry is one of the wanted platforms (`linux/arm64` matches `linux/arm64/v8`). */
function wanted(platform: string, platforms: string[]): boolean {
  return platforms.length === 0 || platforms.some(p => platform === p || platform.startsWith(`${p}/`));
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function header(r: RegistryResponse, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The registry's own error (`{"errors":[{"code","message"}]}`), at most 300 characters. */
function registryError(text: string): string {
  try {
    const errors = JSON.parse(text).errors as Array<{ code?: string; message?: string }>;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors.map(e => [e.code, e.message].filter(Boolean).join(': ')).join('; ').slice(0, 300);
    }
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

async function readAll(r: RegistryResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of r.body) {
    size += chunk.length;
    if (size > limit) {
      r.discard();
      throw new WarmError(`the answer exceeds ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** What to do about a status, for the error message. */
function fixFor(status: number | undefined, what: string): string {
  switch (status) {
    case 401:
    case 403:
      return 'the cache refused the credential: check that the warm-up role has the pull-through grants of the cache\'s prefix '
        + '(ecr:BatchGetImage, ecr:BatchImportUpstreamImage, ecr:CreateRepository), and that the upstream credential '
        + '(the rule\'s Secrets Manager secret) is valid for the upstream registry';
    case 404:
      return `the ${what} does not exist upstream, or the rule does not serve this repository: check the reference's name and tag in the upstream registry`;
    case 429:
      return 'the upstream registry rate-limits the pulls: deploy again later, or give the cache\'s rule an upstream credential with a higher limit (Docker Hub)';
    case undefined:
      return 'the cache did not answer in time: deploy again, raise requestTimeout (Python: request_timeout), or check the upstream registry\'s status';
    default:
      return status >= 500
        ? 'the cache or its upstream failed: deploy again later; the pull-through cache failure events (onPullFailure (Python: on_pull_failure)) say why'
        : 'see the registry\'s answer';
  }
}

/**
 * Pull images through a registry host as a container runtime does: the manifest, each platform's
 * manifest (all, or `platforms`), then every blob, streamed and discarded (or not read when the
 * registry redirects to a download URL).
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
 */
export async function warmImages(options: WarmOptions): Promise<WarmResult[]> {
  const results: WarmResult[] = [];
  for (const image of options.images) {
    results.push(await warmImage(options, image));
  }
  return results;
}

async function warmImage(options: WarmOptions, image: WarmImage): Promise<WarmResult> {
  const where = `image '${image.reference}' (cache host ${options.host}, repository ${image.repository}, tag ${image.tag})`;
  const platforms: { [platform: string]: string } = {};
  let blobs = 0;
  let bytes = 0;
  let digest: string | undefined;
  try {
    const top = await getManifest(options, image, image.tag, where);
    digest = top.digest;
    const manifests: Array<{ digest: string; json: any }> = [];
    if (INDEX_TYPES.includes(top.mediaType)) {
      const entries = (top.json.manifests ?? []) as Descriptor[];
      const required = image.requiredPlatforms ?? [];
      const selected = entries.filter(e => wanted(platformOf(e), options.platforms) || required.includes(platformOf(e)));
      for (const p of [...options.platforms, ...required]) {
        if (!entries.some(e => wanted(platformOf(e), [p]))) {
          throw new WarmError(`${where}: the image index has no manifest for platform ${p}; it has ${entries.map(platformOf).join(', ') || 'none'}. `
            + 'Fix: remove the platform from platforms (or the function\'s architecture), or pick an image built for it');
        }
      }
      for (const entry of selected) {
        if (!DIGEST.test(entry.digest)) {
          throw new WarmError(`${where}: the image index lists a manifest with digest '${entry.digest}'; only sha256 digests are supported`);
        }
        const child = await getManifest(options, image, entry.digest, where);
        if (child.digest !== entry.digest) {
          throw new WarmError(`${where}: the manifest of ${platformOf(entry)} has digest ${child.digest}, the index says ${entry.digest}`);
        }
        platforms[platformOf(entry)] = child.digest;
        manifests.push(child);
      }
      // Under the name asked for too: Lambda's `linux/arm64` is the index's `linux/arm64/v8`.
      for (const p of required) {
        const entry = entries.find(e => platformOf(e) === p) ?? entries.find(e => wanted(platformOf(e), [p]))!;
        platforms[p] = platforms[platformOf(entry)];
      }
    } else {
      platforms['*'] = top.digest;
      manifests.push(top);
    }
    const seen = new Set<string>();
    const queue: string[] = [];
    for (const m of manifests) {
      for (const d of [m.json.config, ...(m.json.layers ?? [])] as Array<Descriptor | undefined>) {
        if (d && !seen.has(d.digest)) {
          seen.add(d.digest);
          queue.push(d.digest);
        }
      }
    }
    const workers = Array.from({ length: Math.max(1, options.concurrency ?? 4) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        // Not `bytes += await ...`: that reads `bytes` before the await and loses the other workers' counts.
        const size = await getBlob(options, image, next, where);
        bytes += size;
        blobs++;
      }
    });
    await Promise.all(workers);
    return { reference: image.reference, digest, platforms, blobs, bytes };
  } catch (e) {
    const message = e instanceof WarmError ? e.message : `${where}: ${(e as Error).message}`;
    return { reference: image.reference, digest, platforms, blobs, bytes, error: message };
  }
}

/** Milliseconds left before the deadline (unbounded without one). */
function remaining(options: WarmOptions): number {
  return options.deadline === undefined ? Number.POSITIVE_INFINITY : options.deadline - Date.now();
}

function deadlineError(where: string, what: string): WarmError {
  return new WarmError(`${where}: ${what}: not pulled, the warm-up ran out of time (it stops a minute before Lambda's 15 minutes). `
    + 'Fix: split the images across several CachedImages, or lower requestTimeout (Python: request_timeout) and retries');
}

/** A request with retries and backoff: 429, 5xx, timeouts and network errors are retried. */
async function requestWithRetries(
  options: WarmOptions, path: string, accept: string | undefined, what: string, where: string,
): Promise<RegistryResponse> {
  const headers: { [name: string]: string } = { 'Authorization': options.authorization, 'User-Agent': 'cdk-pull-through-cache-warm-up' };
  if (accept) {
    headers.Accept = accept;
  }
  let lastStatus: number | undefined;
  let lastDetail = '';
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    let wait = Math.min(options.backoffMs * 2 ** attempt, MAX_BACKOFF_MS);
    const left = remaining(options);
    if (left <= 0) {
      throw deadlineError(where, what);
    }
    try {
      const r = await options.transport.request(options.host, path, headers, Math.min(options.timeoutMs, left));
      if (!RETRYABLE.has(r.status)) {
        return r;
      }
      lastStatus = r.status;
      lastDetail = registryError((await readAll(r, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8'));
      const retryAfter = Number(header(r, 'retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter >= 0) {
        wait = Math.min(retryAfter * 1000, MAX_BACKOFF_MS);
      }
    } catch (e) {
      lastStatus = undefined;
      lastDetail = (e as Error).message;
    }
    if (attempt < options.retries) {
      if (wait >= remaining(options)) {
        throw deadlineError(where, what);
      }
      await sleep(wait);
    }
  }
  const status = lastStatus === undefined ? 'no answer' : `HTTP ${lastStatus}`;
  throw new WarmError(`${where}: ${what}: ${status} after ${options.retries + 1} attempts (${lastDetail}). Fix: ${fixFor(lastStatus, what)}`, lastStatus);
}

interface Manifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly json: any;
}

async function getManifest(options: WarmOptions, image: WarmImage, ref: string, where: string): Promise<Manifest> {
  const what = ref.startsWith('sha256:') ? `manifest ${ref}` : `manifest of tag ${ref}`;
  const r = await requestWithRetries(options, `/v2/${image.repository}/manifests/${ref}`, ACCEPT, what, where);
  const body = await readAll(r, MAX_MANIFEST_BYTES);
  if (r.status !== 200) {
    throw new WarmError(`${where}: ${what}: HTTP ${r.status} (${registryError(body.toString('utf8'))}). Fix: ${fixFor(r.status, what)}`, r.status);
  }
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  let json: any;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WarmError(`${where}: ${what}: the answer is not JSON`);
  }
  const mediaType = String(json.mediaType ?? header(r, 'content-type') ?? '').split(';')[0].trim();
  if (!INDEX_TYPES.includes(mediaType) && !MANIFEST_TYPES.includes(mediaType)) {
    throw new WarmError(`${where}: ${what}: unsupported media type '${mediaType}' (schema 1 and artifacts are not container images)`);
  }
  return { digest, mediaType, json };
}

/**
 * Stream one blob and discard it, checking its digest; a redirect is not followed. A body that
 * stalls or breaks is fetched again, within the same retries and deadline as a request.
 */
async function getBlob(options: WarmOptions, image: WarmImage, digest: string, where: string): Promise<number> {
  if (!DIGEST.test(digest)) {
    throw new WarmError(`${where}: blob digest '${digest}' is not a sha256 digest`);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await getBlobOnce(options, image, digest, where);
    } catch (e) {
      if (e instanceof WarmError || attempt >= options.retries) {
        throw e;
      }
      const wait = Math.min(options.backoffMs * 2 ** attempt, MAX_BACKOFF_MS);
      if (wait >= remaining(options)) {
        throw deadlineError(where, `blob ${digest}`);
      }
      await sleep(wait);
    }
  }
}

async function getBlobOnce(options: WarmOptions, image: WarmImage, digest: string, where: string): Promise<number> {
  const what = `blob ${digest}`;
  const r = await requestWithRetries(options, `/v2/${image.repository}/blobs/${digest}`, undefined, what, where);
  if ([301, 302, 303, 307, 308].includes(r.status)) {
    r.discard();
    return 0;
  }
  if (r.status !== 200) {
    const body = await readAll(r, 64 * 1024).catch(() => Buffer.alloc(0));
    throw new WarmError(`${where}: ${what}: HTTP ${r.status} (${registryError(body.toString('utf8'))}). Fix: ${fixFor(r.status, what)}`, r.status);
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of r.body) {
    if (remaining(options) <= 0) {
      r.discard();
      throw deadlineError(where, what);
    }
    hash.update(chunk);
    size += chunk.length;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== digest) {
    throw new WarmError(`${where}: ${what}: the bytes served hash to ${actual}`);
  }
  return size;
}
