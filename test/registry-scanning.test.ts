import { App, CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  PullThroughCache,
  RegistryScanning,
  ScanFrequency,
  ScanningOptions,
  ScanType,
  UpstreamDefinition,
  UpstreamRegistry,
} from '../src';
import { newStack } from './support/helpers';

const PUBLIC: UpstreamDefinition[] = [{ registry: UpstreamRegistry.quay() }, { registry: UpstreamRegistry.kubernetes() }];

function cache(stack: Stack, scanning?: ScanningOptions, id = 'Cache', upstreams = PUBLIC): PullThroughCache {
  return new PullThroughCache(stack, id, { upstreams, scanning });
}

function scanningProperties(stack: Stack): any {
  const resources = Object.values<any>(Template.fromStack(stack).findResources('AWS::ECR::RegistryScanningConfiguration'));
  expect(resources).toHaveLength(1);
  return resources[0].Properties;
}

const wildcard = (filter: string) => ({ Filter: filter, FilterType: 'WILDCARD' });

describe('scanning the cached repositories', () => {
  test('by default: basic scanning on push of <prefix>/*', () => {
    const stack = newStack();
    cache(stack, {});
    expect(scanningProperties(stack)).toEqual({
      ScanType: 'BASIC',
      Rules: [{ ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: [wildcard('k8scache/*'), wildcard('quaycache/*')] }],
    });
  });

  test('enhanced and continuous', () => {
    const stack = newStack();
    cache(stack, { scanType: ScanType.ENHANCED, frequency: ScanFrequency.CONTINUOUS_SCAN });
    expect(scanningProperties(stack)).toEqual({
      ScanType: 'ENHANCED',
      Rules: [{ ScanFrequency: 'CONTINUOUS_SCAN', RepositoryFilters: [wildcard('k8scache/*'), wildcard('quaycache/*')] }],
    });
  });

  test('a prefix with a trailing slash gets a single slash', () => {
    const stack = newStack();
    cache(stack, {}, 'Cache', [{ registry: UpstreamRegistry.quay(), prefix: 'mirror/quay/' }]);
    expect(scanningProperties(stack).Rules[0].RepositoryFilters).toEqual([wildcard('mirror/quay/*')]);
  });

  test('without scanning there is no scanning configuration and no warning', () => {
    const stack = newStack();
    cache(stack);
    Template.fromStack(stack).resourceCountIs('AWS::ECR::RegistryScanningConfiguration', 0);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('registryScanningSingleton'))).toEqual([]);
  });

  test('two caches share one configuration: one rule per frequency, at most two rules', () => {
    const stack = newStack();
    cache(stack, { scanType: ScanType.ENHANCED });
    cache(stack, { scanType: ScanType.ENHANCED, frequency: ScanFrequency.CONTINUOUS_SCAN }, 'Other', [{ registry: UpstreamRegistry.ecrPublic() }]);
    cache(stack, { scanType: ScanType.ENHANCED }, 'Third', [{ registry: UpstreamRegistry.quay(), prefix: 'aquay' }]);
    expect(scanningProperties(stack)).toEqual({
      ScanType: 'ENHANCED',
      Rules: [
        { ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: [wildcard('aquay/*'), wildcard('k8scache/*'), wildcard('quaycache/*')] },
        { ScanFrequency: 'CONTINUOUS_SCAN', RepositoryFilters: [wildcard('ecrpubliccache/*')] },
      ],
    });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-pull-through-cache:registryScanningSingleton'));
    expect(warnings.map(w => w.id)).toEqual(['/Stack/EcrRegistryScanning']);
  });

  test('the order the caches are added in does not change the template', () => {
    const build = (order: number[]) => {
      const stack = newStack();
      const all = [
        () => cache(stack, {}, 'A', [{ registry: UpstreamRegistry.quay(), prefix: 'zquay' }]),
        () => cache(stack, {}, 'B', [{ registry: UpstreamRegistry.kubernetes(), prefix: 'ak8s' }]),
      ];
      order.forEach(i => all[i]());
      return scanningProperties(stack);
    };
    expect(build([1, 0])).toEqual(build([0, 1]));
  });

  test('a token prefix passes validation', () => {
    const stack = newStack();
    const prefix = new CfnParameter(stack, 'Prefix').valueAsString;
    cache(stack, {}, 'Cache', [{ registry: UpstreamRegistry.quay(), prefix }]);
    expect(scanningProperties(stack).Rules[0].RepositoryFilters).toEqual([
      { Filter: { 'Fn::Join': ['', [{ Ref: 'Prefix' }, '/*']] }, FilterType: 'WILDCARD' },
    ]);
  });

  test.each<[string, ScanningOptions, UpstreamDefinition[], RegExp]>([
    ['continuous basic scanning', { frequency: ScanFrequency.CONTINUOUS_SCAN },
      PUBLIC, /scanning\.frequency: 'CONTINUOUS_SCAN' needs scanning\.scanType \(Python: scanning\.scan_type\) ScanType\.ENHANCED; basic scanning only scans on push: use ScanFrequency\.SCAN_ON_PUSH/],
    ['a prefix ECR scanning filters cannot express', {}, [{ registry: UpstreamRegistry.quay(), prefix: 'my__quay' }],
      /upstream 'my__quay': scanning: repository filter "my__quay\/\*" is invalid/],
  ])('rejects %s, naming the path, before any resource', (_what, scanning, upstreams, message) => {
    const stack = newStack();
    expect(() => cache(stack, scanning, 'Cache', upstreams)).toThrow(message);
    expect(() => cache(stack, scanning, 'Again', upstreams)).toThrow(/PullThroughCache at 'Stack\/Again' is invalid/);
    expect(stack.node.findAll().filter(c => c instanceof CfnResource)).toEqual([]);
  });

  test('a second cache with another scan type is rejected before its resources', () => {
    const stack = newStack();
    cache(stack, { scanType: ScanType.BASIC });
    const before = stack.node.findAll().filter(c => c instanceof CfnResource).length;
    expect(() => cache(stack, { scanType: ScanType.ENHANCED }, 'Other', [{ registry: UpstreamRegistry.ecrPublic() }]))
      .toThrow(/PullThroughCache at 'Stack\/Other' is invalid:\n {2}- scanning\.scanType \(Python: scanning\.scan_type\): 'ENHANCED' differs from 'BASIC'/);
    expect(stack.node.findAll().filter(c => c instanceof CfnResource).length).toBe(before);
  });
});

describe('RegistryScanning', () => {
  test('of() returns one instance per stack, at its root', () => {
    const stack = newStack();
    const scanning = RegistryScanning.getOrCreate(stack);
    expect(RegistryScanning.getOrCreate(stack)).toBe(scanning);
    expect(scanning.node.path).toBe('Stack/EcrRegistryScanning');
  });

  test('filters can be added directly; duplicates are dropped', () => {
    const stack = newStack();
    const scanning = RegistryScanning.getOrCreate(stack);
    scanning.addWildcardFilters(['team-a/*', 'team-b/*']);
    scanning.addWildcardFilters(['team-a/*']);
    expect(scanning.scanType).toBe(ScanType.BASIC);
    expect(scanningProperties(stack).Rules).toEqual([
      { ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: [wildcard('team-a/*'), wildcard('team-b/*')] },
    ]);
  });

  test('at most 100 filters per rule', () => {
    const scanning = RegistryScanning.getOrCreate(newStack());
    scanning.addWildcardFilters(Array.from({ length: 100 }, (_, i) => `team${i}/*`));
    expect(() => scanning.addWildcardFilters(['one-more/*']))
      .toThrow(/RegistryScanning at 'Stack\/EcrRegistryScanning': adding filters is invalid:\n {2}- filters: the SCAN_ON_PUSH rule would have 101 repository filters; ECR allows at most 100 per rule/);
  });

  test('caches count toward the 100 filters of a rule', () => {
    const stack = newStack();
    RegistryScanning.getOrCreate(stack).addWildcardFilters(Array.from({ length: 99 }, (_, i) => `team${i}/*`));
    expect(() => cache(stack, {})).toThrow(/PullThroughCache at 'Stack\/Cache' is invalid:\n {2}- scanning\.filters: the SCAN_ON_PUSH rule would have 101/);
  });

  test('each frequency has its own 100 filters', () => {
    const scanning = RegistryScanning.getOrCreate(newStack());
    const enhanced = { scanType: ScanType.ENHANCED };
    scanning.addWildcardFilters(Array.from({ length: 100 }, (_, i) => `team${i}/*`), enhanced);
    expect(() => scanning.addWildcardFilters(['one-more/*'], { ...enhanced, frequency: ScanFrequency.CONTINUOUS_SCAN })).not.toThrow();
  });

  test.each([['uppercase', 'UPPER/*'], ['two separators', 'a//b'], ['empty', ''], ['256 characters', 'a'.repeat(256)]])('rejects a filter: %s', (_what, filter) => {
    expect(() => RegistryScanning.getOrCreate(newStack()).addWildcardFilters([filter])).toThrow(/is invalid; a filter is 1 to 255 characters/);
  });

  test('an empty configuration fails synthesis', () => {
    const stack = newStack();
    RegistryScanning.getOrCreate(stack);
    expect(() => Template.fromStack(stack)).toThrow(/RegistryScanning at 'Stack\/EcrRegistryScanning': no repository filter was added/);
  });

  test('two stacks of the app in the same account and region fail synthesis', () => {
    const app = new App();
    const env = { account: '111122223333', region: 'eu-west-1' };
    const one = new Stack(app, 'One', { env });
    const two = new Stack(app, 'Two', { env });
    RegistryScanning.getOrCreate(one).addWildcardFilters(['a/*']);
    RegistryScanning.getOrCreate(two).addWildcardFilters(['b/*']);
    expect(() => Template.fromStack(one)).toThrow(/'Two\/EcrRegistryScanning' owns the scanning configuration of the same account and region/);
  });
});
