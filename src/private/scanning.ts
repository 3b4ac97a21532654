import { Token } from 'aws-cdk-lib';
// Types only: the enums' module imports this one.
import type { ScanningOptions } from '../registry-scanning';
import { describeJson, describeValue, isRecord } from './values';

/** AWS::ECR::RegistryScanningConfiguration: at most 100 repository filters per rule. */
export const MAX_FILTERS_PER_SCANNING_RULE = 100;
/** AWS::ECR::RegistryScanningConfiguration: a repository filter is 1 to 255 characters. */
export const FILTER_MAX_LENGTH = 255;
/** The pattern of a repository filter in AWS::ECR::RegistryScanningConfiguration's schema. */
export const FILTER_PATTERN = /^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$/;

const SCAN_TYPES = ['BASIC', 'ENHANCED'];
const FREQUENCIES = ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN'];

/** Check a scan type and frequency; messages name the field. */
export function scanningOptionProblems(options: ScanningOptions): string[] {
  if (!isRecord(options as unknown)) {
    return [`options: ${describeValue(options)} is not an object; give { scanType?, frequency? }`];
  }
  const problems: string[] = [];
  const scanType: string = options.scanType ?? 'BASIC';
  const frequency: string = options.frequency ?? 'SCAN_ON_PUSH';
  if (!SCAN_TYPES.includes(scanType)) {
    problems.push(`scanType: '${scanType}' is not a ScanType; use BASIC or ENHANCED`);
  }
  if (!FREQUENCIES.includes(frequency)) {
    problems.push(`frequency: '${frequency}' is not a ScanFrequency; use SCAN_ON_PUSH or CONTINUOUS_SCAN`);
  } else if (scanType === 'BASIC' && frequency !== 'SCAN_ON_PUSH') {
    problems.push(`frequency: '${frequency}' needs ScanType.ENHANCED; basic scanning only scans on push (SCAN_ON_PUSH)`);
  }
  return problems;
}

/** Check one wildcard repository filter against the schema (skipped for a token). */
export function wildcardFilterProblems(filter: string): string[] {
  if (Token.isUnresolved(filter)) {
    return [];
  }
  if (typeof filter !== 'string' || filter.length < 1 || filter.length > FILTER_MAX_LENGTH || !FILTER_PATTERN.test(filter)) {
    return [
      `repository filter ${describeJson(filter)} is invalid; a filter is 1 to ${FILTER_MAX_LENGTH} characters of lowercase letters, digits and '*', `
      + 'separated by single \'.\', \'_\', \'-\' or \'/\' characters',
    ];
  }
  return [];
}
