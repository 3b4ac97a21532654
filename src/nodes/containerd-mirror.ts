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
 * The containerd `hosts.toml` that sends one upstream registry's pulls to the cache first, and
 * to the upstream when the cache fails. containerd sends no ECR credentials by itself.
 *
 * @see https://github.com/containerd/containerd/blob/main/docs/hosts.md
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/nodes.md
 */
export interface ContainerdMirror {
  /**
   * The upstream registry host as image references name it, the file's directory: `docker.io`,
   * `ghcr.io`, ...; a token when only known at deploy time.
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
