/**
 * The Lambda entry of the CachedImages custom resource (an onEvent handler of the aws-cdk-lib
 * custom-resources Provider): on create and update, pull every image through the cache with an
 * ECR authorization token, over HTTPS only, and answer the digests.
 *
 * The token is used only in the `Authorization` header sent to the cache host; it is never
 * logged, returned or written anywhere. No image data is written to disk.
 */
import * as https from 'https';
import { RegistryResponse, Transport, WarmImage, warmImages, WarmResult } from './pull';

/** Bytes of the response's Data, out of CloudFormation's 4096: the rest is the request's IDs. */
export const RESPONSE_BUDGET = 3400;

/** Bytes of the failure reason given to CloudFormation, whose whole response is at most 4096. */
export const REASON_BUDGET = 3000;

/** Time kept back from Lambda's timeout to answer CloudFormation, whatever the registry does. */
const ANSWER_MARGIN_MS = 60_000;

/** What CachedImages checked at synth, checked again here: the values build request paths. */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** A private ECR registry host: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`. */
const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** HTTPS to the cache host on port 443; redirects are answered, never followed. */
export const httpsTransport: Transport = {
  request(host, path, headers, timeoutMs) {
    return new Promise<RegistryResponse>((resolve, reject) => {
      const req = https.request({ host, port: 443, path, method: 'GET', headers }, res => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: res,
          discard: () => res.destroy(),
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
      req.on('error', reject);
      req.end();
    });
  },
};

interface Event {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: {
    readonly RegistryDomain: string;
    readonly Images: Array<{ Reference: string; Repository: string; Tag: string; RequiredPlatforms?: string[] }>;
    readonly Platforms?: string[];
    readonly FailOnError: string;
    readonly TimeoutSeconds: string;
    readonly Retries: string;
  };
}

/** An ECR authorization token (base64 of `AWS:<password>`), from the SDK the runtime bundles. */
async function authorizationToken(region: string): Promise<string> {
  // Loaded at run time from the Lambda Node.js runtime: the library has no dependency on it.
  const name = '@aws-sdk/client-ecr';
  const sdk = await import(name);
  const client = new sdk.ECRClient({ region });
  const out = await client.send(new sdk.GetAuthorizationTokenCommand({}));
  const token = out.authorizationData?.[0]?.authorizationToken;
  if (!token) {
    throw new Error('ecr:GetAuthorizationToken returned no token');
  }
  return token;
}

/** The attribute names of a result; `Digest<i>` and `Digest<i>.<os>.<arch>[.<variant>]`. */
export function attributes(results: WarmResult[], images: WarmImage[]): { data: { [key: string]: string }; failures: string[] } {
  const data: { [key: string]: string } = {};
  const failures: string[] = [];
  results.forEach((r, i) => {
    if (r.error) {
      failures.push(r.error);
      return;
    }
    data[`Digest${i}`] = r.digest!;
    for (const platform of images[i].requiredPlatforms ?? []) {
      const variant = Object.keys(r.platforms).find(k => k.startsWith(`${platform}/`));
      const digest = r.platforms[platform] ?? (variant ? r.platforms[variant] : undefined) ?? r.platforms['*'];
      if (digest) {
        data[`Digest${i}.${platform.replace(/\//g, '.')}`] = digest;
      }
    }
  });
  return { data, failures };
}

/** The failures as one reason that fits CloudFormation's response: the count, then as many as fit. */
export function failureReason(failures: string[], total: number): string {
  const head = `CachedImages: ${failures.length} of ${total} images could not be pulled through the cache`;
  let reason = `${head}:`;
  for (const [i, failure] of failures.entries()) {
    const more = `\n(${failures.length - i} more in the function's log)`;
    if (Buffer.byteLength(`${reason}\n${failure}`) + Buffer.byteLength(more) > REASON_BUDGET) {
      return `${reason}${more}`;
    }
    reason = `${reason}\n${failure}`;
  }
  return reason;
}

export async function handler(event: Event, context?: { invokedFunctionArn?: string; getRemainingTimeInMillis?: () => number }) {
  const physicalId = event.PhysicalResourceId ?? `cached-images:${event.ResourceProperties.RegistryDomain}`;
  if (event.RequestType === 'Delete') {
    // The images stay in the cache: ECR's lifecycle rules own them.
    return { PhysicalResourceId: physicalId };
  }
  const p = event.ResourceProperties;
  const host = p.RegistryDomain;
  const match = ECR_HOST.exec(host);
  const region = process.env.AWS_REGION ?? '';
  const account = context?.invokedFunctionArn?.split(':')[4];
  if (!match || match[2] !== region || (account !== undefined && match[1] !== account)) {
    throw new Error(`CachedImages: the cache host '${host}' is not the private ECR registry of this function's account and region `
      + `(${account ?? '?'}, ${region}): CachedImages warms caches of its own stack's account and region only`);
  }
  for (const i of p.Images) {
    if (!REPOSITORY.test(i.Repository) || !TAG.test(i.Tag)) {
      throw new Error(`CachedImages: image '${i.Reference}' has repository '${i.Repository}' and tag '${i.Tag}', which are not a repository name and a tag`);
    }
  }
  const images: WarmImage[] = p.Images.map(i => ({
    reference: i.Reference, repository: i.Repository, tag: i.Tag, requiredPlatforms: i.RequiredPlatforms ?? [],
  }));
  const token = await authorizationToken(region);
  const started = Date.now();
  const results = await warmImages({
    host,
    authorization: `Basic ${token}`,
    images,
    platforms: p.Platforms ?? [],
    transport: httpsTransport,
    timeoutMs: Number(p.TimeoutSeconds) * 1000,
    retries: Number(p.Retries),
    backoffMs: 1000,
    deadline: context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS : undefined,
  });
  const { data, failures } = attributes(results, images);
  // Counts only: no token, no header.
  console.log(JSON.stringify({
    images: results.length,
    failed: failures.length,
    seconds: (Date.now() - started) / 1000,
    bytes: results.reduce((n, r) => n + r.bytes, 0),
    blobs: results.reduce((n, r) => n + r.blobs, 0),
  }));
  if (failures.length > 0) {
    // Every failure in the log (they hold no token); CloudFormation gets what fits its 4 KB.
    console.log(JSON.stringify({ failures }));
  }
  if (failures.length > 0 && p.FailOnError !== 'false') {
    throw new Error(failureReason(failures, results.length));
  }
  // CloudFormation takes at most 4 KB of response, the request's IDs included: the digests are
  // bounded at synth (CachedImages checks their number), failures are cut to fit the rest.
  data.Failures = failures.join('\n').slice(0, Math.max(0, RESPONSE_BUDGET - JSON.stringify(data).length));
  return { PhysicalResourceId: physicalId, Data: data };
}
