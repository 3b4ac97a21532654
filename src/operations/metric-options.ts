import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * Options of `metricPulls`: which upstream, and the metric's period, statistic and label
 * (a `SEARCH` takes no `dimensionsMap`, `unit`, `id`, `visible`, `stackAccount` or `stackRegion`).
 *
 * @remarks The statistic applies per repository, before the repositories are summed.
 */
export interface PullMetricOptions extends cloudwatch.MetricOptions {
  /**
   * The prefix of the upstream whose pulls are counted.
   *
   * @default - the pulls of every upstream of the cache
   */
  readonly prefix?: string;
}
