import { Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct, IConstruct } from 'constructs';
import { api, fieldProblem, path, throwIfInvalid, warn } from './private/diagnostics';
import { othersInSameRegistry, recordInApp, registrySingleton, registryStack } from './private/registry';
import { comparePrefixes } from './private/rules';

/** The id of the singleton at the root of its stack; its logical ID derives from it. */
const REGISTRY_SCANNING_ID = 'EcrRegistryScanning';

/** AWS::ECR::RegistryScanningConfiguration: at most 100 repository filters per rule. */
const MAX_FILTERS_PER_SCANNING_RULE = 100;
/** AWS::ECR::RegistryScanningConfiguration: a repository filter is 1 to 255 characters. */
const FILTER_MAX_LENGTH = 255;
/** The pattern of a repository filter in AWS::ECR::RegistryScanningConfiguration's schema. */
const FILTER_PATTERN = /^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$/;

/**
 * How ECR scans the images of a private registry for vulnerabilities.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
 */
export enum ScanType {
  /** Basic scanning by ECR, free of charge; only on push. */
  BASIC = 'BASIC',

  /**
   * Enhanced scanning by Amazon Inspector (billed by Inspector per image scanned), on push or
   * continuously; also scans operating system and programming language packages.
   */
  ENHANCED = 'ENHANCED',
}

/**
 * When ECR scans the images of the repositories a scanning rule selects.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecr-registryscanningconfiguration-scanningrule.html
 */
export enum ScanFrequency {
  /** Scan each image when it is pushed, or imported by the pull-through cache. */
  SCAN_ON_PUSH = 'SCAN_ON_PUSH',

  /** Scan on push, and again whenever Inspector learns of a new vulnerability; `ENHANCED` only. */
  CONTINUOUS_SCAN = 'CONTINUOUS_SCAN',
}

/**
 * Vulnerability scanning of repositories.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
 */
export interface ScanningOptions {
  /**
   * The scan type. It applies to the whole registry, so every caller that adds filters in the
   * same stack must agree on it.
   *
   * @default ScanType.BASIC
   */
  readonly scanType?: ScanType;

  /**
   * When to scan: `BASIC` supports only `SCAN_ON_PUSH`; `ENHANCED` supports both.
   *
   * @default ScanFrequency.SCAN_ON_PUSH
   */
  readonly frequency?: ScanFrequency;
}

/**
 * The scanning configuration (`AWS::ECR::RegistryScanningConfiguration`) of a stack's account and
 * region, shared by everything in the stack: get it with `RegistryScanning.getOrCreate(scope)`.
 *
 * The owning stack replaces any scanning configuration set outside it (an Inspector delegated
 * administrator's included); repositories no filter matches are not scanned.
 *
 * @example
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * ptc.RegistryScanning.getOrCreate(this).addWildcardFilters(['team-a/*'], {
 *   scanType: ptc.ScanType.ENHANCED,
 *   frequency: ptc.ScanFrequency.CONTINUOUS_SCAN,
 * });
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecr-registryscanningconfiguration.html
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/registries.md
 */
export class RegistryScanning extends Construct {
  /**
   * The scanning configuration of the scope's (outermost) stack: the one there, or a new one.
   *
   * @param scope any construct in the stack
   */
  public static getOrCreate(scope: IConstruct): RegistryScanning {
    return registrySingleton(scope, REGISTRY_SCANNING_ID, 'RegistryScanning',
      (c): c is RegistryScanning => c instanceof RegistryScanning, stack => new RegistryScanning(stack, REGISTRY_SCANNING_ID));
  }

  /**
   * What would be wrong with adding these filters to the scope's stack's scanning configuration
   * (found, not created).
   *
   * @internal
   */
  public static _problems(scope: IConstruct, filters: string[], options: ScanningOptions, at?: string): string[] {
    const existing = registryStack(scope).node.tryFindChild(REGISTRY_SCANNING_ID);
    return existing instanceof RegistryScanning ? existing.problems(filters, options, at) : optionProblems(filters, options, at);
  }

  /**
   * What is wrong with one wildcard repository filter (nothing for a token).
   *
   * @internal
   */
  public static _filterProblems(filter: string): string[] {
    if (Token.isUnresolved(filter) || (filter.length >= 1 && filter.length <= FILTER_MAX_LENGTH && FILTER_PATTERN.test(filter))) {
      return [];
    }
    return [
      `repository filter ${JSON.stringify(filter)} is invalid; a filter is 1 to ${FILTER_MAX_LENGTH} characters of lowercase letters, digits and '*', `
      + 'separated by single \'.\', \'_\', \'-\' or \'/\' characters, e.g. \'k8scache/*\'',
    ];
  }

  private _scanType?: ScanType;
  private readonly filters = new Map<ScanFrequency, string[]>();

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    new ecr.CfnRegistryScanningConfiguration(this, 'Resource', {
      scanType: Lazy.string({ produce: () => this.scanType }),
      rules: Lazy.any({ produce: () => this.renderRules() }),
    });

    const env = Token.isUnresolved(scope.account) || Token.isUnresolved(scope.region)
      ? 'its account and region'
      : `account ${scope.account} in ${scope.region}`;
    warn(this, 'registryScanningSingleton',
      `This stack owns the ECR registry scanning configuration of ${env} (AWS::ECR::RegistryScanningConfiguration, one per registry): `
      + 'deploying it replaces any scanning configuration set outside this stack (console, CLI, an Amazon Inspector delegated administrator), '
      + 'and repositories that match none of its filters are no longer scanned automatically. '
      + `No other stack deployed to the same account and region may own one; add every filter here with ${api('RegistryScanning.getOrCreate(scope).addWildcardFilters()')}.`,
    );

    recordInApp(this, 'RegistryScanning');
    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        if (this.filters.size === 0) {
          errors.push(`RegistryScanning at '${this.node.path}': no repository filter was added; add some with ${api('addWildcardFilters()')}`);
        }
        for (const other of othersInSameRegistry(this, 'RegistryScanning')) {
          errors.push(
            `RegistryScanning at '${this.node.path}': '${other.node.path}' owns the scanning configuration of the same account and region; `
            + 'a registry has one, so the stacks would overwrite each other. Keep one owner and add the filters there',
          );
        }
        return errors;
      },
    });
  }

  /** The registry's scan type, set by the first filters added. */
  public get scanType(): ScanType {
    return this._scanType ?? ScanType.BASIC;
  }

  /**
   * Scan the repositories whose names match wildcard filters, e.g. `k8scache/*`. Every call in a
   * stack must use the same scan type; at most 100 filters per frequency.
   *
   * @param filters the wildcard filters
   * @param options the scan type and frequency
   */
  public addWildcardFilters(filters: string[], options: ScanningOptions = {}): void {
    throwIfInvalid(`RegistryScanning at '${this.node.path}': adding filters`, this.problems(filters, options));
    this._scanType = options.scanType ?? ScanType.BASIC;
    const frequency = options.frequency ?? ScanFrequency.SCAN_ON_PUSH;
    const rule = this.filters.get(frequency) ?? [];
    for (const filter of filters) {
      if (!rule.includes(filter)) {
        rule.push(filter);
      }
    }
    this.filters.set(frequency, rule);
  }

  private problems(filters: string[], options: ScanningOptions, at?: string): string[] {
    const problems = optionProblems(filters, options, at);
    const scanType = options.scanType ?? ScanType.BASIC;
    if (this._scanType !== undefined && scanType !== this._scanType) {
      problems.push(
        fieldProblem(path(at, 'scanType'), `'${scanType}' differs from '${this._scanType}', which the registry's scanning configuration already has; `
        + `a registry has one scan type: give every cache and caller in the stack ${api('scanType')} '${this._scanType}'`),
      );
    }
    const frequency = options.frequency ?? ScanFrequency.SCAN_ON_PUSH;
    const merged = new Set([...(this.filters.get(frequency) ?? []), ...filters]);
    if (merged.size > MAX_FILTERS_PER_SCANNING_RULE) {
      problems.push(
        fieldProblem(path(at, 'filters'), `the ${frequency} rule would have ${merged.size} repository filters; ECR allows at most ${MAX_FILTERS_PER_SCANNING_RULE} per rule: `
        + 'use wider wildcards, or the other frequency for some'),
      );
    }
    return problems;
  }

  private renderRules(): ecr.CfnRegistryScanningConfiguration.ScanningRuleProperty[] {
    return [ScanFrequency.SCAN_ON_PUSH, ScanFrequency.CONTINUOUS_SCAN]
      .filter(frequency => this.filters.has(frequency))
      .map(frequency => ({
        scanFrequency: frequency,
        // Sorted, so the order caches were added in does not change the template.
        repositoryFilters: [...this.filters.get(frequency)!].sort(comparePrefixes).map(filter => ({ filter, filterType: 'WILDCARD' })),
      }));
  }
}

/** Check a scan type, a frequency and wildcard filters (a token filter passes). */
function optionProblems(filters: string[], options: ScanningOptions, at?: string): string[] {
  const problems: string[] = [];
  const scanType = options.scanType ?? ScanType.BASIC;
  const frequency = options.frequency ?? ScanFrequency.SCAN_ON_PUSH;
  if (scanType === ScanType.BASIC && frequency !== ScanFrequency.SCAN_ON_PUSH) {
    problems.push(fieldProblem(path(at, 'frequency'), `'${frequency}' needs ${api(path(at, 'scanType'))} ScanType.ENHANCED; basic scanning only scans on push: `
      + 'use ScanFrequency.SCAN_ON_PUSH, or enhanced scanning (Amazon Inspector)'));
  }
  problems.push(...filters.flatMap(f => RegistryScanning._filterProblems(f)));
  return problems;
}
