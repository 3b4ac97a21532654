import { App, Duration, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { PullThroughCache, UpstreamRegistry } from '../src';
import { ENV } from './support/cache-fixtures';
import { isStatistic, parseQuery, parseSearchCall, searchesIn, termMatches } from './support/cloudwatch-search';
import { MAX_SEARCH_QUERY_LENGTH } from '../src/operations/private/metrics';


function build(env: { account: string; region: string } | 'agnostic' = ENV) {
  const stack = new Stack(new App(), 'Stack', { env: env === 'agnostic' ? undefined : env });
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.ecrPublic(), prefix: 'dockercache' },
      { registry: UpstreamRegistry.kubernetes(), prefix: 'hub/ghcr/' },
      { registry: UpstreamRegistry.quay() },
    ],
  });
  return { stack, cache };
}

/** The expression of a metric that must be a math expression. */
function expressionOf(metric: cloudwatch.IMetric): string {
  const config = metric.toMetricConfig();
  expect(config.mathExpression).toBeDefined();
  return config.mathExpression!.expression;
}

describe('the SEARCH parser follows the documented grammar', () => {
  test('the page\'s examples, quoted as the rule says', () => {
    const { search } = parseSearchCall('SEARCH(\'{"AWS/EC2",InstanceId} MetricName="CPUUtilization"\', \'Average\', 300)');
    expect(search).toMatchObject({ namespace: 'AWS/EC2', dimensions: ['InstanceId'], statistic: 'Average', period: 300 });
    expect(search.term).toEqual({ kind: 'match', designator: 'MetricName', value: 'CPUUtilization', exact: true });
    expect(parseQuery('CPUUtilization').term).toEqual({ kind: 'match', value: 'CPUUtilization', exact: false, designator: undefined });
  });

  test.each([
    ['a namespace with / not in double quotes', 'SEARCH(\'{AWS/ECR,RepositoryName}\', \'Sum\', 300)'],
    ['an unterminated double quote', 'SEARCH(\'{"AWS/ECR,RepositoryName}\', \'Sum\')'],
    ['a statistic that is none', 'SEARCH(\'{"AWS/ECR",RepositoryName}\', \'Total\', 300)'],
    ['a period of 7 seconds', 'SEARCH(\'{"AWS/ECR",RepositoryName}\', \'Sum\', 7)'],
    ['an unbalanced parenthesis', 'SEARCH(\'{"AWS/ECR",RepositoryName} (a OR b\', \'Sum\')'],
    ['a slash outside quotes in a term', 'SEARCH(\'{"AWS/ECR",RepositoryName} RepositoryName=hub/ghcr\', \'Sum\')'],
    ['neither schema nor term', 'SEARCH(\' \', \'Sum\')'],
    ['a single quote inside the query', 'SEARCH(\'{"AWS/ECR",RepositoryName} it\'s\', \'Sum\')'],
  ])('rejects %s', (_, text) => {
    expect(() => parseSearchCall(text)).toThrow();
  });
});

describe('metricPulls', () => {
  test('one upstream: SUM(SEARCH()) over RepositoryPullCount of its repositories, Sum over 5 minutes', () => {
    const { cache } = build();
    const metric = cache.metricPulls({ prefix: 'dockercache' });
    const expression = expressionOf(metric);
    expect(expression).toBe('SUM(SEARCH(\'{"AWS/ECR",RepositoryName} MetricName="RepositoryPullCount" AND (RepositoryName=dockercache)\', \'Sum\', 300))');
    const [search] = searchesIn(expression);
    expect(search).toMatchObject({ namespace: 'AWS/ECR', dimensions: ['RepositoryName'], statistic: 'Sum', period: 300 });
    const pulls = (repositoryName: string) => termMatches(search.term!, { MetricName: 'RepositoryPullCount', RepositoryName: repositoryName });
    expect(pulls('dockercache/library/alpine')).toBe(true);
    expect(pulls('quaycache/prometheus/node-exporter')).toBe(false);
    expect(metric.toMetricConfig().renderingProperties?.label).toBe('Pulls through dockercache');
  });

  test('a nested prefix with a trailing slash: every word of it, each a partial match', () => {
    const { cache } = build();
    const [search] = searchesIn(expressionOf(cache.metricPulls({ prefix: 'hub/ghcr' })));
    const pulls = (repositoryName: string) => termMatches(search.term!, { MetricName: 'RepositoryPullCount', RepositoryName: repositoryName });
    expect(pulls('hub/ghcr/org/app')).toBe(true);
    expect(pulls('hub/docker/library/alpine')).toBe(false);
  });

  test('every upstream: the prefixes joined by OR; the options set period, statistic, label', () => {
    const { cache } = build();
    const metric = cache.metricPulls({ period: Duration.hours(1), statistic: 'Maximum', label: 'All pulls' });
    const [search] = searchesIn(expressionOf(metric));
    expect(search).toMatchObject({ statistic: 'Maximum', period: 3600 });
    for (const name of ['dockercache/library/alpine', 'hub/ghcr/org/app', 'quaycache/coreos/etcd']) {
      expect(termMatches(search.term!, { MetricName: 'RepositoryPullCount', RepositoryName: name })).toBe(true);
    }
    expect(termMatches(search.term!, { MetricName: 'RepositoryPullCount', RepositoryName: 'team/app' })).toBe(false);
    expect(metric.toMetricConfig().renderingProperties?.label).toBe('All pulls');
  });

  test('a ROOT rule covers every repository of the registry: no term on the name', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ account: '444455556666' }), prefix: 'ROOT' }],
    });
    const [search] = searchesIn(expressionOf(cache.metricPulls()));
    expect(search.term).toEqual({ kind: 'match', designator: 'MetricName', value: 'RepositoryPullCount', exact: true });
  });

  test('CloudWatch alarms refuse SEARCH: aws-cdk-lib renders it, CloudWatch would reject it; alarm on metricRepositoryPulls', () => {
    const { cache } = build();
    expect(expressionOf(cache.metricPulls())).toMatch(/SEARCH\(/);
    const config = cache.metricPulls().toMetricConfig();
    expect(config.metricStat).toBeUndefined();
    expect(config.mathExpression).toBeDefined();
    const alarmable = cache.metricRepositoryPulls('dockercache/library/alpine');
    expect(alarmable.toMetricConfig().metricStat).toBeDefined();
  });

  test.each([
    ['an unknown prefix', { prefix: 'nope' }, /prefix: no upstream has prefix 'nope': give one of the cache's prefixes, 'dockercache', 'hub\/ghcr\/', 'quaycache'/],
    ['a statistic with a quote', { statistic: 'Sum\'' }, /statistic: 'Sum'' is not a CloudWatch statistic/],
    ['dimensions', { dimensionsMap: { RepositoryName: 'x' } }, /dimensionsMap \(Python: dimensions_map\): a SEARCH finds the repositories of the prefix itself.*use metricRepositoryPulls \(Python: metric_repository_pulls\)/],
    ['a period of 7 seconds', { period: Duration.seconds(7) }, /period: 7 seconds; a SEARCH takes 1, 5, 10, 30 or a multiple of 60 seconds/],
    ['a period of 90 seconds', { period: Duration.seconds(90) }, /period: 90 seconds/],
    ['an id', { id: 'pulls' }, /id: metricPulls \(Python: metric_pulls\) does not support id/],
    ['visible', { visible: false }, /visible: metricPulls \(Python: metric_pulls\) does not support visible/],
    ['a stack account', { stackAccount: '111122223333' }, /stackAccount \(Python: stack_account\): metricPulls \(Python: metric_pulls\) does not support stackAccount \(Python: stack_account\)/],
    ['a stack region', { stackRegion: 'eu-west-1' }, /stackRegion \(Python: stack_region\): metricPulls \(Python: metric_pulls\) does not support stackRegion \(Python: stack_region\)/],
  ])('%s is an error naming the field', (_, options, message) => {
    const { cache } = build();
    expect(() => cache.metricPulls(options)).toThrow(/^PullThroughCache.metricPulls \(Python: PullThroughCache.metric_pulls\) at 'Stack\/Cache' is invalid:/);
    expect(() => cache.metricPulls(options)).toThrow(message);
  });

  test.each([1, 5, 10, 30, 60, 300, 3600])('a period of %i seconds is one SEARCH takes', seconds => {
    const { cache } = build();
    expect(searchesIn(expressionOf(cache.metricPulls({ period: Duration.seconds(seconds) })))[0].period).toBe(seconds);
  });

  test.each(['Sum', 'Average', 'p99', 'p99.9', 'tm90', 'TM(10%:90%)', 'PR(:300)', 'IQM'])('the statistic %s is accepted by metricPulls and the parser', statistic => {
    const { cache } = build();
    expect(isStatistic(statistic)).toBe(true);
    expect(searchesIn(expressionOf(cache.metricPulls({ statistic })))[0].statistic).toBe(statistic);
  });

  test.each(['sum', 'p', 'TM(10%)', 'Avg'])('%s is a statistic neither metricPulls nor the parser accepts', statistic => {
    const { cache } = build();
    expect(isStatistic(statistic)).toBe(false);
    expect(() => cache.metricPulls({ statistic })).toThrow(/statistic: '.*' is not a CloudWatch statistic/);
  });

  test('a ROOT prefix next to another: the ROOT search leaves that prefix\'s repositories out', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ account: '444455556666' }), prefix: 'ROOT' }, { registry: UpstreamRegistry.quay(), prefix: 'quaycache' }],
    });
    const pulls = (prefix: string | undefined, name: string) => termMatches(searchesIn(expressionOf(cache.metricPulls({ prefix })))[0].term!,
      { MetricName: 'RepositoryPullCount', RepositoryName: name });
    expect(pulls('ROOT', 'team/app')).toBe(true);
    expect(pulls('ROOT', 'quaycache/coreos/etcd')).toBe(false);
    expect(pulls('quaycache', 'quaycache/coreos/etcd')).toBe(true);
    expect(pulls(undefined, 'quaycache/coreos/etcd')).toBe(true);
    expect(pulls(undefined, 'team/app')).toBe(true);
  });

  test('prefixes docker and docker-hub: each repository is counted under one of them', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.quay(), prefix: 'docker' }, { registry: UpstreamRegistry.quay(), prefix: 'docker-hub' }],
    });
    const pulls = (prefix: string, name: string) => termMatches(searchesIn(expressionOf(cache.metricPulls({ prefix })))[0].term!,
      { MetricName: 'RepositoryPullCount', RepositoryName: name });
    expect(pulls('docker', 'docker/library/alpine')).toBe(true);
    expect(pulls('docker', 'docker-hub/library/alpine')).toBe(false);
    expect(pulls('docker-hub', 'docker-hub/library/alpine')).toBe(true);
    expect(pulls('docker-hub', 'docker/library/alpine')).toBe(false);
  });

  test('too many prefixes for one SEARCH: an error that names the limit; one upstream still works', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const upstreams = Array.from({ length: 40 }, (_, i) => ({ registry: UpstreamRegistry.quay(), prefix: `quay-mirror-number-${String(i).padStart(2, '0')}` }));
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', { upstreams });
    expect(() => cache.metricPulls()).toThrow(new RegExp(`CloudWatch accepts at most ${MAX_SEARCH_QUERY_LENGTH}`));
    expect(searchesIn(expressionOf(cache.metricPulls({ prefix: 'quay-mirror-number-07' })))).toHaveLength(1);
  });
});

describe('metricRepositoryPulls', () => {
  test('AWS/ECR RepositoryPullCount of one repository, Sum over 5 minutes, in the cache\'s account and region', () => {
    const { stack, cache } = build();
    const metric = cache.metricRepositoryPulls('hub/ghcr/org/app');
    expect(metric).toMatchObject({ namespace: 'AWS/ECR', metricName: 'RepositoryPullCount', statistic: 'Sum' });
    expect(metric.dimensions).toEqual({ RepositoryName: 'hub/ghcr/org/app' });
    expect(metric.period.toSeconds()).toBe(300);
    expect([metric.account, metric.region]).toEqual([ENV.account, ENV.region]);
    new cloudwatch.Alarm(stack, 'AlpinePulls', { metric, threshold: 1000, evaluationPeriods: 1 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ECR',
      MetricName: 'RepositoryPullCount',
      Dimensions: [{ Name: 'RepositoryName', Value: 'hub/ghcr/org/app' }],
      Statistic: 'Sum',
      Period: 300,
    });
  });

  test('a repository outside the cache\'s prefixes is an error naming the field in both spellings', () => {
    const { cache } = build();
    expect(() => cache.metricRepositoryPulls('team/app')).toThrow(
      /metricRepositoryPulls \(Python: PullThroughCache.metric_repository_pulls\) at 'Stack\/Cache' is invalid:\n {2}- repositoryName \(Python: repository_name\): 'team\/app' is not under a prefix of the cache: give a repository under 'dockercache\/', 'hub\/ghcr\/', 'quaycache\/'/,
    );
  });

  test('a token passes: it resolves at deploy time', () => {
    const { cache } = build();
    expect(() => cache.metricRepositoryPulls(Token.asString({ Ref: 'RepositoryName' }))).not.toThrow();
  });
});

describe('metricSyncs and metricSyncFailures', () => {
  test('MatchedEvents of the rule, which each method names; nothing created', () => {
    const { stack, cache } = build();
    const all = cache.onPullThroughCacheAction('Syncs');
    const failed = cache.onPullFailure('Failures');
    const before = JSON.stringify(Template.fromStack(stack).toJSON());
    const syncs = cache.metricSyncs(all);
    const failures = cache.metricSyncFailures(failed, { period: Duration.minutes(1) });
    expect(syncs).toMatchObject({ namespace: 'AWS/Events', metricName: 'MatchedEvents', statistic: 'Sum' });
    expect(stack.resolve(syncs.dimensions)).toEqual({ RuleName: { Ref: stack.getLogicalId(all.node.defaultChild as events.CfnRule) } });
    expect(stack.resolve(failures.dimensions)).toEqual({ RuleName: { Ref: stack.getLogicalId(failed.node.defaultChild as events.CfnRule) } });
    expect(failures.period.toSeconds()).toBe(60);
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toBe(before);
  });

  test('a rule of the other kind or of another cache is an error', () => {
    const { stack, cache } = build();
    const other = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Other', { upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });
    expect(() => cache.metricSyncFailures(cache.onPullThroughCacheAction('All')))
      .toThrow(/rule: 'Stack\/Cache\/All' was made by onPullThroughCacheAction \(Python: on_pull_through_cache_action\); metricSyncFailures \(Python: metric_sync_failures\) counts the matches of a rule made by onPullFailure \(Python: on_pull_failure\)/);
    expect(() => cache.metricSyncs(cache.onPullFailure('Failed')))
      .toThrow(/metricSyncs \(Python: metric_syncs\) counts the matches of a rule made by onPullThroughCacheAction \(Python: on_pull_through_cache_action\)/);
    expect(() => cache.metricSyncFailures(other.onPullFailure('Failed')))
      .toThrow(/rule: 'Stack\/Other\/Failed' watches the cache at 'Stack\/Other', not this one/);
  });

  test('a rule this library did not make: a warning, the metric counts what it matches', () => {
    const { stack, cache } = build();
    const rule = new events.Rule(stack, 'Mine', { eventPattern: { source: ['aws.ecr'] } });
    expect(cache.metricSyncFailures(rule).metricName).toBe('MatchedEvents');
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('metricSyncFailures \\(Python: metric_sync_failures\\): the rule \'Stack/Mine\' was not made by onPullFailure \\(Python: on_pull_failure\\)'));
  });
});

describe('metricBatchGetImageCalls', () => {
  test('AWS/Usage CallCount of BatchGetImage with the documented dimensions, Sum over 1 minute', () => {
    const { cache } = build();
    const metric = cache.metricBatchGetImageCalls();
    expect(metric).toMatchObject({ namespace: 'AWS/Usage', metricName: 'CallCount', statistic: 'Sum' });
    expect(metric.dimensions).toEqual({ Service: 'ECR', Type: 'API', Resource: 'BatchGetImage', Class: 'None' });
    expect(metric.period.toSeconds()).toBe(60);
    expect(cache.metricBatchGetImageCalls({ period: Duration.minutes(5) }).period.toSeconds()).toBe(300);
  });

  test('an environment-agnostic stack: no account or region on the metric (they are the stack\'s)', () => {
    const { cache } = build('agnostic');
    const metric = cache.metricBatchGetImageCalls();
    expect([metric.account, metric.region]).toEqual([undefined, undefined]);
  });
});
