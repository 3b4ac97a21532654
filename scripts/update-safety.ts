// Update-safety report: what deploying `after` over a stack deployed from `before` would do to
// each resource, from the two synthesized CloudFormation templates.
//
//   ts-node scripts/update-safety.ts before.template.json after.template.json
//
// A resource is REPLACED when its logical ID disappears (CloudFormation deletes it), when its type
// changes, when a create-only property changes, or when a create-only property refers (Ref,
// Fn::GetAtt, Fn::Sub) to a resource that is itself replaced (its new physical ID changes the
// value). A replaced pull-through cache rule empties the cache: that is what this report guards.
// A changed repository creation template is listed under NOTES: ECR applies a template only when it
// creates a repository, so the repositories already cached keep their settings until deleted.
// Exit code: 0 when nothing is replaced, 2 when something is, 1 on a usage error.
import * as fs from 'fs';

/**
 * The create-only properties of the resource types the library and its tests create, as JSON
 * pointers under the resource (`/properties/...`).
 *
 * Source: the CloudFormation resource provider schemas, `createOnlyProperties` (the schemas
 * cfn-lint 1.58.0 bundles, cfnlint/data/schemas/resources, us-east-1). Changing one of these
 * makes CloudFormation create a new resource and delete the old one.
 *
 * A type missing from this table is assumed to be replaced by any property change (conservative;
 * right for AWS::ECS::TaskDefinition, whose every change makes a new revision).
 */
export const CREATE_ONLY_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  // Every property of a pull-through cache rule.
  'AWS::ECR::PullThroughCacheRule': [
    '/properties/EcrRepositoryPrefix',
    '/properties/UpstreamRegistryUrl',
    '/properties/CredentialArn',
    '/properties/UpstreamRegistry',
    '/properties/CustomRoleArn',
    '/properties/UpstreamRepositoryPrefix',
  ],
  'AWS::ECR::RepositoryCreationTemplate': ['/properties/Prefix'],
  'AWS::ECR::Repository': [
    '/properties/RepositoryName',
    '/properties/EncryptionConfiguration',
    '/properties/EncryptionConfiguration/EncryptionType',
    '/properties/EncryptionConfiguration/KmsKey',
  ],
  'AWS::ECR::RegistryPolicy': [],
  'AWS::ECR::RegistryScanningConfiguration': [],
  'AWS::Logs::LogGroup': ['/properties/LogGroupName'],
  'AWS::SecretsManager::Secret': ['/properties/Name'],
  'AWS::IAM::Role': ['/properties/Path', '/properties/RoleName'],
  'AWS::IAM::Policy': [],
  'AWS::IAM::ManagedPolicy': ['/properties/ManagedPolicyName', '/properties/Description', '/properties/Path'],
  'AWS::KMS::Key': [],
  'AWS::KMS::Alias': ['/properties/AliasName'],
};

/** The part of a CloudFormation template this report reads. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResourceJson>;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly [attribute: string]: unknown;
}

export interface ResourceChange {
  readonly logicalId: string;
  readonly type: string;
  /** Why: the properties or attributes that changed, or what forces the replacement. */
  readonly reasons: string[];
}

export interface UpdateSafetyReport {
  /** Deleted (logical ID removed) or replaced (type or create-only property changed). */
  readonly replaced: ResourceChange[];
  readonly added: ResourceChange[];
  /** Updated in place: a property that is not create-only, or an attribute (DependsOn, ...), changed. */
  readonly updated: ResourceChange[];
  readonly unchanged: number;
  /**
   * What the report cannot show as a resource change: a repository creation template that changes
   * (or is added over existing rules) applies only to repositories ECR creates after the change.
   */
  readonly notes: string[];
}

/** Resource attributes whose change is an in-place update (Metadata is ignored: it changes nothing). */
const ATTRIBUTES = ['DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'UpdatePolicy', 'CreationPolicy'];

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Sorted object keys, so key order does not count as a change. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map(k => [k, canonical((value as any)[k])]));
  }
  return value;
}

/** The value at a JSON pointer such as `/properties/EncryptionConfiguration/KmsKey`. */
function at(resource: CfnResourceJson, pointer: string): unknown {
  const [, root, ...rest] = pointer.split('/');
  if (root !== 'properties') {
    return undefined;
  }
  let value: unknown = resource.Properties;
  for (const key of rest) {
    value = value !== null && typeof value === 'object' ? (value as any)[key] : undefined;
  }
  return value;
}

/** The logical IDs a value refers to with Ref, Fn::GetAtt or Fn::Sub. */
function references(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach(v => references(v, into));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string' && !v.startsWith('AWS::')) {
        into.add(v);
      } else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(v) ? v[0] : typeof v === 'string' ? v.split('.')[0] : undefined;
        if (typeof target === 'string') {
          into.add(target);
        }
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(v) ? v[0] : v;
        for (const match of String(text).matchAll(/\$\{([^}!.]+)(?:\.[^}]*)?\}/g)) {
          if (!match[1].startsWith('AWS::')) {
            into.add(match[1]);
          }
        }
      }
      references(v, into);
    }
  }
  return into;
}

function changedProperties(before: CfnResourceJson, after: CfnResourceJson): string[] {
  const keys = new Set([...Object.keys(before.Properties ?? {}), ...Object.keys(after.Properties ?? {})]);
  return [...keys].filter(k => !isEqual(before.Properties?.[k], after.Properties?.[k])).sort();
}

/**
 * Compare two synthesized templates of the same stack: which resources deploying `after` over
 * `before` would replace (or delete), add, and update in place.
 */
export function analyzeUpdate(before: CfnTemplate, after: CfnTemplate): UpdateSafetyReport {
  const old = before.Resources ?? {};
  const next = after.Resources ?? {};
  const replaced = new Map<string, ResourceChange>();
  const updated = new Map<string, ResourceChange>();
  const added: ResourceChange[] = [];

  for (const [id, resource] of Object.entries(old)) {
    if (!(id in next)) {
      replaced.set(id, { logicalId: id, type: resource.Type, reasons: ['logical ID removed: the resource is deleted'] });
    }
  }
  for (const [id, resource] of Object.entries(next)) {
    const previous = old[id];
    if (!previous) {
      added.push({ logicalId: id, type: resource.Type, reasons: ['new logical ID'] });
      continue;
    }
    if (previous.Type !== resource.Type) {
      replaced.set(id, { logicalId: id, type: resource.Type, reasons: [`type changed from ${previous.Type}`] });
      continue;
    }
    const properties = changedProperties(previous, resource);
    const createOnly = CREATE_ONLY_PROPERTIES[resource.Type];
    const forcing = createOnly === undefined
      ? properties.map(p => `${p} changed (${resource.Type} is not in the create-only table: assumed to replace)`)
      : createOnly.filter(pointer => !isEqual(at(previous, pointer), at(resource, pointer)))
        .map(pointer => `create-only property ${pointer.replace('/properties/', '')} changed`);
    if (forcing.length > 0) {
      replaced.set(id, { logicalId: id, type: resource.Type, reasons: forcing });
      continue;
    }
    const attributes = ATTRIBUTES.filter(a => !isEqual(previous[a], resource[a]));
    if (properties.length > 0 || attributes.length > 0) {
      updated.set(id, { logicalId: id, type: resource.Type, reasons: [...properties, ...attributes].map(p => `${p} changed`) });
    }
  }

  // A replaced resource gets a new physical ID: what refers to it changes too, and is replaced when
  // the reference is in a create-only property. Repeat until nothing more is replaced.
  let grew = true;
  while (grew) {
    grew = false;
    for (const [id, resource] of Object.entries(next)) {
      if (replaced.has(id) || !(id in old)) {
        continue;
      }
      const createOnly = CREATE_ONLY_PROPERTIES[resource.Type];
      const pointers = createOnly ?? Object.keys(resource.Properties ?? {}).map(k => `/properties/${k}`);
      const forcedBy = pointers.flatMap(pointer => [...references(at(resource, pointer))]
        .filter(target => replaced.has(target) && target in next)
        .map(target => `create-only property ${pointer.replace('/properties/', '')} refers to ${target}, which is replaced`));
      if (forcedBy.length > 0) {
        replaced.set(id, { logicalId: id, type: resource.Type, reasons: forcedBy });
        updated.delete(id);
        grew = true;
        continue;
      }
      const changedBy = [...references(resource.Properties)].filter(target => replaced.has(target) && target in next);
      if (changedBy.length > 0 && !updated.has(id)) {
        updated.set(id, { logicalId: id, type: resource.Type, reasons: changedBy.map(t => `refers to ${t}, which is replaced`) });
      }
    }
  }

  const byId = (a: ResourceChange, b: ResourceChange) => (a.logicalId < b.logicalId ? -1 : a.logicalId > b.logicalId ? 1 : 0);
  const total = Object.keys(next).length;
  return {
    replaced: [...replaced.values()].sort(byId),
    added: added.sort(byId),
    updated: [...updated.values()].sort(byId),
    unchanged: total - added.length - [...replaced.keys()].filter(id => id in next).length - updated.size,
    notes: templateNotes(old, next),
  };
}

const TEMPLATE_TYPE = 'AWS::ECR::RepositoryCreationTemplate';
const RULE_TYPE = 'AWS::ECR::PullThroughCacheRule';
/** The ECR user guide: a template's settings apply when ECR creates a repository, never later. */
export const TEMPLATE_DOC = 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html';

/**
 * A note per repository creation template whose properties change, or that is new while the
 * rules it covers already existed: ECR applies a template only when it creates a repository, so
 * the repositories the cache already created keep their old settings.
 */
function templateNotes(old: Record<string, CfnResourceJson>, next: Record<string, CfnResourceJson>): string[] {
  const rulePrefixes = new Set(Object.values(old)
    .filter(r => r.Type === RULE_TYPE && typeof r.Properties?.EcrRepositoryPrefix === 'string')
    .map(r => String(r.Properties!.EcrRepositoryPrefix).replace(/\/$/, '')));
  const notes: string[] = [];
  for (const [id, resource] of Object.entries(next)) {
    if (resource.Type !== TEMPLATE_TYPE) {
      continue;
    }
    const prefix = typeof resource.Properties?.Prefix === 'string' ? resource.Properties.Prefix : undefined;
    const isRoot = prefix === 'ROOT';
    const which = isRoot ? 'every prefix (a ROOT template)' : prefix !== undefined ? `prefix ${prefix}` : 'its prefix';
    const reapply = `delete the cached repositories of ${which} to re-apply`;
    const previous = old[id];
    if (previous !== undefined && previous.Type === TEMPLATE_TYPE) {
      const changed = changedProperties(previous, resource);
      if (changed.length > 0) {
        notes.push(`${id} (${TEMPLATE_TYPE}): ${changed.join(', ')} changed: applies only to repositories created after the change; ${reapply} (${TEMPLATE_DOC})`);
      }
    } else if (isRoot ? rulePrefixes.size > 0 : prefix !== undefined && rulePrefixes.has(prefix.replace(/\/$/, ''))) {
      notes.push(`${id} (${TEMPLATE_TYPE}): new template over an existing rule: applies only to repositories created after the change; ${reapply} (${TEMPLATE_DOC})`);
    }
  }
  return notes.sort();
}

/** The report as text: one section per kind of change, one line per resource. */
export function formatReport(report: UpdateSafetyReport): string {
  const lines: string[] = [];
  const section = (title: string, changes: ResourceChange[]) => {
    lines.push(`${title} (${changes.length})`);
    for (const c of changes) {
      lines.push(`  ${c.logicalId} (${c.type}): ${c.reasons.join('; ')}`);
    }
  };
  section('REPLACED or DELETED', report.replaced);
  section('ADDED', report.added);
  section('UPDATED IN PLACE', report.updated);
  lines.push(`UNCHANGED (${report.unchanged})`);
  if (report.notes.length > 0) {
    lines.push(`NOTES (${report.notes.length})`);
    for (const note of report.notes) {
      lines.push(`  ${note}`);
    }
  }
  lines.push(report.replaced.length > 0
    ? `UNSAFE: ${report.replaced.length} resource(s) would be replaced or deleted`
    : 'SAFE: no resource would be replaced or deleted');
  return lines.join('\n');
}

/** The command line: returns the exit code (0 safe, 2 something replaced, 1 usage error). */
export function main(argv: string[], print: (text: string) => void = console.log): number {
  if (argv.length !== 2) {
    print('usage: ts-node scripts/update-safety.ts <before.template.json> <after.template.json>');
    return 1;
  }
  const [before, after] = argv.map(file => JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate);
  const report = analyzeUpdate(before, after);
  print(formatReport(report));
  return report.replaced.length > 0 ? 2 : 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
