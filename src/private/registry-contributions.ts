import { IConstruct } from 'constructs';
import type { PullThroughCacheProps } from '../pull-through-cache';
import { RegistryPolicy } from '../registry-policy';
import { RegistryScanning } from '../registry-scanning';
import { registryPolicyStatements } from './cross-account';
import { prefixPath } from './rules';

/** The wildcard repository filter of every repository the cache creates under a prefix. */
export function scanningFilter(prefix: string): string {
  return `${prefixPath(prefix)}/*`;
}

/**
 * Add what the cache needs to the registry-wide singletons of its stack: the cross-account
 * statements to the registry policy, the prefixes' filters to the scanning configuration.
 * Conflicts with what others added are thrown before anything is added.
 */
export function contributeToRegistry(cache: IConstruct, prefixes: string[], props: PullThroughCacheProps): void {
  // Find (or make) both singletons and check the scanning filters before changing either, so a
  // cache that throws here leaves no statement or filter of its own behind.
  const scanning = props.scanning !== undefined ? RegistryScanning.of(cache) : undefined;
  const policy = props.crossAccountAccess !== undefined ? RegistryPolicy.of(cache) : undefined;
  const filters = prefixes.map(scanningFilter);
  if (scanning && props.scanning) {
    const problems = scanning._problems(filters, props.scanning);
    if (problems.length > 0) {
      throw new Error(`PullThroughCache at '${cache.node.path}' is invalid:\n${problems.map(p => `  - scanning: ${p}`).join('\n')}`);
    }
  }
  if (scanning && props.scanning) {
    scanning.addWildcardFilters(filters, props.scanning);
  }
  if (policy && props.crossAccountAccess) {
    policy.addStatements(...registryPolicyStatements(cache, props.crossAccountAccess, prefixes));
  }
}
