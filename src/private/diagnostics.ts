import { Annotations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * How the library reports problems and warnings. A leaf module: it imports nothing of ours, so
 * every other module can use it without an import cycle.
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
 * Throw one plain `Error` listing every problem, when there is any:
 * `<what> is invalid:` and one `  - <problem>` line each, the field a problem names also spelled
 * as Python spells it when that differs.
 *
 * @param what the subject, e.g. `PullThroughCache at 'Stack/Cache'`
 */
export function throwIfInvalid(what: string, problems: string[]): void {
  if (problems.length > 0) {
    throw new Error(`${what} is invalid:\n${problems.map(p => `  - ${withPythonSpelling(p)}`).join('\n')}`);
  }
}

/**
 * A problem names its field first, after the upstream it belongs to:
 * `upstream 'x': repositoryPrefix ...`, `repositoryTemplate.lifecycleRules[0]: ...`.
 */
const FIELD_FIRST = /^((?:upstream '[^']*'|upstreams\[\d+\] \([^)]*\)): (?:registry: )?)?([a-z][A-Za-z0-9]*(?:\[\d+\])?(?:\.[a-z][A-Za-z0-9]*(?:\[\d+\])?)*)(?=[: ])/;

/**
 * Add the Python spelling of the field a problem starts with, when it has a capital letter:
 * `repositoryTemplate.description (Python: repository_template.description): ...`. The message is
 * composed by the library, so users of every language read it: Java writes fields as TypeScript
 * does, Go and .NET capitalize the first letter, Python uses snake_case.
 */
export function withPythonSpelling(problem: string): string {
  const match = FIELD_FIRST.exec(problem);
  if (!match || !/[A-Z]/.test(match[2])) {
    return problem;
  }
  const field = match[2];
  const python = field.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
  return `${match[1] ?? ''}${field} (Python: ${python})${problem.slice(match[0].length)}`;
}

/** Name every problem of a struct's fields after the struct: `struct.field: problem`. */
export function inField(struct: string, problems: string[]): string[] {
  return problems.map(p => `${struct}.${p}`);
}
