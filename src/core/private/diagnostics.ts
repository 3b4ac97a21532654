import { Annotations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * How the library reports problems and warnings. A leaf module: it imports nothing of ours, so
 * every other module can use it without an import cycle.
 *
 * Every message is read by users of every language: it names fields and methods with `api()`,
 * which renders the TypeScript name once and adds Python's spelling when it differs (Java keeps
 * the TypeScript name, Go and .NET capitalize its first letter).
 */

/** The namespace of every warning id this library adds. */
const WARNING_NAMESPACE = 'cdk-pull-through-cache';

/** A legal but risky choice, reported as a warning with a namespaced id. */
export interface Warning {
  /** The id after the namespace, e.g. `nestedPrefix`. */
  readonly id: string;
  readonly message: string;
}

/** Add a warning with the id `cdk-pull-through-cache:<id>` to a construct. */
export function warn(scope: IConstruct, id: string, message: string): void {
  Annotations.of(scope).addWarningV2(`${WARNING_NAMESPACE}:${id}`, message);
}

/**
 * Python's spelling of a TypeScript name: each dotted segment that starts lowercase in snake_case
 * (`repositoryTemplate.lifecycleRules[0]` → `repository_template.lifecycle_rules[0]`,
 * `Secret.fromSecretCompleteArn` → `Secret.from_secret_complete_arn`); class and enum names kept.
 */
export function pythonName(name: string): string {
  return name.split('.').map(s => /^[a-z]/.test(s) ? s.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`) : s).join('.');
}

/**
 * A field, field path or method as a message names it: `secretName (Python: secret_name)`,
 * `Secret.fromSecretCompleteArn (Python: Secret.from_secret_complete_arn)`, or the name alone
 * when Python spells it the same (`prefix`, `UpstreamRegistry.kubernetes()`).
 */
export function api(name: string): string {
  const python = pythonName(name);
  return python === name ? name : `${name} (Python: ${python})`;
}

/** A field's problem: `<field>: <message>`, the field (a path such as `repositoryTemplate.description`) named by `api()`. */
export function fieldProblem(field: string, message: string): string {
  return `${api(field)}: ${message}`;
}

/** A field path under an optional parent: `path('repositoryTemplate', 'description')`. */
export function path(parent: string | undefined, field: string): string {
  return parent ? `${parent}.${field}` : field;
}

/**
 * Throw one plain `Error` listing every problem, when there is any:
 * `<what> is invalid:` and one `  - <problem>` line each.
 *
 * @param what the subject, e.g. `PullThroughCache at 'Stack/Cache'`
 */
export function throwIfInvalid(what: string, problems: string[]): void {
  if (problems.length > 0) {
    throw new Error(`${what} is invalid:\n${problems.map(p => `  - ${p}`).join('\n')}`);
  }
}
