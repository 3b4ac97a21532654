import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PULL_THROUGH_CACHE_SECRET_PREFIX } from './private/rules';
import { describeValue, isRecord } from './private/values';

/**
 * Properties of a `PullThroughCacheSecret`.
 */
export interface PullThroughCacheSecretProps {
  /**
   * The secret's name after `ecr-pullthroughcache/`, e.g. `dockerio` for
   * `ecr-pullthroughcache/dockerio`: letters, digits and `/_+=.@-`.
   */
  readonly registryName: string;

  /**
   * The user name of the upstream registry account, stored in the `username` field.
   *
   * A user name is not secret material; the access token is never in the template.
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
 * A Secrets Manager secret in the shape ECR's pull-through cache reads: named
 * `ecr-pullthroughcache/<registryName>`, a JSON object with `username` and `accessToken`,
 * encrypted with the AWS managed key.
 *
 * The access token is not in the template: CloudFormation generates a random placeholder, and you
 * put the real token once after deploying:
 *
 * ```sh
 * aws secretsmanager put-secret-value --secret-id ecr-pullthroughcache/dockerio \
 *   --secret-string '{"username":"me","accessToken":"dckr_pat_..."}'
 * ```
 *
 * Later deployments keep the value you put, unless `username` changes: CloudFormation then
 * generates a new value and you put the token again.
 *
 * @example
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * const dockerSecret = new ptc.PullThroughCacheSecret(this, 'DockerHubSecret', {
 *   registryName: 'dockerio',
 *   username: 'my-docker-user',
 * });
 */
export class PullThroughCacheSecret extends secretsmanager.Secret {
  constructor(scope: Construct, id: string, props: PullThroughCacheSecretProps) {
    // The construct does not exist yet: its path is the scope's and the id.
    const path = scope?.node?.path ? `${scope.node.path}/${id}` : id;
    const fail = (problem: string): never => {
      throw new Error(`PullThroughCacheSecret at '${path}': ${problem}`);
    };
    if (!isRecord(props)) {
      fail(`props ${describeValue(props)} is not an object; give { registryName, username }`);
    }
    const registryName: unknown = props.registryName;
    if (typeof registryName !== 'string') {
      fail(`registryName ${describeValue(registryName)} is not a string`);
    } else if (!Token.isUnresolved(registryName) && !/^[a-zA-Z0-9/_+=.@-]{1,491}$/.test(registryName)) {
      fail(
        `registryName '${registryName}' is invalid: `
        + '1 to 491 of the characters a-z A-Z 0-9 / _ + = . @ - (the full secret name is at most 512 characters)',
      );
    }
    const username: unknown = props.username;
    if (typeof username !== 'string') {
      fail(`username ${describeValue(username)} is not a string`);
    } else if (!Token.isUnresolved(username) && !username) {
      fail('username is empty: give the user name of the upstream registry account');
    }
    if (props.description !== undefined && typeof props.description !== 'string') {
      fail(`description ${describeValue(props.description)} is not a string`);
    }
    super(scope, id, {
      secretName: `${PULL_THROUGH_CACHE_SECRET_PREFIX}${registryName}`,
      description: props.description
        ?? 'Credentials ECR pull-through cache uses for an upstream registry. Put the real accessToken after deploying.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: props.username }),
        generateStringKey: 'accessToken',
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
