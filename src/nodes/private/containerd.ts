import { Token } from 'aws-cdk-lib';
import { api } from '../../core/private/diagnostics';
import { prefixPath, ROOT_PREFIX } from '../../core/private/rules';
import { ImageCache } from '../../images/private/image-uri';
import type { ContainerdMirror, ContainerdMirrorOptions } from '../containerd-mirror';

/** containerd's default `config_path` for registry hosts. */
export const DEFAULT_CONTAINERD_CONFIG_DIRECTORY = '/etc/containerd/certs.d';

/** The directory of the `hosts.toml` files: the default, or the one given without trailing `/`. */
export function containerdConfigDirectory(configDirectory?: string): string {
  return (configDirectory ?? DEFAULT_CONTAINERD_CONFIG_DIRECTORY).replace(/\/+$/, '');
}

/**
 * A `hosts.toml` without credentials: the upstream as `server`, the cache as its first host. The
 * node script renders the same text on the node (with `%s` for both values).
 */
export function hostsToml(server: string, mirrorEndpoint: string): string {
  return [
    `server = "${server}"`,
    '',
    `[host."${mirrorEndpoint}"]`,
    '  capabilities = ["pull", "resolve"]',
    '  override_path = true',
    '',
  ].join('\n');
}

/** A mirror, or why an upstream has none. */
export type MirrorResult =
  | { readonly kind: 'mirror'; readonly mirror: ContainerdMirror }
  | { readonly kind: 'skipped'; readonly reason: string };

/**
 * One `hosts.toml` per upstream registry host. containerd cannot strip a path segment, so an ECR
 * upstream limited to an upstream repository prefix (which ECR replaces with the cache prefix)
 * has no mirror; two upstreams of the same host get one file, for the first of them.
 */
export function containerdMirrors(cache: ImageCache, options: ContainerdMirrorOptions = {}): MirrorResult[] {
  const directory = containerdConfigDirectory(options.configDirectory);
  if (!Token.isUnresolved(directory) && !directory.startsWith('/')) {
    throw new Error(`PullThroughCache at '${cache.node.path}': ${api('containerdMirrors')}: ${api('configDirectory')} '${directory}' must be an absolute path, `
      + 'such as /etc/containerd/certs.d');
  }
  const seen = new Map<string, string>();
  return cache.upstreams.map((upstream): MirrorResult => {
    const registry = upstream.registry;
    const prefix = prefixPath(upstream.prefix);
    const upstreamPrefix = registry.upstreamRepositoryPrefix;
    if (upstreamPrefix !== undefined && upstreamPrefix !== ROOT_PREFIX) {
      return {
        kind: 'skipped',
        reason: `upstream '${prefix}' has no containerd mirror: ECR maps '${prefix}/<path>' to '${upstreamPrefix}/<path>' upstream, `
          + `a rewrite containerd's override_path cannot express; use ${api('imageUri()')} for its images`,
      };
    }
    const upstreamHost = registry._hosts[0] ?? registry.url;
    const first = seen.get(upstreamHost);
    if (first !== undefined) {
      return {
        kind: 'skipped',
        reason: `upstream '${prefix}' has no containerd mirror: upstream '${first}' serves the same registry ${upstreamHost}, and containerd reads one hosts.toml per registry; `
          + `use ${api('imageUri()')} for its images, or drop one of the two upstreams`,
      };
    }
    seen.set(upstreamHost, prefix);
    const server = `https://${registry.url}`;
    // A ROOT rule caches `<repository>` under the same name: the mirror is the registry itself.
    const mirrorEndpoint = upstream.prefix === ROOT_PREFIX ? `https://${cache.registryDomain}/v2` : `https://${cache.registryDomain}/v2/${prefix}`;
    const content = hostsToml(server, mirrorEndpoint);
    return {
      kind: 'mirror',
      mirror: { upstreamHost, prefix, server, mirrorEndpoint, path: `${directory}/${upstreamHost}/hosts.toml`, content },
    };
  });
}
