import { Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from './rules';

/** The account and region of a registry (a cache's `env`, a stack's), either of which may be a token. */
export interface RegistryLocation {
  readonly account: string;
  readonly region: string;
}

/**
 * The domain of the ECR registry of an account and region, `<account>.dkr.ecr.<region>.<suffix>`:
 * the region's own URL suffix when it is a literal (`amazonaws.com.cn` in the China regions),
 * `urlSuffix` otherwise (a token such as `Stack.urlSuffix` or `Aws.URL_SUFFIX`).
 */
export function registryDomain(account: string, region: string, urlSuffix: string): string {
  const suffix = Token.isUnresolved(region) ? urlSuffix : (RegionInfo.get(region).domainSuffix ?? urlSuffix);
  return `${account}.dkr.ecr.${region}.${suffix}`;
}

/**
 * What is wrong with the location of an imported cache: an account or region that is not one, or
 * a region in another partition than the stack's (IAM cannot grant across partitions).
 */
export function locationProblems(location: RegistryLocation, stack: Stack): string[] {
  const problems: string[] = [];
  if (!Token.isUnresolved(location.account) && !ACCOUNT_ID_PATTERN.test(location.account)) {
    problems.push(`account: '${location.account}' is not a 12-digit AWS account ID: give the account of the cache's registry`);
  }
  if (!Token.isUnresolved(location.region) && !REGION_PATTERN.test(location.region)) {
    problems.push(`region: '${location.region}' is not an AWS region name: give the cache's region, such as 'eu-west-1'`);
  }
  const stackRegion = stack.region;
  if (!Token.isUnresolved(location.region) && !Token.isUnresolved(stackRegion) && REGION_PATTERN.test(location.region)
    && RegionInfo.get(location.region).partition !== RegionInfo.get(stackRegion).partition) {
    problems.push(`region: '${location.region}' is in partition ${RegionInfo.get(location.region).partition}, this stack's region '${stackRegion}' in `
      + `${RegionInfo.get(stackRegion).partition}; IAM principals cannot be granted across partitions: use a cache in the stack's partition`);
  }
  return problems;
}
