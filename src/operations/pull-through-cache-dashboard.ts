import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { eventsNotVisibleReason, pullThroughCacheRule } from './private/events';
import { api, fieldProblem, throwIfInvalid } from '../core/private/diagnostics';
import { prefixPath } from '../core/private/rules';
import { IPullThroughCache } from '../core/pull-through-cache-base';
import { OPERATIONS_GUIDE_URL, pullsSearchProblem } from './private/metrics';

/**
 * Properties of a `PullThroughCacheDashboard`.
 */
export interface PullThroughCacheDashboardProps {
  /**
   * The cache to show: created by this app or imported, in the account and region of the
   * dashboard's stack (ECR sends its events and metrics there).
   */
  readonly cache: IPullThroughCache;

  /**
   * Alarms whose state the dashboard shows. The dashboard creates no alarm.
   *
   * @default - no alarm status widget
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * The name of the dashboard: letters, digits, `-` and `_`.
   *
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;

  /**
   * A dashboard of yours to add the widgets to, instead of creating one.
   *
   * @default - a new `cloudwatch.Dashboard`
   */
  readonly dashboard?: cloudwatch.Dashboard;
}

/**
 * A CloudWatch dashboard of a pull-through cache: pulls and failed upstream syncs per upstream,
 * totals against the account's `BatchGetImage` quota, and your alarms' state. Creates a dashboard
 * (unless given `dashboard`) and the EventBridge rules its sync graphs count.
 *
 * @example
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * declare const cache: ptc.PullThroughCache;
 *
 * new ptc.PullThroughCacheDashboard(this, 'CacheDashboard', { cache });
 *
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/operations.md
 */
export class PullThroughCacheDashboard extends Construct {
  /** The dashboard the widgets are on. */
  public readonly dashboard: cloudwatch.Dashboard;

  /** The rule that counts every upstream sync of the cache (`metricSyncs`). */
  public readonly syncRule: events.Rule;

  /** The rule that counts the failed upstream syncs of the cache (`metricSyncFailures`). */
  public readonly syncFailureRule: events.Rule;

  constructor(scope: Construct, id: string, props: PullThroughCacheDashboardProps) {
    super(scope, id);
    const cache = props.cache;
    // Every problem is reported before the first resource exists.
    throwIfInvalid(`PullThroughCacheDashboard at '${this.node.path}'`, dashboardProblems(this, props));

    const rule = (ruleId: string, prefixes: string[], failedOnly: boolean, description: string) =>
      pullThroughCacheRule(cache, ruleId, 'PullThroughCacheDashboard', {
        prefixes, failedOnly, scope: this, cacheEnvironment: cache.env, options: { description },
      });
    this.syncRule = rule('Syncs', cache.prefixes, false, `Upstream syncs of ${cache.node.path}, counted by ${this.node.path}`);
    this.syncFailureRule = rule('SyncFailures', cache.prefixes, true, `Failed upstream syncs of ${cache.node.path}, counted by ${this.node.path}`);

    this.dashboard = props.dashboard ?? new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 6, height: 6, leftYAxis: { min: 0 }, ...options });

    this.dashboard.addWidgets(new cloudwatch.TextWidget({
      markdown: `# Pull-through cache ${cache.node.path}\nRegistry \`${cache.registryDomain}\`, upstreams ${cache.prefixes.map(p => `\`${p}\``).join(', ')}. `
        + `What each graph shows and where its data comes from: [Operating the cache](${OPERATIONS_GUIDE_URL}).`,
      width: 24,
      height: 3,
    }));

    // The quota is per second: the calls of each minute divided by its length (PERIOD), against
    // SERVICE_QUOTA, both metric math functions of
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
    const calls = cache.metricBatchGetImageCalls();
    const minute = Duration.minutes(1);
    this.dashboard.addWidgets(
      text('## All upstreams\n**Pulls by upstream**: client pulls of the cached repositories (`AWS/ECR` `RepositoryPullCount`), stacked. '
        + '**BatchGetImage per second**: pulls of the whole account and region (`AWS/Usage` `CallCount`) against the quota. '
        + '**Upstream syncs**: ECR caching an image from an upstream, and the syncs that failed (`AWS/Events` `MatchedEvents`).'),
      graph('Pulls by upstream', cache.prefixes.map(p => cache.metricPulls({ prefix: p, label: prefixPath(p) })), { stacked: true }),
      graph('BatchGetImage per second (account) vs quota', [
        new cloudwatch.MathExpression({ expression: 'calls / PERIOD(calls)', usingMetrics: { calls }, label: 'BatchGetImage calls per second', period: minute }),
        new cloudwatch.MathExpression({ expression: 'SERVICE_QUOTA(calls)', usingMetrics: { calls }, label: 'Quota (per second)', period: minute }),
      ]),
      graph('Upstream syncs', [
        cache.metricSyncs(this.syncRule, { label: 'Syncs' }),
        cache.metricSyncFailures(this.syncFailureRule, { label: 'Failed syncs' }),
      ]),
    );

    if (props.alarms && props.alarms.length > 0) {
      this.dashboard.addWidgets(
        text('## Alarms\nThe state of the alarms given to the dashboard (it creates none). See the guide for alarms on these metrics.', 3),
        new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 18, height: 3 }),
      );
    }

    for (const upstream of cache.upstreams) {
      const prefix = prefixPath(upstream.prefix);
      const failures = rule(`SyncFailures:${prefix.replace(/\//g, '+')}`, [upstream.prefix], true,
        `Failed upstream syncs of ${prefix} (${cache.node.path}), counted by ${this.node.path}`);
      this.dashboard.addWidgets(
        text(`## \`${prefix}\` ← \`${upstream.registry.url}\`\n**Pulls**: client pulls of \`${prefix}/*\`, summed. `
          + '**Failed syncs**: images ECR could not fetch from the upstream (expired token, upstream down, missing image).'),
        graph(`Pulls through ${prefix}`, [cache.metricPulls({ prefix: upstream.prefix, label: 'Pulls' })], { width: 9 }),
        graph(`Failed syncs of ${prefix}`, [cache.metricSyncFailures(failures, { label: 'Failed syncs' })], { width: 9 }),
      );
    }
  }
}

/** A text widget of the first column. */
function text(markdown: string, height = 6): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({ markdown, width: 6, height });
}

/** What is wrong with the dashboard's properties: each problem names its field. */
function dashboardProblems(dashboard: Construct, props: PullThroughCacheDashboardProps): string[] {
  const problems: string[] = [];
  for (const stack of new Set([Stack.of(dashboard), ...(props.dashboard ? [Stack.of(props.dashboard)] : [])])) {
    const reason = eventsNotVisibleReason(props.cache.env, stack);
    if (reason !== undefined) {
      problems.push(`cache: ${reason}; the dashboard's rules and metrics must be there too (stack '${stack.node.path}')`);
    }
  }
  // Each upstream's pulls graph searches for its prefix (a token has no words to search for).
  for (const prefix of props.cache.prefixes) {
    const problem = pullsSearchProblem([prefix], cloudwatch.Stats.SUM, Duration.minutes(5));
    if (problem !== undefined) {
      problems.push(`cache: the pulls of upstream ${prefix} cannot be graphed: ${problem}`);
    }
  }
  const name = props.dashboardName;
  if (name !== undefined && props.dashboard !== undefined) {
    problems.push(fieldProblem('dashboardName', 'the widgets go to `dashboard`, which has its own name: give the name to that dashboard, and drop '
      + `${api('dashboardName')} here`));
  } else if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    problems.push(fieldProblem('dashboardName', `'${name}' is not 1 to 255 letters, digits, '-' or '_': rename it`));
  }
  return problems;
}
