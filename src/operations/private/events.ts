import { Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { IConstruct } from 'constructs';
import { api } from '../../core/private/diagnostics';
import { RegistryLocation } from '../../core/private/location';
import { prefixPath } from '../../core/private/rules';

/**
 * The EventBridge events ECR sends for every pull-through cache attempt.
 *
 * Source: the ECR user guide, "Amazon ECR events and EventBridge", sample event "Event for a pull
 * through cache action": `source` `aws.ecr`, `detail-type` `ECR Pull Through Cache Action`, and in
 * `detail` the fields `sync-status` (`SUCCESS` in the sample), `ecr-repository-prefix`,
 * `repository-name`, `upstream-registry-url`, `image-tag`, `image-digest`. The schema of the event
 * in the EventBridge schema registry adds `failure-code` and `failure-reason`.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const ECR_EVENT_SOURCE = 'aws.ecr';
export const PULL_THROUGH_CACHE_DETAIL_TYPE = 'ECR Pull Through Cache Action';
/** The only `sync-status` value the ECR user guide documents (its sample event). */
export const SYNC_STATUS_SUCCESS = 'SUCCESS';

/** Where the documentation of these events lives, for error messages and docs. */
export const ECR_EVENTS_DOC = 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html';

/**
 * The values of `detail.ecr-repository-prefix` that are the cache's: each prefix as given, and
 * without its trailing `/` when it has one (ECR treats `dockercache/` as `dockercache`; the
 * documentation does not say which spelling the event carries, so both match).
 */
export function eventPrefixes(prefixes: string[]): string[] {
  const values: string[] = [];
  for (const prefix of prefixes) {
    const forms = Token.isUnresolved(prefix) ? [prefix] : [prefixPath(prefix), prefix];
    for (const form of forms) {
      if (!values.includes(form)) {
        values.push(form);
      }
    }
  }
  return values;
}

/**
 * The event pattern of the pull-through cache actions of some prefixes: every attempt, or only the
 * failed ones.
 *
 * A failure is any `sync-status` other than `SUCCESS` (`anything-but`): the user guide documents
 * only the success value, so the pattern does not guess the spelling of the failure value
 * (`FAILED`, `FAILURE`, ...) and still never matches a successful pull.
 */
export function pullThroughCacheEventPattern(prefixes: string[], failedOnly: boolean): events.EventPattern {
  const detail: Record<string, unknown> = { 'ecr-repository-prefix': eventPrefixes(prefixes) };
  if (failedOnly) {
    detail['sync-status'] = [{ 'anything-but': [SYNC_STATUS_SUCCESS] }];
  }
  return {
    source: [ECR_EVENT_SOURCE],
    detailType: [PULL_THROUGH_CACHE_DETAIL_TYPE],
    detail,
  };
}

/**
 * Why an EventBridge rule in `stack` would never see the pull-through cache events of a cache in
 * `cache`'s account and region, or undefined when it would (or when a token leaves it open).
 *
 * ECR sends the events to the default event bus of the cache's own account and region; a rule on
 * another account's or region's bus never matches them.
 */
export function eventsNotVisibleReason(cache: RegistryLocation, stack: RegistryLocation): string | undefined {
  const differs = (a: string, b: string) => !Token.isUnresolved(a) && !Token.isUnresolved(b) && a !== b;
  const problems: string[] = [];
  if (differs(cache.account, stack.account)) {
    problems.push(`account ${cache.account} (the rule's stack is in ${stack.account})`);
  }
  if (differs(cache.region, stack.region)) {
    problems.push(`region ${cache.region} (the rule's stack is in ${stack.region})`);
  }
  if (problems.length === 0) {
    return undefined;
  }
  return `the cache is in ${problems.join(' and ')}; ECR sends pull-through cache events to the default event bus `
    + 'of the cache\'s own account and region, so a rule in this stack would never match them. Create the rule in a '
    + `stack of the cache's account and region (see ${ECR_EVENTS_DOC})`;
}

/** Throw when a rule in `stack` could not see the cache's events. */
export function checkEventsVisible(cachePath: string, method: string, cache: RegistryLocation, stack: RegistryLocation): void {
  const reason = eventsNotVisibleReason(cache, stack);
  if (reason !== undefined) {
    throw new Error(`PullThroughCache at '${cachePath}': ${api(method)}: ${reason}`);
  }
}

/** What a rule on the cache's events is made of. */
export interface PullThroughCacheRuleOptions {
  readonly prefixes: string[];
  readonly failedOnly: boolean;
  readonly options?: events.OnEventOptions;
  /**
   * The cache's account and region.
   * @default - the cache's stack's
   */
  readonly cacheEnvironment?: RegistryLocation;
  /**
   * Where the rule is created.
   * @default - under the cache
   */
  readonly scope?: IConstruct;
}

/** What a rule made by `pullThroughCacheRule` counts: the actions of which cache, failures only or all. */
export interface RuleKind {
  readonly cache: IConstruct;
  readonly failedOnly: boolean;
}

/** The rules made by `pullThroughCacheRule`, so that a sync metric can check the rule it is given. */
const RULE_KINDS = new WeakMap<IConstruct, RuleKind>();

/** What a rule counts, when `pullThroughCacheRule` made it. */
export function ruleKind(rule: IConstruct): RuleKind | undefined {
  return RULE_KINDS.get(rule);
}

/**
 * A rule under `cache` on the cache's pull-through cache events, as `ecr.Repository`'s
 * `onImageScanCompleted` builds its rule: the options' pattern merged with ours, its target added.
 */
export function pullThroughCacheRule(cache: IConstruct, id: string, method: string, props: PullThroughCacheRuleOptions): events.Rule {
  const scope = props.scope ?? cache;
  const stack = Stack.of(scope);
  checkEventsVisible(cache.node.path, method, props.cacheEnvironment ?? Stack.of(cache), stack);
  const options = props.options ?? {};
  const rule = new events.Rule(scope, id, options);
  rule.addTarget(options.target);
  rule.addEventPattern(pullThroughCacheEventPattern(props.prefixes, props.failedOnly));
  RULE_KINDS.set(rule, { cache, failedOnly: props.failedOnly });
  return rule;
}
