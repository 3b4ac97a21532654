import { ContextProvider, DefaultStackSynthesizer, Stack, Token } from 'aws-cdk-lib';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import { Construct } from 'constructs';
import { api, throwIfInvalid, Warning } from '../../core/private/diagnostics';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from '../../core/private/rules';
import type { CacheUpstream } from '../upstream';
import type { UpstreamRegistry } from '../upstream-registry';

/*
 * How `PullThroughCache.fromLookup` finds the central cache's rules, and why so.
 *
 * The CDK's Cloud Control context provider (`cc-api-provider`, `CcApiContextQuery` in
 * @aws-cdk/cloud-assembly-schema lib/cloud-assembly/context-queries.d.ts), as
 * `ecr.Repository.fromLookup` uses it (aws-cdk-lib 2.257 aws-ecr/lib/repository.js): the app asks
 * through `ContextProvider.getValue`, gets the `dummyValue` on the first pass and reports the query
 * as missing context; the CLI answers it and synthesizes again.
 *
 * The CLI's provider (@aws-cdk/toolkit-lib lib/context-providers/cc-api-provider.ts, bundled in
 * aws-cdk 2.1115 lib/index.js): `exactIdentifier` calls Cloud Control `GetResource`,
 * `propertyMatch` calls `ListResources` (every page) and filters; each result is
 * `propertiesToReturn` picked from the returned model plus `Identifier`, and a listed property the
 * model lacks fails the whole lookup (`findJsonValue` throws). `expectedMatchCount: 'any'` (the
 * default) commits `[]` when nothing matches.
 *
 * `AWS::ECR::PullThroughCacheRule`'s registry schema (hashicorp/terraform-provider-awscc
 * internal/service/cloudformation/schemas/AWS_ECR_PullThroughCacheRule.json; cfn-lint 1.51 ships
 * the same): primaryIdentifier `EcrRepositoryPrefix`; a `list` handler (ecr:DescribePullThroughCacheRules);
 * writeOnlyProperties `CredentialArn`, `UpstreamRegistry`, `CustomRoleArn`, which Cloud Control
 * never returns, from GetResource or ListResources. What a listed model carries besides the
 * identifier is up to the handler (StackQL's awscc provider documents "list (identifiers only)").
 *
 * So the lookup asks only what is certain to be there:
 * 1. ListResources, `propertiesToReturn: ['EcrRepositoryPrefix']`: every rule's prefix;
 * 2. per prefix, GetResource (`exactIdentifier`), `['UpstreamRegistryUrl']` (a required property,
 *    returned by the read handler): the upstream is told by its URL, the registry type being
 *    write-only;
 * 3. per ECR upstream only, GetResource `['UpstreamRepositoryPrefix']`: ECR reports `ROOT` when a
 *    rule has none (API_PullThroughCacheRule); other upstreams have none, so it is not asked.
 * The CLI runs the rounds one after the other (it synthesizes again while new context is missing).
 *
 * The lookup role: the CLI assumes the `lookupRoleArn` the stack's synthesizer puts on every
 * missing context (aws-cdk-lib core/lib/stack.js `_synthesizeTemplate`: it overrides the query's
 * own), `cdk-<qualifier>-lookup-role-<stack account>-<stack region>` for the default synthesizer,
 * in the query's region. A lookup in another account therefore needs the stack's lookup role to be
 * one of that account: checked below, before the CLI would read the wrong account.
 */

/** The name users call, in TypeScript and Python. */
export const LOOKUP_METHOD = api('PullThroughCache.fromLookup');

const ATTRIBUTES_METHOD = api('PullThroughCache.fromPullThroughCacheAttributes');

const RULE_TYPE = 'AWS::ECR::PullThroughCacheRule';

/** A value no rule can have (prefixes are lowercase, or exactly `ROOT`): marks the dummy answer. */
const PENDING = 'LOOKUP-PENDING';

/** The upstreams with a fixed URL, matched by it. */
const fixedRegistries = (registries: typeof UpstreamRegistry): UpstreamRegistry[] => [
  registries.dockerHub(),
  registries.githubContainerRegistry(),
  registries.kubernetes(),
  registries.quay(),
  registries.ecrPublic(),
  registries.gitlabContainerRegistry(),
  registries.chainguard(),
];

const AZURE_URL = /^([a-z0-9]{5,50})\.azurecr\.io$/;
const ECR_URL = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
/** The account of a role ARN; the partition may still be the placeholder `${AWS::Partition}`. */
const ROLE_ARN_ACCOUNT = /:iam::(\d{12}):role\//;

/** What the lookup knows so far. */
export interface LookupResult {
  readonly account: string;
  readonly region: string;
  /**
   * True until the CLI has answered every query: the upstreams are then stand-ins (every
   * registry with a fixed URL, at its default prefix) so that the first synthesis succeeds.
   */
  readonly pending: boolean;
  readonly upstreams: CacheUpstream[];
  readonly warnings: Warning[];
}

/**
 * Look up the pull-through cache rules of a registry through the CDK's Cloud Control context
 * provider.
 *
 * @param scope where the imported cache will be (its stack reports the missing context)
 * @param where `<scope path>/<id>`, for messages
 * @param registries the `UpstreamRegistry` class, whose factories make the upstreams found
 */
export function lookupRules(scope: Construct, where: string, registries: typeof UpstreamRegistry, account?: string, region?: string): LookupResult {
  const stack = Stack.of(scope);
  const subject = `${LOOKUP_METHOD} at '${where}'`;
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    throw new Error(`${subject}: stack '${stack.node.path}' is environment-agnostic (its account or region is a token); `
      + 'the CDK looks up context only for a stack with a literal account and region: give the stack an env with both, '
      + `or use ${ATTRIBUTES_METHOD}`);
  }
  const lookupAccount = account ?? stack.account;
  const lookupRegion = region ?? stack.region;
  const problems: string[] = [];
  for (const [field, value, pattern, rule] of [
    ['account', lookupAccount, ACCOUNT_ID_PATTERN, 'a 12-digit AWS account ID'],
    ['region', lookupRegion, REGION_PATTERN, 'an AWS region name such as \'eu-west-1\''],
  ] as const) {
    if (Token.isUnresolved(value)) {
      problems.push(`${field} is a token (${value}); a lookup runs at synth time and needs the literal ${rule}, `
        + `or use ${ATTRIBUTES_METHOD}, which takes tokens`);
    } else if (!pattern.test(value)) {
      problems.push(`${field}: '${value}' is not ${rule}`);
    }
  }
  throwIfInvalid(subject, problems);
  checkLookupRole(stack, subject, lookupAccount, lookupRegion);

  const query = (props: Record<string, unknown>, dummy: Record<string, string>[]) => {
    const options = {
      provider: cxschema.ContextProvider.CC_API_PROVIDER,
      props: { typeName: RULE_TYPE, account: lookupAccount, region: lookupRegion, ...props },
      dummyValue: dummy,
    };
    const value = ContextProvider.getValue(scope, options).value;
    return {
      value: value as Record<string, string>[],
      pending: value === dummy,
      key: ContextProvider.getKey(scope, options).key,
    };
  };
  const pending = (): LookupResult => ({
    account: lookupAccount,
    region: lookupRegion,
    pending: true,
    upstreams: fixedRegistries(registries).map(registry => ({ registry, prefix: registry.defaultPrefix })),
    warnings: [],
  });

  const listed = query({ propertyMatch: {}, propertiesToReturn: ['EcrRepositoryPrefix'] }, [{ EcrRepositoryPrefix: PENDING }]);
  if (listed.pending) {
    return pending();
  }
  if (!Array.isArray(listed.value) || listed.value.length === 0) {
    throw new Error(`${subject}: account ${lookupAccount} has no pull-through cache rule in region ${lookupRegion}. `
      + 'Deploy the central cache (PullThroughCache) there first, or correct account and region; '
      + `the CDK keeps this answer in cdk.context.json: clear it with \`cdk context --reset "${listed.key}"\` to look again`);
  }

  const upstreams: CacheUpstream[] = [];
  const warnings: Warning[] = [];
  let waiting = false;
  for (const rule of listed.value) {
    const prefix = rule?.EcrRepositoryPrefix;
    if (typeof prefix !== 'string' || Token.isUnresolved(prefix)) {
      // Context is a file anyone can edit: a prefix must be text, and the plan then checks it as any prefix.
      throw new Error(`${subject}: the answer in cdk.context.json lists a rule whose prefix is ${JSON.stringify(prefix)}, not a prefix; `
        + `clear it with \`cdk context --reset "${listed.key}"\` to look again`);
    }
    const read = query({ exactIdentifier: prefix, propertiesToReturn: ['UpstreamRegistryUrl'] }, [{ UpstreamRegistryUrl: PENDING }]);
    if (read.pending) {
      waiting = true;
      continue;
    }
    const url = String(read.value[0]?.UpstreamRegistryUrl ?? '').toLowerCase();
    const fixed = fixedRegistries(registries).find(r => r.url === url);
    const azure = AZURE_URL.exec(url);
    const ecr = ECR_URL.exec(url);
    if (fixed) {
      upstreams.push({ registry: fixed, prefix });
    } else if (azure) {
      upstreams.push({ registry: registries.azureContainerRegistry(azure[1]), prefix });
    } else if (ecr) {
      const limited = query({ exactIdentifier: prefix, propertiesToReturn: ['UpstreamRepositoryPrefix'] }, [{ UpstreamRepositoryPrefix: PENDING }]);
      if (limited.pending) {
        waiting = true;
        continue;
      }
      const repositoryPrefix = limited.value[0]?.UpstreamRepositoryPrefix;
      upstreams.push({
        registry: registries.ecr({ account: ecr[1], region: ecr[2], repositoryPrefix: repositoryPrefix || undefined }),
        prefix,
      });
    } else {
      warnings.push({
        id: 'lookupUpstreamUnknown',
        message: `${LOOKUP_METHOD}: the rule with prefix '${prefix}' pulls from '${url}', a registry this library has no UpstreamRegistry for; `
          + `it is left out, so ${api('imageUri')} and the grants do not know it. Pull its images as <registry domain>/${prefix}/<image>`,
      });
    }
  }
  if (waiting) {
    return pending();
  }
  return { account: lookupAccount, region: lookupRegion, pending: false, upstreams, warnings };
}

/**
 * Refuse a lookup in another account than the one the stack's lookup role is in: the CLI would
 * read that account's rules instead, without a word.
 */
function checkLookupRole(stack: Stack, subject: string, account: string, region: string): void {
  if (account === stack.account || !(stack.synthesizer instanceof DefaultStackSynthesizer)) {
    return;
  }
  const role = stack.synthesizer.lookupRole;
  const roleAccount = role === undefined ? undefined : ROLE_ARN_ACCOUNT.exec(role)?.[1];
  if (roleAccount === undefined || roleAccount === account) {
    return;
  }
  throw new Error(`${subject}: the cache is in account ${account}, but the CDK CLI looks up this stack's context with its `
    + `synthesizer's lookup role, ${role}, which reads account ${roleAccount}. Give stack '${stack.node.path}' a lookup role of account ${account}: `
    + `synthesizer: new DefaultStackSynthesizer({ lookupRoleArn: 'arn:\${AWS::Partition}:iam::${account}:role/cdk-hnb659fds-lookup-role-${account}-${region}' }) `
    + '(Python: synthesizer=DefaultStackSynthesizer(lookup_role_arn=...)), and let the account that runs cdk synth assume it: '
    + `cdk bootstrap aws://${account}/${region} --trust-for-lookup <that account>. The stack's other lookups then read account ${account} too. `
    + `Without lookups, use ${ATTRIBUTES_METHOD}`);
}
