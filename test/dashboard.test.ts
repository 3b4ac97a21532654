import * as fs from 'fs';
import { App, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { searchesIn, termMatches } from './support/cloudwatch-search';
import { failedEvent, SUCCESS_EVENT, withPrefix } from './support/ecr-pull-through-cache-events';
import { matchesPattern } from './support/event-pattern-matcher';
import { OperationsStack } from '../examples/operations-stack';
import { ReferenceStack } from '../examples/reference-stack';
import { BodyWidget, dashboardBody, dashboardSvg, referenceDashboardBody, SVG_PATH } from '../scripts/dashboard-svg';
import * as ptc from '../src';
import { PullThroughCache, PullThroughCacheDashboard, UpstreamRegistry } from '../src';
import { OPERATIONS_GUIDE_URL } from '../src/operations/private/metrics';

const PREFIXES = ['dockercache', 'ghcrcache', 'k8scache', 'quaycache'];

/** Every metric line of every graph: the last element is the rendering options, the rest the metric. */
function metricLines(widgets: BodyWidget[]): any[][] {
  return widgets.filter(w => w.type === 'metric').flatMap(w => w.properties.metrics as any[][]);
}

/** The reference stack with only the dashboard added. */
function referenceWithDashboard() {
  const stack = new ReferenceStack(new App(), 'Reference');
  const dashboard = new PullThroughCacheDashboard(stack, 'Dashboard', { cache: stack.cache });
  return { stack, dashboard };
}

describe('the reference cache\'s dashboard', () => {
  const { stack, dashboard } = referenceWithDashboard();
  const template = Template.fromStack(stack).toJSON();
  const body = dashboardBody(dashboard.dashboard);
  const lines = metricLines(body.widgets);
  const ruleId = (rule: { node: { defaultChild?: any } }) => stack.getLogicalId(rule.node.defaultChild);

  test('adds no resource but the dashboard and its rules: one per upstream, two for the totals', () => {
    const alone = Template.fromStack(new ReferenceStack(new App(), 'Reference')).toJSON().Resources;
    const added = Object.entries<any>(template.Resources).filter(([id]) => !(id in alone));
    expect(added.map(([, r]) => r.Type).sort()).toEqual(['AWS::CloudWatch::Dashboard', ...Array(6).fill('AWS::Events::Rule')]);
    // The reference stack's own resources keep their logical IDs and properties.
    for (const [id, resource] of Object.entries(alone)) {
      expect(template.Resources[id]).toEqual(resource);
    }
    // Rules without a target: only counted.
    for (const [, rule] of added.filter(([, r]) => r.Type === 'AWS::Events::Rule')) {
      expect(rule.Properties.Targets).toBeUndefined();
    }
  });

  test('the body is JSON: a header, the totals row, one row per upstream, each graph next to a text', () => {
    expect(body.widgets.map(w => `${w.type}@${w.x},${w.y}`)).toEqual([
      'text@0,0',
      'text@0,3', 'metric@6,3', 'metric@12,3', 'metric@18,3',
      ...PREFIXES.flatMap((_, i) => [`text@0,${9 + 6 * i}`, `metric@6,${9 + 6 * i}`, `metric@15,${9 + 6 * i}`]),
    ]);
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
    }
    const texts = body.widgets.filter(w => w.type === 'text').map(w => w.properties.markdown as string);
    expect(texts[0]).toContain(OPERATIONS_GUIDE_URL);
    expect(body.widgets[0].height).toBe(3);
    // A TS-only constant: jsii would drop it, so the public API does not export it.
    expect((ptc as Record<string, unknown>).OPERATIONS_GUIDE_URL).toBeUndefined();
    PREFIXES.forEach((prefix, i) => expect(texts[2 + i]).toMatch(new RegExp(`^## \`${prefix}\` ← \``)));
  });

  test('the graphs read exactly the documented metrics, with the cache\'s prefixes', () => {
    const searches = lines.filter(l => l.length === 1 && /SEARCH\(/.test(l[0].expression)).map(l => l[0].expression as string);
    // Pulls per upstream, in the totals (stacked) and in the upstream's row.
    expect(searches).toHaveLength(2 * PREFIXES.length);
    const searched = searches.flatMap(searchesIn);
    for (const search of searched) {
      expect(search).toMatchObject({ namespace: 'AWS/ECR', dimensions: ['RepositoryName'], statistic: 'Sum', period: 300 });
    }
    const matching = (repositoryName: string) =>
      searched.filter(s => termMatches(s.term!, { MetricName: 'RepositoryPullCount', RepositoryName: repositoryName })).length;
    for (const prefix of PREFIXES) {
      expect(matching(`${prefix}/library/app`)).toBe(2); // its own two graphs, no other
    }
    expect(matching('team/app')).toBe(0);

    const plain = lines.filter(l => typeof l[0] === 'string').map(l => l.slice(0, -1).join(' '));
    const rules = (dashboard.node.findAll().filter(c => c.node.id.startsWith('SyncFailures:')) as any[]).map(ruleId);
    expect(plain.sort()).toEqual([
      'AWS/Usage CallCount Class None Resource BatchGetImage Service ECR Type API',
      `AWS/Events MatchedEvents RuleName <${ruleId(dashboard.syncRule)}>`,
      `AWS/Events MatchedEvents RuleName <${ruleId(dashboard.syncFailureRule)}>`,
      ...rules.map(id => `AWS/Events MatchedEvents RuleName <${id}>`),
    ].sort());
    const math = lines.filter(l => l.length === 1 && !/SEARCH\(/.test(l[0].expression)).map(l => l[0].expression);
    expect(math).toEqual(['calls / PERIOD(calls)', 'SERVICE_QUOTA(calls)']);
  });

  test('each upstream\'s failure rule matches that upstream\'s failed syncs only; the totals rules the whole cache', () => {
    for (const prefix of PREFIXES) {
      const rule = dashboard.node.findChild(`SyncFailures:${prefix}`) as any;
      const pattern = template.Resources[ruleId(rule)].Properties.EventPattern;
      expect(matchesPattern(pattern, withPrefix(failedEvent(), prefix))).toBe(true);
      expect(matchesPattern(pattern, withPrefix(SUCCESS_EVENT, prefix))).toBe(false);
      const other = PREFIXES.find(p => p !== prefix)!;
      expect(matchesPattern(pattern, withPrefix(failedEvent(), other))).toBe(false);
    }
    const syncs = template.Resources[ruleId(dashboard.syncRule)].Properties.EventPattern;
    const failures = template.Resources[ruleId(dashboard.syncFailureRule)].Properties.EventPattern;
    for (const prefix of PREFIXES) {
      expect(matchesPattern(syncs, withPrefix(SUCCESS_EVENT, prefix))).toBe(true);
      expect(matchesPattern(failures, withPrefix(failedEvent(), prefix))).toBe(true);
      expect(matchesPattern(failures, withPrefix(SUCCESS_EVENT, prefix))).toBe(false);
    }
  });

  test('no alarm given: no alarm status widget, no alarm created', () => {
    expect(body.widgets.some(w => w.type === 'alarm')).toBe(false);
    expect(Object.values<any>(template.Resources).some(r => r.Type === 'AWS::CloudWatch::Alarm')).toBe(false);
  });
});

describe('alarms and a dashboard of the caller', () => {
  test('the alarms given are shown, not created', () => {
    const stack = new OperationsStack(new App(), 'Ops');
    const widgets = dashboardBody(stack.dashboard.dashboard).widgets;
    const alarm = widgets.find(w => w.type === 'alarm')!;
    const alarmId = stack.getLogicalId(stack.alarm.node.defaultChild as cloudwatch.CfnAlarm);
    expect(alarm.properties.alarms).toEqual([`<{Fn::GetAtt:[${alarmId},Arn]}>`]);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 1);
  });

  test('the widgets go to the caller\'s dashboard; none is created', () => {
    const stack = new ReferenceStack(new App(), 'Reference');
    const mine = new cloudwatch.Dashboard(stack, 'Mine', { dashboardName: 'platform' });
    const view = new PullThroughCacheDashboard(stack, 'CacheView', { cache: stack.cache, dashboard: mine });
    expect(view.dashboard).toBe(mine);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(dashboardBody(mine).widgets.length).toBe(5 + 3 * PREFIXES.length);
  });
});

describe('which caches a dashboard can show', () => {
  const env = { account: '111122223333', region: 'eu-west-1' };
  const upstreams = [{ registry: UpstreamRegistry.quay() }, { registry: UpstreamRegistry.kubernetes(), prefix: 'hub/k8s/' }];

  test('an imported cache of the stack\'s account and region', () => {
    const stack = new Stack(new App(), 'Ops', { env });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { upstreams });
    const view = new PullThroughCacheDashboard(stack, 'Dashboard', { cache });
    expect(view.node.tryFindChild('SyncFailures:hub+k8s')).toBeDefined();
    const searches = metricLines(dashboardBody(view.dashboard).widgets).flatMap(l => (l.length === 1 ? searchesIn(l[0].expression) : []));
    expect(searches).toHaveLength(4);
  });

  test.each([
    ['another account', { account: '444455556666' }, /account 444455556666 \(the rule's stack is in 111122223333\)/],
    ['another region', { region: 'us-east-1' }, /region us-east-1 \(the rule's stack is in eu-west-1\)/],
  ])('an imported cache of %s: an error naming the field, before any resource', (_, where, message) => {
    const stack = new Stack(new App(), 'Ops', { env });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { ...where, upstreams });
    expect(() => new PullThroughCacheDashboard(stack, 'Dashboard', { cache }))
      .toThrow(/^PullThroughCacheDashboard at 'Ops\/Dashboard' is invalid:\n {2}- cache: the cache is in /);
    expect(() => new PullThroughCacheDashboard(stack, 'Dashboard2', { cache })).toThrow(message);
    expect(Object.keys(Template.fromStack(stack).toJSON().Resources ?? {})).toEqual([]);
  });

  test('a prefix that is a token: an error naming the dashboard and cache, before any resource', () => {
    const stack = new Stack(new App(), 'Ops', { env });
    const prefix = Token.asString({ Ref: 'Prefix' });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { upstreams: [{ registry: UpstreamRegistry.quay(), prefix }] });
    expect(() => new PullThroughCacheDashboard(stack, 'Dashboard', { cache }))
      .toThrow(/^PullThroughCacheDashboard at 'Ops\/Dashboard' is invalid:\n {2}- cache: the pulls of upstream .* cannot be graphed: prefix: a token/);
    expect(Object.keys(Template.fromStack(stack).toJSON().Resources ?? {})).toEqual([]);
  });

  test('ROOT next to quaycache, docker next to docker-hub: the stacked pulls count each repository once', () => {
    const stack = new Stack(new App(), 'Ops', { env });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', {
      upstreams: [
        { registry: UpstreamRegistry.ecr({ account: '444455556666' }), prefix: 'ROOT' },
        ...['quaycache', 'docker', 'docker-hub'].map(prefix => ({ registry: UpstreamRegistry.quay(), prefix })),
      ],
    });
    const view = new PullThroughCacheDashboard(stack, 'Dashboard', { cache });
    const stacked = dashboardBody(view.dashboard).widgets.find(w => w.properties.title === 'Pulls by upstream')!;
    const terms = (stacked.properties.metrics as any[][]).map(l => searchesIn(l[0].expression)[0].term!);
    expect(terms).toHaveLength(4);
    for (const name of ['team/app', 'quaycache/coreos/etcd', 'docker/library/alpine', 'docker-hub/library/alpine']) {
      const counted = terms.filter(t => termMatches(t, { MetricName: 'RepositoryPullCount', RepositoryName: name }));
      expect([name, counted.length]).toEqual([name, 1]);
    }
  });

  test.each([
    ['a name with a space', { dashboardName: 'pull through' }, /dashboardName \(Python: dashboard_name\): 'pull through' is not 1 to 255 letters, digits, '-' or '_'/],
    ['a name and a dashboard', { dashboardName: 'x', dashboard: true }, /dashboardName \(Python: dashboard_name\): the widgets go to `dashboard`, which has its own name: give the name to that dashboard/],
  ])('%s is an error in both spellings', (_, props: { dashboardName: string; dashboard?: boolean }, message) => {
    const stack = new Stack(new App(), 'Ops', { env });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { upstreams });
    const dashboard = props.dashboard ? new cloudwatch.Dashboard(stack, 'Mine') : undefined;
    expect(() => new PullThroughCacheDashboard(stack, 'Dashboard', { cache, dashboardName: props.dashboardName, dashboard })).toThrow(message);
  });
});

describe('the picture in the docs', () => {
  test('docs/dashboard.svg is what scripts/dashboard-svg.ts draws today (npx projen docs:dashboard)', () => {
    const drawn = dashboardSvg(referenceDashboardBody());
    expect(drawn).toContain('PullThroughCacheDashboard of the reference cache: 19 widgets');
    expect(fs.readFileSync(SVG_PATH, 'utf-8')).toBe(drawn);
  });
});
