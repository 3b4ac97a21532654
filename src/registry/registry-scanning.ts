import { Lazy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct, IConstruct } from 'constructs';
import { ownRegistryConfiguration, registrySingleton } from './private/registry';
import { registerScanning, scanningProblems, ScanningState } from './private/scanning';
import { ScanFrequency, ScanningOptions, ScanType } from './scanning-options';
import { api, throwIfInvalid } from '../core/private/diagnostics';
import { comparePrefixes } from '../core/private/rules';

/** The id of the singleton at the root of its stack; its logical ID derives from it. */
const REGISTRY_SCANNING_ID = 'EcrRegistryScanning';

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

  /** The scan type and each frequency's filters: what the checks of `scanning` options read. */
  private readonly state: ScanningState = { filters: new Map() };

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    new ecr.CfnRegistryScanningConfiguration(this, 'Resource', {
      scanType: Lazy.string({ produce: () => this.scanType }),
      rules: Lazy.any({ produce: () => this.renderRules() }),
    });
    registerScanning(scope, this.state);

    ownRegistryConfiguration(this, 'RegistryScanning', 'registryScanningSingleton',
      env => `This stack owns the ECR registry scanning configuration of ${env} (AWS::ECR::RegistryScanningConfiguration, one per registry): `
        + 'deploying it replaces any scanning configuration set outside this stack (console, CLI, an Amazon Inspector delegated administrator), '
        + 'and repositories that match none of its filters are no longer scanned automatically. '
        + `No other stack deployed to the same account and region may own one; add every filter here with ${api('RegistryScanning.getOrCreate(scope).addWildcardFilters()')}.`,
      other => `'${other}' owns the scanning configuration of the same account and region; `
        + 'a registry has one, so the stacks would overwrite each other. Keep one owner and add the filters there',
      () => this.state.filters.size === 0
        ? [`RegistryScanning at '${this.node.path}': no repository filter was added; add some with ${api('addWildcardFilters()')}`]
        : []);
  }

  /** The registry's scan type, set by the first filters added. */
  public get scanType(): ScanType {
    return this.state.scanType ?? ScanType.BASIC;
  }

  /**
   * Scan the repositories whose names match wildcard filters, e.g. `k8scache/*`. Every call in a
   * stack must use the same scan type; at most 100 filters per frequency.
   *
   * @param filters the wildcard filters
   * @param options the scan type and frequency
   */
  public addWildcardFilters(filters: string[], options: ScanningOptions = {}): void {
    throwIfInvalid(`RegistryScanning at '${this.node.path}': adding filters`, scanningProblems(this.state, filters, options));
    this.state.scanType = options.scanType ?? ScanType.BASIC;
    const frequency = options.frequency ?? ScanFrequency.SCAN_ON_PUSH;
    const rule = this.state.filters.get(frequency) ?? [];
    for (const filter of filters) {
      if (!rule.includes(filter)) {
        rule.push(filter);
      }
    }
    this.state.filters.set(frequency, rule);
  }

  private renderRules(): ecr.CfnRegistryScanningConfiguration.ScanningRuleProperty[] {
    return [ScanFrequency.SCAN_ON_PUSH, ScanFrequency.CONTINUOUS_SCAN]
      .filter(frequency => this.state.filters.has(frequency))
      .map(frequency => ({
        scanFrequency: frequency,
        // Sorted, so the order caches were added in does not change the template.
        repositoryFilters: [...this.state.filters.get(frequency)!].sort(comparePrefixes).map(filter => ({ filter, filterType: 'WILDCARD' })),
      }));
  }
}
