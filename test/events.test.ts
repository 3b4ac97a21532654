import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { PullThroughCache, UpstreamRegistry } from '../src';
import { failedEvent, SUCCESS_EVENT, SUCCESS_EVENT_TEXT, withPrefix } from './support/ecr-pull-through-cache-events';
import { matchesPattern } from './support/event-pattern-matcher';
import { checkEventsVisible, eventPrefixes, eventsNotVisibleReason, pullThroughCacheRule } from '../src/operations/private/events';

/** A cache whose first prefix is the documented sample's, `docker-hub`. */
function build(env?: { account: string; region: string }) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env });
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.ecrPublic(), prefix: 'docker-hub' },
      { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
    ],
  });
  return { stack, cache };
}

/** The EventPattern of the rule `path` (under the cache) as synthesized. */
function patternOf(stack: Stack, rule: events.Rule): Record<string, unknown> {
  const id = stack.getLogicalId(rule.node.defaultChild as events.CfnRule);
  return Template.fromStack(stack).toJSON().Resources[id].Properties.EventPattern;
}

describe('the matcher follows EventBridge semantics', () => {
  test('exact values, nested objects, missing fields, prefix and anything-but', () => {
    const event = { source: 'aws.ecr', detail: { status: 'SUCCESS', tags: ['a', 'b'] } };
    expect(matchesPattern({ source: ['aws.ecr', 'aws.s3'] }, event)).toBe(true);
    expect(matchesPattern({ source: ['aws.s3'] }, event)).toBe(false);
    expect(matchesPattern({ detail: { status: ['SUCCESS'], tags: ['b'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: ['x'] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': ['SUCCESS'] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': 'FAILED' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ 'anything-but': ['SUCCESS'] }] } }, event)).toBe(false);
    expect(matchesPattern({ source: [{ prefix: 'aws.' }] }, event)).toBe(true);
    expect(() => matchesPattern({ source: [{ numeric: ['>', 1] }] }, event)).toThrow(/unsupported/);
  });

  test('the fixture is the documented sample, verbatim (trailing comma included)', () => {
    expect(SUCCESS_EVENT_TEXT).toContain('"image-digest": "sha256:4aa08ef415aecc80814cb42fa41b658480779d80c77ab15EXAMPLE",\n    }');
    expect(SUCCESS_EVENT['detail-type']).toBe('ECR Pull Through Cache Action');
    expect(SUCCESS_EVENT.detail['sync-status']).toBe('SUCCESS');
    expect(SUCCESS_EVENT.detail['ecr-repository-prefix']).toBe('docker-hub');
  });
});

describe('onPullThroughCacheAction and onPullFailure', () => {
  const { stack, cache } = build();
  const all = cache.onPullThroughCacheAction('PullActions');
  const failures = cache.onPullFailure('PullFailures');
  const allPattern = patternOf(stack, all);
  const failurePattern = patternOf(stack, failures);

  test('the rules are scoped to the cache\'s prefixes', () => {
    expect(allPattern).toEqual({
      'source': ['aws.ecr'],
      'detail-type': ['ECR Pull Through Cache Action'],
      'detail': { 'ecr-repository-prefix': ['docker-hub', 'quaycache'] },
    });
    expect(failurePattern).toEqual({
      'source': ['aws.ecr'],
      'detail-type': ['ECR Pull Through Cache Action'],
      'detail': { 'ecr-repository-prefix': ['docker-hub', 'quaycache'], 'sync-status': [{ 'anything-but': ['SUCCESS'] }] },
    });
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 2);
  });

  test('the documented success sample matches the action rule, not the failure rule', () => {
    expect(matchesPattern(allPattern, SUCCESS_EVENT)).toBe(true);
    expect(matchesPattern(failurePattern, SUCCESS_EVENT)).toBe(false);
  });

  test.each(['FAILED', 'FAILURE'])('a failed pull (sync-status %s) matches both rules', status => {
    expect(matchesPattern(allPattern, failedEvent(status))).toBe(true);
    expect(matchesPattern(failurePattern, failedEvent(status))).toBe(true);
  });

  test.each([
    ['success', SUCCESS_EVENT],
    ['failure', failedEvent()],
  ])('a %s event of another prefix matches neither rule', (_, event) => {
    const other = withPrefix(event, 'ghcrcache');
    expect(matchesPattern(allPattern, other)).toBe(false);
    expect(matchesPattern(failurePattern, other)).toBe(false);
  });

  test('an event of the cache\'s other prefix matches', () => {
    expect(matchesPattern(failurePattern, withPrefix(failedEvent(), 'quaycache'))).toBe(true);
  });

  test('other ECR events never match', () => {
    const push = { ...SUCCESS_EVENT, 'detail-type': 'ECR Image Action' };
    expect(matchesPattern(allPattern, push)).toBe(false);
  });
});

describe('rule options, as ecr.Repository.onImageScanCompleted takes them', () => {
  test('options.eventPattern is merged and options.target is added', () => {
    const { stack, cache } = build();
    const topic = new sns.Topic(stack, 'Alerts');
    const rule = cache.onPullFailure('DockerFailures', {
      target: new targets.SnsTopic(topic),
      description: 'Docker Hub pulls through the cache fail',
      eventPattern: { detail: { 'upstream-registry-url': ['public.ecr.aws'] } },
    });
    const pattern = patternOf(stack, rule);
    expect(pattern.detail).toEqual({
      'upstream-registry-url': ['public.ecr.aws'],
      'ecr-repository-prefix': ['docker-hub', 'quaycache'],
      'sync-status': [{ 'anything-but': ['SUCCESS'] }],
    });
    expect(matchesPattern(pattern, failedEvent())).toBe(true);
    expect(matchesPattern(pattern, { ...failedEvent(), detail: { ...failedEvent().detail, 'upstream-registry-url': 'quay.io' } })).toBe(false);
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Description: 'Docker Hub pulls through the cache fail',
      Targets: [{ Arn: { Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }, Id: 'Target0' }],
    });
  });

  test('a prefix with a trailing slash matches both spellings', () => {
    expect(eventPrefixes(['dockercache/', 'hub/ghcr', 'dockercache'])).toEqual(['dockercache', 'dockercache/', 'hub/ghcr']);
  });
});

// metricPullFailures() created an events.Rule on first call; its successor creates nothing and
// counts the matches of the caller's rule (an intended change: aws-cdk-lib's metricX() creates nothing).
describe('metricSyncFailures', () => {
  test('MatchedEvents of the caller\'s failure rule, Sum over 5 minutes; no resource created', () => {
    const { stack, cache } = build();
    const failures = cache.onPullFailure('Failures');
    const before = Template.fromStack(stack).toJSON().Resources;
    const metric = cache.metricSyncFailures(failures);
    expect(metric.namespace).toBe('AWS/Events');
    expect(metric.metricName).toBe('MatchedEvents');
    expect(metric.statistic).toBe('Sum');
    expect(metric.period.toSeconds()).toBe(300);
    const hourly = cache.metricSyncFailures(failures, { period: Duration.hours(1), statistic: 'SampleCount' });
    expect(hourly.period.toSeconds()).toBe(3600);
    expect(hourly.statistic).toBe('SampleCount');
    const ruleId = stack.getLogicalId(failures.node.defaultChild as events.CfnRule);
    expect(stack.resolve(metric.dimensions)).toEqual({ RuleName: { Ref: ruleId } });
    // The metrics added nothing to the template.
    expect(Template.fromStack(stack).toJSON().Resources).toEqual(before);
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 1);
  });

  test('an alarm on it synthesizes with the documented defaults', () => {
    const { stack, cache } = build();
    new cloudwatch.Alarm(stack, 'PullFailuresAlarm', {
      metric: cache.metricSyncFailures(cache.onPullFailure('Failures')),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events', MetricName: 'MatchedEvents', Statistic: 'Sum', Period: 300, Threshold: 1,
    });
  });
});

describe('a rule must live where ECR sends the events', () => {
  const stackEnv = { account: '111122223333', region: 'eu-west-1' };

  test.each([
    ['the same account and region', stackEnv, undefined],
    ['another account', { account: '444455556666', region: 'eu-west-1' }, /account 444455556666 \(the rule's stack is in 111122223333\)/],
    ['another region', { account: '111122223333', region: 'us-east-1' }, /region us-east-1 \(the rule's stack is in eu-west-1\)/],
    ['another account and region', { account: '444455556666', region: 'us-east-1' }, /account 444455556666 .* and region us-east-1/],
  ])('a cache in %s', (_, cacheEnv, expected) => {
    const reason = eventsNotVisibleReason(cacheEnv, stackEnv);
    if (expected === undefined) {
      expect(reason).toBeUndefined();
    } else {
      expect(reason).toMatch(expected);
      expect(reason).toContain('default event bus');
    }
  });

  test('tokens leave it open: no error', () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(eventsNotVisibleReason({ account: '444455556666', region: 'us-east-1' }, stack)).toBeUndefined();
    expect(eventsNotVisibleReason(stack, stackEnv)).toBeUndefined();
  });

  test('the error names the cache, the method and the environments', () => {
    expect(() => checkEventsVisible('Stack/Cache', 'onPullFailure', { account: '444455556666', region: 'eu-west-1' }, stackEnv))
      .toThrow(/^PullThroughCache at 'Stack\/Cache': onPullFailure \(Python: on_pull_failure\): the cache is in account 444455556666/);
    const { cache } = build(stackEnv);
    expect(() => pullThroughCacheRule(cache, 'Rule', 'onPullFailure', {
      prefixes: cache.prefixes, failedOnly: true, cacheEnvironment: { account: '111122223333', region: 'us-east-1' },
    })).toThrow(/region us-east-1/);
    // The cache's own stack is always its account and region.
    expect(() => cache.onPullFailure('Rule')).not.toThrow();
  });
});

describe('on an imported cache', () => {
  const upstreams = [{ registry: UpstreamRegistry.ecrPublic(), prefix: 'docker-hub' }];

  test('of the same account and region: the rules work, scoped to its prefixes', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { upstreams });
    const rule = cache.onPullFailure('Failures');
    const pattern = patternOf(stack, rule);
    expect(matchesPattern(pattern, failedEvent())).toBe(true);
    expect(matchesPattern(pattern, SUCCESS_EVENT)).toBe(false);
    expect(cache.metricSyncFailures(rule).metricName).toBe('MatchedEvents');
  });

  test('of another account: a rule here would never see its events, so it is an error', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { account: '444455556666', upstreams });
    expect(() => cache.onPullThroughCacheAction('All')).toThrow(
      /^PullThroughCache at 'Stack\/Shared': onPullThroughCacheAction \(Python: on_pull_through_cache_action\): the cache is in account 444455556666 \(the rule's stack is in 111122223333\)/,
    );
    expect(() => cache.onPullFailure('Failures')).toThrow(/onPullFailure \(Python: on_pull_failure\): the cache is in account 444455556666/);
  });
});
