import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { api, fieldProblem, path } from '../../core/private/diagnostics';
import { coveringPrefixes, repositoryPattern } from '../../core/private/rules';
import { ScanFrequency, ScanningOptions, ScanType } from '../scanning-options';
import { registryStack } from './registry';

/** AWS::ECR::RegistryScanningConfiguration: at most 100 repository filters per rule. */
const MAX_FILTERS_PER_SCANNING_RULE = 100;
/** AWS::ECR::RegistryScanningConfiguration: a repository filter is 1 to 255 characters. */
const FILTER_MAX_LENGTH = 255;
/** The pattern of a repository filter in AWS::ECR::RegistryScanningConfiguration's schema. */
const FILTER_PATTERN = /^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$/;

/** What a registry's scanning configuration holds so far: its scan type and each rule's filters. */
export interface ScanningState {
  scanType?: ScanType;
  readonly filters: Map<ScanFrequency, string[]>;
}

/** The state of each registry stack's `RegistryScanning`, found without the construct's class. */
const STATES = new WeakMap<IConstruct, ScanningState>();

/** Record the scanning configuration of a registry stack, so checks see what it already holds. */
export function registerScanning(stack: IConstruct, state: ScanningState): void {
  STATES.set(stack, state);
}

/** What is wrong with one wildcard repository filter (nothing for a token). */
export function filterProblems(filter: string): string[] {
  if (Token.isUnresolved(filter) || (filter.length >= 1 && filter.length <= FILTER_MAX_LENGTH && FILTER_PATTERN.test(filter))) {
    return [];
  }
  return [
    `repository filter ${JSON.stringify(filter)} is invalid; a filter is 1 to ${FILTER_MAX_LENGTH} characters of lowercase letters, digits and '*', `
    + 'separated by single \'.\', \'_\', \'-\' or \'/\' characters, e.g. \'k8scache/*\'',
  ];
}

/**
 * What would be wrong with adding these filters to a scanning configuration (`state`, or none yet):
 * the options, the filters, the scan type it already has, and the limit of filters per rule.
 */
export function scanningProblems(state: ScanningState | undefined, filters: string[], options: ScanningOptions, at?: string): string[] {
  const problems: string[] = [];
  const scanType = options.scanType ?? ScanType.BASIC;
  const frequency = options.frequency ?? ScanFrequency.SCAN_ON_PUSH;
  if (scanType === ScanType.BASIC && frequency !== ScanFrequency.SCAN_ON_PUSH) {
    problems.push(fieldProblem(path(at, 'frequency'), `'${frequency}' needs ${api(path(at, 'scanType'))} ScanType.ENHANCED; basic scanning only scans on push: `
      + 'use ScanFrequency.SCAN_ON_PUSH, or enhanced scanning (Amazon Inspector)'));
  }
  problems.push(...filters.flatMap(filterProblems));
  if (state === undefined) {
    return problems;
  }
  if (state.scanType !== undefined && scanType !== state.scanType) {
    problems.push(
      fieldProblem(path(at, 'scanType'), `'${scanType}' differs from '${state.scanType}', which the registry's scanning configuration already has; `
      + `a registry has one scan type: give every cache and caller in the stack ${api('scanType')} '${state.scanType}'`),
    );
  }
  const merged = new Set([...(state.filters.get(frequency) ?? []), ...filters]);
  if (merged.size > MAX_FILTERS_PER_SCANNING_RULE) {
    problems.push(
      fieldProblem(path(at, 'filters'), `the ${frequency} rule would have ${merged.size} repository filters; ECR allows at most ${MAX_FILTERS_PER_SCANNING_RULE} per rule: `
      + 'use wider wildcards, or the other frequency for some'),
    );
  }
  return problems;
}

/** A cache's `scanning` option, checked: the filters of its prefixes, and what was wrong. */
export interface ScanningPlan {
  readonly filters: string[];
  readonly options: ScanningOptions;
  readonly problems: string[];
}

/**
 * Check a cache's `scanning` option against its prefixes and the registry's scanning configuration
 * (found, not created): each covering prefix's filter first, named by its upstream; then the
 * options and the registry's configuration with the filters that are valid.
 */
export function planScanning(cache: IConstruct, prefixes: string[], options: ScanningOptions): ScanningPlan {
  const filters: string[] = [];
  const problems: string[] = [];
  for (const prefix of prefixes.filter(p => coveringPrefixes(prefixes).includes(p))) {
    const filter = repositoryPattern(prefix);
    const invalid = filterProblems(filter);
    problems.push(...invalid.map(p => `upstream '${prefix}': scanning: ${p}`));
    if (invalid.length === 0) {
      filters.push(filter);
    }
  }
  problems.push(...scanningProblems(STATES.get(registryStack(cache)), filters, options, 'scanning'));
  return { filters: coveringPrefixes(prefixes).map(repositoryPattern), options, problems };
}
