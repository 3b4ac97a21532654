import type { Duration } from 'aws-cdk-lib';

/**
 * Options of the boot script that makes a containerd node pull through the cache with ECR
 * credentials (`PullThroughCache.containerdNodeScript`).
 */
export interface ContainerdNodeScriptOptions {
  /**
   * The directory containerd reads registry-host configuration from (its CRI `config_path`).
   *
   * An absolute path of letters, digits and `/._-`, at least two names deep, not a system directory;
   * a token is checked on the node.
   *
   * @default '/etc/containerd/certs.d'
   * @see https://github.com/containerd/containerd/blob/main/docs/hosts.md
   */
  readonly configDirectory?: string;

  /**
   * How often the node fetches a new ECR authorization token and rewrites the `hosts.toml` files:
   * 5 minutes to 11 hours, in whole seconds (ECR tokens last 12 hours).
   *
   * @default Duration.hours(6)
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/nodes.md
   */
  readonly refreshInterval?: Duration;
}
