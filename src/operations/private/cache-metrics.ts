import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { IConstruct } from 'constructs';
import { api, throwIfInvalid } from '../../core/private/diagnostics';
import { prefixPath, ROOT_PREFIX } from '../../core/private/rules';
import { PullMetricOptions } from '../metric-options';
import {
  batchGetImageMetric, Environment, matchedEventsMetric, overlappingPrefixes, pullsExpression, pullsSearchProblem,
  repositoryPullsMetric, syncRuleProblem,
} from './metrics';

/** What the metrics need of a cache (the base class, seen without importing it). */
export interface MeteredCache extends IConstruct {
  readonly env: Environment;
  readonly prefixes: string[];
}

/** The metric methods of a cache, validating their arguments before building anything. */
export function cacheMetrics(cache: MeteredCache) {
  const fail = (method: string, problem: string | undefined) =>
    throwIfInvalid(`${api(`PullThroughCache.${method}`)} at '${cache.node.path}'`, problem === undefined ? [] : [problem]);

  return {
    pulls(options: PullMetricOptions = {}): cloudwatch.IMetric {
      const { prefix, ...props } = options;
      let prefixes = cache.prefixes;
      let excluded: string[] = [];
      if (prefix !== undefined) {
        const known = Token.isUnresolved(prefix) ? prefix : prefixes.find(p => prefixPath(p) === prefixPath(prefix));
        fail('metricPulls', known === undefined
          ? `prefix: no upstream has prefix '${prefix}': give one of the cache's prefixes, ${prefixes.map(p => `'${p}'`).join(', ')}`
          : undefined);
        prefixes = [known!];
        excluded = overlappingPrefixes(known!, cache.prefixes);
      }
      // A SEARCH finds its metrics: it has no fixed dimensions or unit to filter on; a math expression
      // has no id, visibility or stack account and region of its own here.
      const ignored = (['dimensionsMap', 'unit'] as const).find(field => props[field] !== undefined);
      const unsupported = (['id', 'visible', 'stackAccount', 'stackRegion'] as const).find(field => props[field] !== undefined);
      fail('metricPulls', ignored !== undefined
        ? `${api(ignored)}: a SEARCH finds the repositories of the prefix itself and takes no ${api(ignored)}: drop it, or use ${api('metricRepositoryPulls')}`
        : unsupported !== undefined
          ? `${api(unsupported)}: ${api('metricPulls')} does not support ${api(unsupported)} (a SEARCH expression): drop it, and give account and region for where to search`
          : pullsSearchProblem(prefixes, props.statistic ?? cloudwatch.Stats.SUM, props.period ?? Duration.minutes(5), excluded));
      const label = prefix === undefined ? 'Pulls through the cache' : `Pulls through ${prefixPath(prefixes[0])}`;
      return pullsExpression(cache.env, prefixes, label, props, excluded);
    },

    repositoryPulls(repositoryName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
      const covered = Token.isUnresolved(repositoryName) || cache.prefixes.includes(ROOT_PREFIX)
        || cache.prefixes.some(p => Token.isUnresolved(p) || repositoryName.startsWith(`${prefixPath(p)}/`));
      fail('metricRepositoryPulls', covered ? undefined
        : `${api('repositoryName')}: '${repositoryName}' is not under a prefix of the cache: give a repository under `
        + `${cache.prefixes.map(p => `'${prefixPath(p)}/'`).join(', ')}`);
      return repositoryPullsMetric(cache.env, repositoryName, props);
    },

    syncs(rule: events.IRule, failedOnly: boolean, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
      const method = failedOnly ? 'metricSyncFailures' : 'metricSyncs';
      fail(method, syncRuleProblem(cache, method, rule, failedOnly));
      return matchedEventsMetric(rule, props);
    },

    batchGetImageCalls(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
      return batchGetImageMetric(cache.env, props);
    },
  };
}
