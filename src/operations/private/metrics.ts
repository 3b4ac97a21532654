import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { IConstruct } from 'constructs';
import { RuleKind, ruleKind } from './events';
import { api, warn } from '../../core/private/diagnostics';
import { prefixPath, ROOT_PREFIX } from '../../core/private/rules';

/**
 * The CloudWatch metrics of a pull-through cache, built from what AWS documents. Each one creates
 * nothing: the EventBridge rules they read are the caller's (or the dashboard's).
 */

/**
 * ECR's repository metric: pulls of one repository.
 *
 * Namespace `AWS/ECR`, metric `RepositoryPullCount`, dimension `RepositoryName`, most useful
 * statistic `Sum`, as "Amazon ECR repository metrics" documents it.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-repository-metrics.html
 */
export const ECR_NAMESPACE = 'AWS/ECR';
export const REPOSITORY_PULL_COUNT = 'RepositoryPullCount';
export const REPOSITORY_NAME = 'RepositoryName';

/**
 * EventBridge's per-rule metric: events a rule matched.
 *
 * Namespace `AWS/Events`, metric `MatchedEvents`, dimension `RuleName` (a rule of the default event
 * bus), unit Count, `Sum` the useful statistic, as "Monitoring Amazon EventBridge" documents it.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
 */
export const EVENTS_NAMESPACE = 'AWS/Events';
export const MATCHED_EVENTS = 'MatchedEvents';

/**
 * ECR's API usage metric: `BatchGetImage` calls (one per image pull) of the whole account in the
 * region, `AWS/Usage` `CallCount` with `Class` `None`, as the Service Quotas console graphs it.
 * The quota is per second.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/monitoring-usage.html
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/operations.md
 */
export const USAGE_NAMESPACE = 'AWS/Usage';
export const CALL_COUNT = 'CallCount';
export const BATCH_GET_IMAGE_DIMENSIONS = { Service: 'ECR', Type: 'API', Resource: 'BatchGetImage', Class: 'None' };

/**
 * The longest SEARCH query CloudWatch accepts (the schema and search term between the quotes).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
 */
export const MAX_SEARCH_QUERY_LENGTH = 1024;

/** The operations guide the dashboard's text widgets link to. */
export const OPERATIONS_GUIDE_URL = 'https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/operations.md';

/**
 * A statistic as "CloudWatch statistics definitions" lists them: the named ones, a percentile
 * (`p99`, `p99.9`) or a trimmed/winsorized/percentile-rank statistic, short (`tm90`) or with a
 * range of percentages or values (`TM(10%:90%)`, `PR(:300)`).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html
 */
export const STATISTIC_PATTERN = /^(SampleCount|Average|Sum|Minimum|Maximum|IQM|[pP]\d{1,2}(\.\d+)?|(tm|tc|ts|wm|TM|TC|TS|WM)\d{1,2}(\.\d+)?|(tm|tc|ts|wm|pr|TM|TC|TS|WM|PR)\((\d+(\.\d+)?%?)?:(\d+(\.\d+)?%?)?\))$/;

/** Usage metrics are collected every minute: the BatchGetImage metric's default period. */
export const USAGE_PERIOD = Duration.minutes(1);

/** An account and a region, either of which may be a token. */
export interface Environment {
  readonly account: string;
  readonly region: string;
}

/** The account and region of a metric: the caller's, else the cache's when they are literal. */
function where(env: Environment, props: cloudwatch.MetricOptions): { account?: string; region?: string } {
  return {
    account: props.account ?? (Token.isUnresolved(env.account) ? undefined : env.account),
    region: props.region ?? (Token.isUnresolved(env.region) ? undefined : env.region),
  };
}

/**
 * A metric with the defaults (`Sum` over 5 minutes) under the caller's options. No default label,
 * as aws-cdk-lib's own metrics: a label would turn an alarm's plain metric into a metric query.
 */
function metric(env: Environment, fixed: cloudwatch.MetricProps, props: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    statistic: cloudwatch.Stats.SUM,
    ...props,
    ...where(env, props),
    namespace: fixed.namespace,
    metricName: fixed.metricName,
    dimensionsMap: fixed.dimensionsMap,
    period: props.period ?? fixed.period ?? Duration.minutes(5),
  });
}

/** `RepositoryPullCount` of one repository. */
export function repositoryPullsMetric(env: Environment, repositoryName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return metric(env, {
    namespace: ECR_NAMESPACE,
    metricName: REPOSITORY_PULL_COUNT,
    dimensionsMap: { [REPOSITORY_NAME]: repositoryName },
  }, props);
}

/** `MatchedEvents` of one rule. */
export function matchedEventsMetric(rule: events.IRule, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return metric(rule.env, {
    namespace: EVENTS_NAMESPACE,
    metricName: MATCHED_EVENTS,
    dimensionsMap: { RuleName: rule.ruleName },
  }, props);
}

/** `CallCount` of `BatchGetImage`, Sum over 1 minute. */
export function batchGetImageMetric(env: Environment, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return metric(env, {
    namespace: USAGE_NAMESPACE,
    metricName: CALL_COUNT,
    dimensionsMap: BATCH_GET_IMAGE_DIMENSIONS,
    period: USAGE_PERIOD,
  }, props);
}

/**
 * The words of a prefix as CloudWatch's search matches them: its runs of letters and digits
 * (`hub/ghcr` is `hub` and `ghcr`). A search term without quotes matches these partially.
 */
export function prefixWords(prefix: string): string[] {
  return prefixPath(prefix).split(/[^a-z0-9]+/).filter(w => w.length > 0);
}

/**
 * The prefixes whose repositories the search of `prefix` would count too: with ROOT every other
 * prefix, else those whose words include all of `prefix`'s and more (`docker-hub` for `docker`).
 */
export function overlappingPrefixes(prefix: string, all: string[]): string[] {
  const mine = prefixWords(prefix);
  return all.filter(q => prefixPath(q) !== prefixPath(prefix) && q !== ROOT_PREFIX && (prefix === ROOT_PREFIX
    || (prefixWords(q).length > new Set(mine).size && mine.every(w => prefixWords(q).includes(w)))));
}

/**
 * The SEARCH query (schema and search term) of the `RepositoryPullCount` of the repositories under
 * some prefixes: `{"AWS/ECR",RepositoryName} MetricName="RepositoryPullCount" AND (...)`.
 *
 * The namespace is quoted: it holds `/`, and names with characters other than letters and digits
 * must be in double quotes. Each prefix is the AND of its words as partial matches on
 * `RepositoryName`, the prefixes joined by OR; ROOT (every repository) adds no term. `excluded`
 * prefixes (see `overlappingPrefixes`) are taken out with `AND NOT (...)`.
 */
export function pullsSearchQuery(prefixes: string[], excluded: string[] = []): string {
  const schema = `{"${ECR_NAMESPACE}",${REPOSITORY_NAME}} MetricName="${REPOSITORY_PULL_COUNT}"`;
  const term = (p: string) => prefixWords(p).map(w => `${REPOSITORY_NAME}=${w}`).join(' AND ');
  const not = excluded.map(p => ` AND NOT (${term(p)})`).join('');
  if (prefixes.includes(ROOT_PREFIX)) {
    return `${schema}${not}`;
  }
  const terms = prefixes.map(term);
  return `${schema} AND (${terms.map(t => (terms.length > 1 && t.includes(' AND ') ? `(${t})` : t)).join(' OR ')})${not}`;
}

/** The periods CloudWatch accepts: 1, 5, 10, 30 or a multiple of 60 seconds. */
function validPeriod(seconds: number): boolean {
  return [1, 5, 10, 30].includes(seconds) || (seconds > 0 && seconds % 60 === 0);
}

/** Why the pulls of some prefixes cannot be searched for, or undefined when they can. */
export function pullsSearchProblem(prefixes: string[], statistic: string, period: Duration, excluded: string[] = []): string | undefined {
  const tokens = prefixes.filter(p => Token.isUnresolved(p));
  if (tokens.length > 0) {
    return `prefix: a token (${tokens.join(', ')}) has no words to search for; SEARCH needs literal prefixes: give the upstream a literal prefix, or graph ${api('metricRepositoryPulls')}`;
  }
  if (!STATISTIC_PATTERN.test(statistic)) {
    return `statistic: '${statistic}' is not a CloudWatch statistic: give one such as 'Sum', 'p99' or 'TM(10%:90%)' (cloudwatch.Stats)`;
  }
  const seconds = period.toSeconds();
  if (!Token.isUnresolved(seconds) && !validPeriod(seconds)) {
    return `period: ${seconds} seconds; a SEARCH takes 1, 5, 10, 30 or a multiple of 60 seconds: round it to one of those`;
  }
  const query = pullsSearchQuery(prefixes, excluded);
  if (query.length > MAX_SEARCH_QUERY_LENGTH) {
    return `prefix: the SEARCH query of ${prefixes.length} prefixes is ${query.length} characters, CloudWatch accepts at most `
      + `${MAX_SEARCH_QUERY_LENGTH}; give a prefix (one upstream's pulls)`;
  }
  return undefined;
}

/**
 * The client pulls of the repositories under some prefixes, summed into one time series:
 * `SUM(SEARCH('<query>', '<statistic>', <period>))`.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 */
export function pullsExpression(
  env: Environment, prefixes: string[], label: string, props: cloudwatch.MetricOptions = {}, excluded: string[] = [],
): cloudwatch.MathExpression {
  const period = props.period ?? Duration.minutes(5);
  const statistic = props.statistic ?? cloudwatch.Stats.SUM;
  const { account, region } = where(env, props);
  return new cloudwatch.MathExpression({
    expression: `SUM(SEARCH('${pullsSearchQuery(prefixes, excluded)}', '${statistic}', ${period.toSeconds()}))`,
    usingMetrics: {},
    period,
    label: props.label ?? label,
    color: props.color,
    searchAccount: account,
    searchRegion: region,
  });
}

/**
 * Check that a rule counts what a sync metric is named for: report a rule of another cache or of
 * the other kind as a problem, warn about a rule this library did not make.
 *
 * @returns the problem, or undefined
 */
export function syncRuleProblem(cache: IConstruct, method: string, rule: events.IRule, failedOnly: boolean): string | undefined {
  const kind: RuleKind | undefined = ruleKind(rule);
  const maker = api(failedOnly ? 'onPullFailure' : 'onPullThroughCacheAction');
  if (kind === undefined) {
    warn(cache, 'syncMetricRule', `${api(method)}: the rule '${rule.node.path}' was not made by ${maker}, so the metric counts whatever `
      + `it matches; make it with ${api(`cache.${failedOnly ? 'onPullFailure' : 'onPullThroughCacheAction'}()`)} to count ${failedOnly ? 'failed syncs' : 'syncs'} of this cache (a rule on a custom event bus also needs the `
      + 'EventBusName dimension, which this metric does not set)');
    return undefined;
  }
  if (kind.cache !== cache) {
    return `rule: '${rule.node.path}' watches the cache at '${kind.cache.node.path}', not this one: give a rule this cache's ${maker} made`;
  }
  if (kind.failedOnly !== failedOnly) {
    return `rule: '${rule.node.path}' was made by ${api(kind.failedOnly ? 'onPullFailure' : 'onPullThroughCacheAction')}; `
      + `${api(method)} counts the matches of a rule made by ${maker}: give it such a rule`;
  }
  return undefined;
}
