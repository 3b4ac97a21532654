import { Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { api } from '../../core/private/diagnostics';
import { PULL_THROUGH_CACHE_SECRET_PREFIX } from '../../core/private/rules';
import { UpstreamAuthentication, type UpstreamRegistry } from '../upstream-registry';

/** What is wrong with an upstream's `credentials`: missing, not taken, or a secret ECR cannot read. */
export function credentialProblems(registry: UpstreamRegistry, secret: secretsmanager.ISecret | undefined): string[] {
  if (!secret) {
    return registry.authentication === UpstreamAuthentication.REQUIRED
      ? [`credentials are missing: ECR requires a Secrets Manager secret named '${PULL_THROUGH_CACHE_SECRET_PREFIX}<name>' `
        + `with 'username' and 'accessToken' for ${registry.url}; give \`credentials\`: ${api('PullThroughCacheSecret.create')} makes such a secret`]
      : [];
  }
  if (registry.authentication !== UpstreamAuthentication.REQUIRED) {
    const instead = registry.authentication === UpstreamAuthentication.IAM_ROLE ? '; an ECR upstream uses its role instead' : '';
    return [`credentials were given but ${registry.url} takes none${instead}; remove credentials`];
  }

  const problems: string[] = [];
  const name = knownSecretName(secret);
  if (name === null) {
    problems.push(
      `credentials: the secret has no name, so CloudFormation would generate one; ECR needs a name starting with '${PULL_THROUGH_CACHE_SECRET_PREFIX}': `
      + `set ${api('secretName')}, or use ${api('PullThroughCacheSecret.create')}`,
    );
  } else if (name !== undefined && !name.startsWith(PULL_THROUGH_CACHE_SECRET_PREFIX)) {
    problems.push(`credentials: secret name '${name}' does not start with '${PULL_THROUGH_CACHE_SECRET_PREFIX}', which ECR requires: `
      + `use a secret named '${PULL_THROUGH_CACHE_SECRET_PREFIX}<name>' (${api('PullThroughCacheSecret.create')} makes one)`);
  }
  if (secret.encryptionKey) {
    problems.push(
      'credentials: the secret is encrypted with a customer-managed KMS key; ECR reads pull-through cache secrets only when they use the AWS managed key (aws/secretsmanager): '
      + `drop the secret's ${api('encryptionKey')}`,
    );
  }
  if (secret.secretFullArn === undefined) {
    problems.push(
      'credentials: the secret was imported without its complete ARN (by name or partial ARN), but ECR needs the full ARN with its 6-character suffix; '
      + `import it with ${api('Secret.fromSecretCompleteArn')}(scope, id, 'arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>-AbCdEf')`,
    );
  }
  return problems;
}

/**
 * The secret's name when it can be known at synth time; `undefined` when it is a token (the
 * check is skipped); `null` for a secret this app creates without a name.
 */
function knownSecretName(secret: secretsmanager.ISecret): string | undefined | null {
  const resource = secret.node.defaultChild;
  if (resource instanceof secretsmanager.CfnSecret) {
    // A Secret without secretName still has a `name`: a token that resolves to nothing.
    if (resource.name === undefined || Stack.of(resource).resolve(resource.name) === undefined) {
      return null;
    }
    return Token.isUnresolved(resource.name) ? undefined : resource.name;
  }
  return Token.isUnresolved(secret.secretName) ? undefined : secret.secretName;
}
