import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { api } from '../core/private/diagnostics';
import { registryDomain } from '../core/private/location';
import { ACCOUNT_ID_PATTERN, PREFIX_MAX_LENGTH, REGION_PATTERN, PREFIX_MIN_LENGTH, PREFIX_PATTERN, PREFIX_RULE, ROOT_PREFIX } from '../core/private/rules';

/**
 * Whether an upstream registry takes a Secrets Manager secret with credentials.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
 */
export enum UpstreamAuthentication {
  /** The upstream registry needs credentials: a rule without a secret is rejected. */
  REQUIRED = 'REQUIRED',
  /** The upstream registry is public: a rule takes no secret. */
  NONE = 'NONE',
  /** The upstream registry is reached with an IAM role (ECR to ECR): no secret, `role` instead. */
  IAM_ROLE = 'IAM_ROLE',
}

/**
 * Where an ECR-to-ECR pull-through cache pulls from.
 */
export interface EcrUpstreamOptions {
  /**
   * The IAM role ECR assumes to pull from the upstream registry (the rule's `CustomRoleArn`):
   * in the cache's account, trusting `pullthroughcache.ecr.amazonaws.com`. Not needed to import a cache.
   *
   * @default - none: a cache created with this upstream reports it missing
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-private.html
   */
  readonly role?: iam.IRole;

  /**
   * The account of the upstream private registry.
   *
   * @default - the cache's account: its stack's, or the imported cache's `account`
   */
  readonly account?: string;

  /**
   * The region of the upstream private registry.
   *
   * @default - the cache's region: its stack's, or the imported cache's `region`
   */
  readonly region?: string;

  /**
   * Only repositories under this prefix of the upstream registry are pulled through
   * (the rule's `UpstreamRepositoryPrefix`).
   *
   * @default - every repository of the upstream registry (`ROOT`)
   */
  readonly repositoryPrefix?: string;
}

/**
 * The upstreams of a fixed URL, one row per factory: URL, `UpstreamRegistry` type, authentication,
 * default prefix, and the host an image reference names (Docker Hub's differs from its URL).
 */
const FIXED_REGISTRIES = {
  ecrPublic: fixed('public.ecr.aws', 'ecr-public', UpstreamAuthentication.NONE, 'ecrpubliccache'),
  kubernetes: fixed('registry.k8s.io', 'k8s', UpstreamAuthentication.NONE, 'k8scache'),
  quay: fixed('quay.io', 'quay', UpstreamAuthentication.NONE, 'quaycache'),
  dockerHub: fixed('registry-1.docker.io', 'docker-hub', UpstreamAuthentication.REQUIRED, 'dockercache', 'docker.io'),
  githubContainerRegistry: fixed('ghcr.io', 'github-container-registry', UpstreamAuthentication.REQUIRED, 'ghcrcache'),
  gitlabContainerRegistry: fixed('registry.gitlab.com', 'gitlab-container-registry', UpstreamAuthentication.REQUIRED, 'gitlabcache'),
  chainguard: fixed('cgr.dev', 'chainguard', UpstreamAuthentication.REQUIRED, 'chainguardcache'),
};

/** A row of `FIXED_REGISTRIES`: its hosts are its URL unless given. */
function fixed(url: string, registryType: string, authentication: UpstreamAuthentication, defaultPrefix: string, host = url): RegistrySpec {
  return { url, registryType, authentication, defaultPrefix, hosts: [host] };
}

/**
 * An upstream container registry that Amazon ECR can cache.
 *
 * One static factory per upstream that ECR supports; each carries the registry's URL, the
 * `UpstreamRegistry` value CloudFormation takes, whether it needs credentials, and the
 * repository prefix used when an upstream is given none.
 *
 * @example
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * const dockerHub = ptc.UpstreamRegistry.dockerHub();
 * // dockerHub.url === 'registry-1.docker.io', dockerHub.defaultPrefix === 'dockercache'
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/registries.md
 */
export class UpstreamRegistry {
  /** Amazon ECR Public Gallery (`public.ecr.aws`). Takes no credentials. */
  public static ecrPublic(): UpstreamRegistry {
    return new UpstreamRegistry(FIXED_REGISTRIES.ecrPublic);
  }

  /** The Kubernetes container image registry (`registry.k8s.io`). Takes no credentials. */
  public static kubernetes(): UpstreamRegistry {
    return new UpstreamRegistry(FIXED_REGISTRIES.kubernetes);
  }

  /** Quay (`quay.io`). Public repositories only: ECR takes no credentials for Quay. */
  public static quay(): UpstreamRegistry {
    return new UpstreamRegistry(FIXED_REGISTRIES.quay);
  }

  /**
   * Docker Hub (`registry-1.docker.io`). ECR requires credentials: a Docker Hub user name and
   * access token in a secret.
   */
  public static dockerHub(): UpstreamRegistry {
    return new UpstreamRegistry(FIXED_REGISTRIES.dockerHub);
  }

  /**
   * GitHub Container Registry (`ghcr.io`). ECR requires credentials: a GitHub user name and
   * a personal access token (classic, with `read:packages`) in a secret.
   */
  public static githubContainerRegistry(): UpstreamRegistry {
    return new UpstreamRegistry(FIXED_REGISTRIES.githubContainerRegistry);
  }

  /**
   * GitLab Container Registry (`registry.gitlab.com`). ECR requires credentials: a GitLab
   * user name and access token in a secret.
   */
  public static gitlabContainerRegistry(): UpstreamRegistry {
    return new UpstreamRegistry(FIXED_REGISTRIES.gitlabContainerRegistry);
  }

  /**
   * Microsoft Azure Container Registry (`<registryName>.azurecr.io`). ECR requires credentials.
   *
   * @param registryName the registry's name: 5 to 50 alphanumeric characters
   * @see https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcontainerregistry
   */
  public static azureContainerRegistry(registryName: string): UpstreamRegistry {
    const problems: string[] = [];
    if (!Token.isUnresolved(registryName) && !/^[a-zA-Z0-9]{5,50}$/.test(registryName)) {
      problems.push(
        `${api('registryName')} '${registryName}' is not a valid Azure Container Registry name: give its 5 to 50 alphanumeric characters, `
        + 'the part of <name>.azurecr.io before the first dot',
      );
    }
    return new UpstreamRegistry({
      url: `${Token.isUnresolved(registryName) ? registryName : registryName.toLowerCase()}.azurecr.io`,
      registryType: 'azure-container-registry',
      authentication: UpstreamAuthentication.REQUIRED,
      defaultPrefix: 'azurecache',
      hosts: Token.isUnresolved(registryName) ? [] : [`${registryName.toLowerCase()}.azurecr.io`],
      problems,
    });
  }

  /** Chainguard Registry (`cgr.dev`). ECR requires credentials: a Chainguard pull token in a secret. */
  public static chainguard(): UpstreamRegistry {
    return new UpstreamRegistry(FIXED_REGISTRIES.chainguard);
  }

  /**
   * A private Amazon ECR registry, in another region and/or account of the same partition.
   *
   * ECR reaches it with an IAM role instead of a secret.
   *
   * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-private.html
   */
  public static ecr(options: EcrUpstreamOptions): UpstreamRegistry {
    const problems: string[] = [];
    if (options.account === undefined && options.region === undefined) {
      problems.push('neither account nor region is given, so the upstream would be the cache\'s own registry; '
        + 'an ECR upstream is a registry in another account and/or region: give account, region or both');
    }
    if (options.account !== undefined && !Token.isUnresolved(options.account) && !ACCOUNT_ID_PATTERN.test(options.account)) {
      problems.push(`account '${options.account}' is not a 12-digit AWS account ID: give the upstream registry's account`);
    }
    if (options.region !== undefined && !Token.isUnresolved(options.region) && !REGION_PATTERN.test(options.region)) {
      problems.push(`region '${options.region}' is not an AWS region name: give the upstream registry's region, such as 'us-east-1'`);
    }
    const upstreamPrefix = options.repositoryPrefix;
    if (upstreamPrefix !== undefined && !Token.isUnresolved(upstreamPrefix) && upstreamPrefix !== ROOT_PREFIX
      && !(upstreamPrefix.length >= PREFIX_MIN_LENGTH && upstreamPrefix.length <= PREFIX_MAX_LENGTH && PREFIX_PATTERN.test(upstreamPrefix))) {
      problems.push(`${api('repositoryPrefix')} '${upstreamPrefix}' is invalid; an upstream repository prefix is ROOT or ${PREFIX_RULE}`);
    }
    const url = registryDomain(options.account ?? Aws.ACCOUNT_ID, options.region ?? Aws.REGION, Aws.URL_SUFFIX);
    return new UpstreamRegistry({
      url,
      registryType: 'ecr',
      authentication: UpstreamAuthentication.IAM_ROLE,
      defaultPrefix: 'ecrcache',
      hosts: Token.isUnresolved(url) ? [] : [url],
      role: options.role,
      upstreamRepositoryPrefix: options.repositoryPrefix,
      problems,
      ecrTarget: { account: options.account, region: options.region },
    });
  }

  /** The upstream registry URL, the rule's `UpstreamRegistryUrl` (may be a token for `ecr()`). */
  public readonly url: string;

  /** The rule's `UpstreamRegistry` value, e.g. `docker-hub`. */
  public readonly registryType: string;

  /** Whether this upstream takes credentials. */
  public readonly authentication: UpstreamAuthentication;

  /** The ECR repository prefix used when an upstream definition gives none. */
  public readonly defaultPrefix: string;

  /** The IAM role ECR assumes to reach an ECR upstream. */
  public readonly role?: iam.IRole;

  /** The prefix of the upstream repositories an ECR upstream is limited to. */
  public readonly upstreamRepositoryPrefix?: string;

  /**
   * Registry hosts (as an image reference names them, normalized) that this upstream serves.
   * @internal
   */
  public readonly _hosts: string[];

  /**
   * Problems found in the factory's arguments, reported with the upstream's prefix by the cache.
   * @internal
   */
  public readonly _problems: string[];

  /** For `ecr()`: the account and region as given (undefined: the cache's stack's). */
  private readonly ecrTarget?: { readonly account?: string; readonly region?: string };

  private constructor(spec: RegistrySpec) {
    this.url = spec.url;
    this.registryType = spec.registryType;
    this.authentication = spec.authentication;
    this.defaultPrefix = spec.defaultPrefix;
    this.role = spec.role;
    this.upstreamRepositoryPrefix = spec.upstreamRepositoryPrefix;
    this._hosts = [...spec.hosts];
    this._problems = spec.problems ?? [];
    this.ecrTarget = spec.ecrTarget;
  }

  /**
   * This upstream as a cache in `cacheAccount` and `cacheRegion` sees it: an `ecr()` upstream's
   * omitted account or region become the cache's; it must not be the cache's own registry.
   *
   * @internal
   */
  public _bind(scope: IConstruct, cacheAccount: string, cacheRegion: string): UpstreamRegistry {
    if (!this.ecrTarget) {
      return this;
    }
    const account = this.ecrTarget.account ?? cacheAccount;
    const region = this.ecrTarget.region ?? cacheRegion;
    const problems = [...this._problems];
    const literal = (value: string) => !Token.isUnresolved(value);
    if (literal(account) && literal(region) && literal(cacheAccount) && literal(cacheRegion)
      && account === cacheAccount && region === cacheRegion) {
      problems.push(`account ${account} and region ${region} are the cache's own registry; an ECR upstream is a registry in another account and/or region: `
        + 'give the upstream\'s account and region');
    }
    const url = registryDomain(account, region, Stack.of(scope).urlSuffix);
    return new UpstreamRegistry({
      url,
      registryType: this.registryType,
      authentication: this.authentication,
      defaultPrefix: this.defaultPrefix,
      hosts: Token.isUnresolved(url) ? [] : [url],
      role: this.role,
      upstreamRepositoryPrefix: this.upstreamRepositoryPrefix,
      problems,
    });
  }
}

interface RegistrySpec {
  readonly url: string;
  readonly registryType: string;
  readonly authentication: UpstreamAuthentication;
  readonly defaultPrefix: string;
  readonly hosts: string[];
  readonly role?: iam.IRole;
  readonly upstreamRepositoryPrefix?: string;
  readonly problems?: string[];
  readonly ecrTarget?: { readonly account?: string; readonly region?: string };
}
