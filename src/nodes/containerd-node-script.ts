import type { Duration } from 'aws-cdk-lib';

/**
 * Options of the boot script that makes a containerd node pull through the cache with ECR
 * credentials (`PullThroughCache.containerdNodeScript`).
 */
export interface ContainerdNodeScriptOptions {
  /**
   * The directory containerd reads registry-host configuration from: containerd's CRI
   * `config_path`. The script writes `<configDirectory>/<upstream host>/hosts.toml` there.
   *
   * An absolute path of letters, digits and `/._-`, at least two names deep, no name starting
   * with `.`, and neither a system directory nor one that holds one (`/etc/systemd/system`,
   * `/etc/containerd`, `/var/lib/kubelet`, ...) nor under `/usr`, `/boot`, `/proc`, `/sys`,
   * `/dev` or `/root`: the refresh service may write it. A token is checked on the node, which
   * refuses to run with any other value.
   *
   * @default '/etc/containerd/certs.d'
   * @see https://github.com/containerd/containerd/blob/main/docs/hosts.md
   */
  readonly configDirectory?: string;

  /**
   * How often the node fetches a new ECR authorization token and rewrites the `hosts.toml` files
   * (the systemd timer's `OnActiveSec` and `OnUnitActiveSec`).
   *
   * ECR tokens last 12 hours: between 5 minutes and 11 hours, in whole seconds. On systemd
   * before 244 (Amazon Linux 2) the timer runs at most every 5 hours, so that one failed refresh
   * leaves time for the next.
   *
   * @default Duration.hours(6)
   * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html
   */
  readonly refreshInterval?: Duration;
}
