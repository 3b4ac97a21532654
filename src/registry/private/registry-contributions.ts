import { IConstruct } from 'constructs';
import { CrossAccountAccess } from '../cross-account-access';
import { RegistryPolicy } from '../registry-policy';
import { RegistryScanning, ScanningOptions } from '../registry-scanning';
import { registryPolicyStatements } from './cross-account';
import { coveringPrefixes, repositoryPattern } from '../../core/private/rules';

/**
 * Add what the cache needs to the registry-wide singletons of its stack: the cross-account
 * statements to the registry policy, the prefixes' filters to the scanning configuration. The
 * cache's plan has already checked the filters against the scanning configuration.
 */
export function contributeToRegistry(
  cache: IConstruct, prefixes: string[], crossAccountAccess?: CrossAccountAccess, scanning?: ScanningOptions,
): void {
  if (scanning) {
    RegistryScanning.getOrCreate(cache).addWildcardFilters(coveringPrefixes(prefixes).map(repositoryPattern), scanning);
  }
  if (crossAccountAccess) {
    RegistryPolicy.getOrCreate(cache).addStatements(...registryPolicyStatements(cache, crossAccountAccess, prefixes));
  }
}
