/**
 * Options for the containerd registry-host configuration of a cache.
 */
export interface ContainerdMirrorOptions {
  /**
   * The directory containerd reads registry-host configuration from: containerd's CRI
   * `config_path` (`[plugins."io.containerd.grpc.v1.cri".registry] config_path` in containerd 1.x,
   * `[plugins."io.containerd.cri.v1.images".registry] config_path` in containerd 2.x).
   *
   * @default '/etc/containerd/certs.d'
   * @see https://github.com/containerd/containerd/blob/main/docs/hosts.md
   */
  readonly configDirectory?: string;
}

/**
 * The containerd registry-host configuration (`hosts.toml`) that sends the pulls of one upstream
 * registry to the cache: containerd then asks the cache first and the upstream registry when the
 * cache fails.
 *
 * containerd does not authenticate to the mirror by itself: see the README's "Node-level mirrors
 * (containerd)" section before relying on it.
 *
 * @see https://github.com/containerd/containerd/blob/main/docs/hosts.md
 */
export interface ContainerdMirror {
  /**
   * The upstream registry host as containerd names it in image references, the name of the
   * directory the file goes in: `docker.io` for Docker Hub, `ghcr.io`, `registry.k8s.io`,
   * `quay.io`, `public.ecr.aws`, ...
   *
   * A token when the registry's host is only known at deploy time (an Azure registry with a token
   * name, an ECR upstream with the stack's account or region).
   */
  readonly upstreamHost: string;

  /** The upstream's ECR repository prefix in the cache, e.g. `dockercache`. */
  readonly prefix: string;

  /** The upstream registry's endpoint, the file's `server`, e.g. `https://registry-1.docker.io`. */
  readonly server: string;

  /**
   * The cache's endpoint for this upstream, the file's `[host]`:
   * `https://<account>.dkr.ecr.<region>.amazonaws.com/v2/<prefix>` (a token in an
   * environment-agnostic stack).
   */
  readonly mirrorEndpoint: string;

  /** Where the file goes: `<configDirectory>/<upstreamHost>/hosts.toml`. */
  readonly path: string;

  /** The content of `hosts.toml`, ending with a newline. */
  readonly content: string;
}
