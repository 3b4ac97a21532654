import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { api, warn } from '../../core/private/diagnostics';
import { cachedRepositoryName, prefixPath, ROOT_PREFIX } from '../../core/private/rules';
import type { CacheUpstream } from '../../registry/upstream';
import type { UpstreamRegistry } from '../../registry/upstream-registry';
import { ImageReference } from '../image-reference';

/** What the image mapping needs of the cache: a part of `IPullThroughCache`. */
export interface ImageCache extends IConstruct {
  readonly registryDomain: string;
  readonly upstreams: CacheUpstream[];
}


/** ECR's limit on a repository name (the cached repository is `<prefix>/<path>`). */
const REPOSITORY_NAME_MAX_LENGTH = 256;

/**
 * Hosts that serve the same registry as an upstream's host: ECR Public's dual-stack (IPv4 and
 * IPv6) endpoint for OCI and Docker clients. Docker Hub's aliases are normalized by `ImageReference`.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/public/public-ecr-requests.html
 */
export const HOST_ALIASES: ReadonlyMap<string, string> = new Map([['ecr-public.aws.com', 'public.ecr.aws']]);

/** The registry domain of a private ECR registry, in any partition (FIPS endpoints included). */
const PRIVATE_ECR_DOMAIN = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/**
 * Why an image pinned by digest may not pull through the cache: ECR imports an image that is not
 * cached yet only when it is pulled by tag.
 *
 * @see https://github.com/aws/containers-roadmap/issues/2837
 */
export const DIGEST_FIRST_PULL = 'ECR pull through cache does not populate the cache when an image that is not cached yet '
  + 'is first pulled by digest, even with a tag as well (the pull fails as not found; aws/containers-roadmap#2837)';

/** An image reference mapped to the cache. */
export interface CachedImage {
  /** The upstream that serves the image. */
  readonly upstream: CacheUpstream;
  /** The parsed reference. */
  readonly reference: ImageReference;
  /** The image URI in the cache, `<registryDomain>/<prefix>/<repository><suffix>`. */
  readonly uri: string;
}

/** What the cache can do with an image reference. */
export type ImageDecision =
  /** An upstream of the cache serves it. */
  | { readonly kind: 'cached'; readonly image: CachedImage }
  /** Not a literal (an asset, an ECR repository of this app, a parameter): left alone silently. */
  | { readonly kind: 'token' }
  /** A private ECR registry that no upstream serves (the cache itself included): left alone silently. */
  | { readonly kind: 'ecr' }
  /** A literal the cache cannot serve: the reason, for a warning or an error. */
  | { readonly kind: 'uncached'; readonly reason: string };

/** The host an upstream is matched by, or its URL when the host is only known at deploy time. */
function describeHost(registry: UpstreamRegistry): string {
  const host = registry._hosts[0] ?? `${registry.url} (unresolved: never matched)`;
  const upstreamPrefix = literalUpstreamPrefix(registry);
  return upstreamPrefix === undefined ? host : `${host}/${upstreamPrefix}/*`;
}

/** `prefix → host` for every upstream, for error messages. */
export function describeUpstreams(upstreams: CacheUpstream[]): string {
  return upstreams.map(u => `${prefixPath(u.prefix)} → ${describeHost(u.registry)}`).join(', ');
}

/** Whether a repository name falls under the prefix of another rule than a ROOT one. */
function claimedByPrefix(upstreams: CacheUpstream[], repository: string): boolean {
  return upstreams.some(u => u.prefix !== ROOT_PREFIX && !Token.isUnresolved(u.prefix) && repository.startsWith(`${prefixPath(u.prefix)}/`));
}

/** An ECR upstream's repository prefix (the rule's UpstreamRepositoryPrefix) when it limits the rule. */
function literalUpstreamPrefix(registry: UpstreamRegistry): string | undefined {
  const prefix = registry.upstreamRepositoryPrefix;
  if (prefix === undefined || prefix === ROOT_PREFIX || Token.isUnresolved(prefix)) {
    return undefined;
  }
  return prefixPath(prefix);
}

/**
 * The repository path an upstream caches an image of its registry under, or undefined when the
 * upstream does not serve it. ECR replaces an upstream repository prefix with the cache's prefix:
 * with ecrRepositoryPrefix `central` and upstreamRepositoryPrefix `prod`, `central/app` is
 * `prod/app` upstream.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-private-wildcards.html
 */
function cachedPath(upstream: CacheUpstream, domain: string, repository: string): string | undefined {
  if (!upstream.registry._hosts.includes(domain)) {
    return undefined;
  }
  if (Token.isUnresolved(upstream.registry.upstreamRepositoryPrefix ?? '')) {
    // Which repositories the rule serves is only known at deploy time.
    return undefined;
  }
  const upstreamPrefix = literalUpstreamPrefix(upstream.registry);
  if (upstreamPrefix === undefined) {
    return repository;
  }
  return repository.startsWith(`${upstreamPrefix}/`) ? repository.slice(upstreamPrefix.length + 1) : undefined;
}

/** The cache's registry domain when it is a literal (env-bound stack). */
function literalDomain(cache: ImageCache): string | undefined {
  return Token.isUnresolved(cache.registryDomain) ? undefined : cache.registryDomain.toLowerCase();
}

/**
 * Registries that no longer take new images, and their successors: a reference to one gets the
 * hint. `k8s.gcr.io` was frozen on 3 April 2023; it still serves old images, but no ECR upstream
 * reaches it, and new releases are only on registry.k8s.io.
 * @see https://kubernetes.io/blog/2023/02/06/k8s-gcr-io-freeze-announcement/
 */
const RETIRED_REGISTRIES: { [domain: string]: { domain: string; factory: string; why: string } } = {
  'k8s.gcr.io': { domain: 'registry.k8s.io', factory: 'UpstreamRegistry.kubernetes()', why: 'which is frozen since April 2023 (registry.k8s.io succeeds it)' },
};

/**
 * Decide what the cache does with an image reference: the first upstream (in the order given)
 * whose registry host serves it wins.
 */
export function decideImage(cache: ImageCache, reference: string): ImageDecision {
  const upstreams = cache.upstreams;
  if (Token.isUnresolved(reference)) {
    return { kind: 'token' };
  }
  let parsed: ImageReference;
  try {
    parsed = ImageReference.parse(reference);
  } catch (e) {
    return { kind: 'uncached', reason: (e as Error).message };
  }
  // Host names are case-insensitive: the parsed domain and the upstreams' hosts are lowercase.
  const domain = HOST_ALIASES.get(parsed.domain) ?? parsed.domain;
  for (const upstream of upstreams) {
    const path = cachedPath(upstream, domain, parsed.repository);
    if (path === undefined) {
      continue;
    }
    const repositoryName = cachedRepositoryName(upstream.prefix, path);
    if (upstream.prefix === ROOT_PREFIX && claimedByPrefix(upstreams, repositoryName)) {
      return {
        kind: 'uncached',
        reason: `the ROOT rule cannot cache repository '${repositoryName}': it is under the prefix of another rule of the cache, which ECR applies instead; `
          + 'pull it through that rule\'s upstream',
      };
    }
    if (!Token.isUnresolved(upstream.prefix) && repositoryName.length > REPOSITORY_NAME_MAX_LENGTH) {
      return {
        kind: 'uncached',
        reason: `the cached repository name '${repositoryName}' is ${repositoryName.length} characters; ECR allows at most ${REPOSITORY_NAME_MAX_LENGTH}: `
          + 'give the upstream a shorter prefix',
      };
    }
    return {
      kind: 'cached',
      image: { upstream, reference: parsed, uri: `${cache.registryDomain}/${repositoryName}${parsed.suffix}` },
    };
  }
  if (upstreams.some(u => u.registry._hosts.includes(domain))) {
    return {
      kind: 'uncached',
      reason: `no upstream of the cache serves repository '${parsed.repository}' of registry '${domain}' (an upstream's ${api('repositoryPrefix')} excludes it); `
        + 'add an upstream of that registry without it',
    };
  }
  if (domain === literalDomain(cache) || PRIVATE_ECR_DOMAIN.test(domain)) {
    return { kind: 'ecr' };
  }
  const successor = RETIRED_REGISTRIES[domain];
  return {
    kind: 'uncached',
    reason: successor !== undefined
      ? `no upstream of the cache serves registry '${domain}', ${successor.why}; use '${successor.domain}/${parsed.repository}${parsed.suffix}' `
        + `and the upstream ${api(successor.factory)}`
      : `no upstream of the cache serves registry '${domain}'; add an upstream for it (UpstreamRegistry), or pull it from its registry`,
  };
}

/**
 * The image URI of a reference in the cache, or a plain `Error` that names the reference and
 * lists the cache's upstreams. A reference pinned by digest is kept, with the warning
 * `cdk-pull-through-cache:digestFirstPull` on the cache (once per reference).
 */
export function cachedImage(cache: ImageCache, reference: string): CachedImage {
  const where = `PullThroughCache at '${cache.node.path}'`;
  if (Token.isUnresolved(reference)) {
    throw new Error(
      `${where}: the image reference '${reference}' is a token; a literal reference such as 'alpine:3' or 'ghcr.io/org/app:1.0' is needed to choose the upstream at synth time: `
      + `give a literal, or build the URI from ${api('registryDomain')} and the upstream's prefix`,
    );
  }
  const decision = decideImage(cache, reference);
  if (decision.kind === 'cached') {
    if (decision.image.reference.digest !== undefined) {
      // Annotations drops a message the cache already has: one warning per reference.
      warn(cache, 'digestFirstPull',
        `image '${reference}' is pinned by digest: ${DIGEST_FIRST_PULL}. Pre-warm the cache by pulling the tag `
        + 'through it once before the first deployment, or pin the image by tag',
      );
    }
    return decision.image;
  }
  const reason = decision.kind === 'uncached' ? decision.reason
    : 'the image is in a private ECR registry that no upstream of the cache serves';
  throw new Error(
    `${where}: cannot pull '${reference}' through the cache: ${reason}. The cache's upstreams (prefix → registry) are: ${describeUpstreams(cache.upstreams)}`,
  );
}
