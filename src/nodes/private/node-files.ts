import { Stack } from 'aws-cdk-lib';
import { containerdConfigDirectory, containerdMirrors } from './containerd';
import { checkNodeGroupUserData } from './node-group-user-data';
import { EC2_USER_DATA_MAX_BYTES, nodeScriptMinimumBytes, renderContainerdNodeScript } from './node-script';
import { api, warn } from '../../core/private/diagnostics';
import type { RegistryLocation } from '../../core/private/location';
import type { ImageCache } from '../../images/private/image-uri';
import type { ContainerdMirror, ContainerdMirrorOptions } from '../containerd-mirror';
import type { ContainerdNodeScriptOptions } from '../containerd-node-script';

/** What a node's files need of a cache: its registry, its upstreams, its account and region. */
export interface NodeCache extends ImageCache {
  readonly env: RegistryLocation;
}

/** The cache's `hosts.toml` files; each upstream left without one is a warning `mirrorSkipped`. */
export function cacheMirrors(cache: NodeCache, options?: ContainerdMirrorOptions): ContainerdMirror[] {
  const mirrors: ContainerdMirror[] = [];
  for (const result of containerdMirrors(cache, options)) {
    if (result.kind === 'mirror') {
      mirrors.push(result.mirror);
    } else {
      warn(cache, 'mirrorSkipped', result.reason);
    }
  }
  return mirrors;
}

/**
 * The cache's node script. Node group user data is checked at synthesis; a script that cannot fit
 * EC2's user data is a warning `nodeScriptSize`.
 */
export function cacheNodeScript(cache: NodeCache, options?: ContainerdNodeScriptOptions): string {
  const mirrors = cacheMirrors(cache, { configDirectory: options?.configDirectory });
  const input = {
    where: cache.node.path,
    account: cache.env.account,
    region: cache.env.region,
    configDirectory: containerdConfigDirectory(options?.configDirectory),
    mirrors,
  };
  const script = renderContainerdNodeScript(input, options);
  checkNodeGroupUserData(cache);
  // The fewest bytes the script renders to: an environment-agnostic account, region or URL
  // suffix at its shortest (12, 9 and 10 characters: `us-east-1`, `c2s.ic.gov`), any other token as nothing.
  const shortest = new Map([[cache.env.account, 12], [cache.env.region, 9], [Stack.of(cache).urlSuffix, 10]]);
  const { bytes, exact } = nodeScriptMinimumBytes(input, options ?? {}, token => shortest.get(token) ?? 0);
  if (bytes > EC2_USER_DATA_MAX_BYTES) {
    warn(cache, 'nodeScriptSize',
      `${api('containerdNodeScript')}: the script is ${exact ? '' : 'at least '}${bytes} bytes (${mirrors.length} mirrors); `
      + `EC2 accepts at most ${EC2_USER_DATA_MAX_BYTES} bytes of user data (before base64), the rest of the node's user data included, `
      + 'so an instance or node group with it fails to launch. Each mirror adds about 0.2 KB: give the nodes a cache with fewer upstreams');
  }
  return script;
}
