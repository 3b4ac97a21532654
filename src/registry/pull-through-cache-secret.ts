import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { api, throwIfInvalid } from '../core/private/diagnostics';
import { PULL_THROUGH_CACHE_SECRET_PREFIX } from '../core/private/rules';

/**
 * Properties of a `PullThroughCacheSecret`.
 */
export interface PullThroughCacheSecretProps {
  /**
   * The secret's name after `ecr-pullthroughcache/`, e.g. `dockerio`: letters, digits and `/_+=.@-`.
   * A name that already has the prefix is refused, not shortened.
   */
  readonly registryName: string;

  /**
   * The user name of the upstream registry account, stored in the `username` field (not secret material).
   */
  readonly username: string;

  /**
   * The description of the secret.
   *
   * @default - a description saying which field to set
   */
  readonly description?: string;

  /**
   * What happens to the secret when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Creates the Secrets Manager secret an upstream's credentials live in, in the shape ECR's
 * pull-through cache reads: `ecr-pullthroughcache/<registryName>`, JSON `username` and
 * `accessToken`, the AWS managed key. `create` returns a plain `secretsmanager.Secret`.
 *
 * CloudFormation generates a placeholder token; put the real one after deploying, from a file only
 * you can read, never as a command-line argument:
 *
 * ```sh
 * (
 *   f=$(mktemp) || exit # a new file that only you can read (0600), outside the working directory
 *   trap 'rm -f "$f"; stty echo 2>/dev/null' EXIT
 *   trap 'exit 1' HUP INT TERM
 *   printf 'Docker Hub access token: ' >&2
 *   stty -echo 2>/dev/null
 *   IFS= read -r token && echo >&2 && [ -n "$token" ] &&
 *     printf '{"username":"my-docker-user","accessToken":"%s"}\n' "$token" > "$f" &&
 *     aws secretsmanager put-secret-value --secret-id ecr-pullthroughcache/dockerio \
 *       --secret-string "file://$f"
 * )
 * ```
 *
 * @example
 * import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * const dockerSecret: secretsmanager.ISecret = ptc.PullThroughCacheSecret.create(this, 'DockerHubSecret', {
 *   registryName: 'dockerio',
 *   username: 'my-docker-user',
 * });
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/registries.md
 */
export class PullThroughCacheSecret {
  /**
   * Create a secret for an upstream's credentials, with a generated placeholder access token.
   *
   * @param scope the scope of the secret
   * @param id the secret's construct id
   * @param props the secret's name and user name
   * @returns the secret, to give as an upstream's `credentials`
   */
  public static create(scope: Construct, id: string, props: PullThroughCacheSecretProps): secretsmanager.Secret {
    const problems: string[] = [];
    const { registryName, username } = props;
    if (!Token.isUnresolved(registryName) && registryName.startsWith(PULL_THROUGH_CACHE_SECRET_PREFIX)) {
      problems.push(
        `${api('registryName')} '${registryName}' starts with '${PULL_THROUGH_CACHE_SECRET_PREFIX}', which ${api('PullThroughCacheSecret.create')} adds itself: `
        + `the secret would be '${PULL_THROUGH_CACHE_SECRET_PREFIX}${registryName}'. Give '${registryName.slice(PULL_THROUGH_CACHE_SECRET_PREFIX.length)}'`,
      );
    } else if (!Token.isUnresolved(registryName) && !/^[a-zA-Z0-9/_+=.@-]{1,491}$/.test(registryName)) {
      problems.push(
        `${api('registryName')} '${registryName}' is invalid: `
        + 'give 1 to 491 of the characters a-z A-Z 0-9 / _ + = . @ - (the full secret name is at most 512 characters), e.g. \'dockerio\'',
      );
    }
    if (!Token.isUnresolved(username) && !username) {
      problems.push('username is empty: give the user name of the upstream registry account');
    }
    // The secret does not exist yet: its path is the scope's and the id.
    throwIfInvalid(`PullThroughCacheSecret at '${scope.node.path ? `${scope.node.path}/` : ''}${id}'`, problems);
    return new secretsmanager.Secret(scope, id, {
      secretName: `${PULL_THROUGH_CACHE_SECRET_PREFIX}${registryName}`,
      description: props.description
        ?? 'Credentials ECR pull-through cache uses for an upstream registry. Put the real accessToken after deploying.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username }),
        generateStringKey: 'accessToken',
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  private constructor() {}
}
