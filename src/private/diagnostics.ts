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
 * `<what> is invalid:` and one `  - <problem>` line each.
 *
 * @param what the subject, e.g. `PullThroughCache at 'Stack/Cache'`
 */
export function throwIfInvalid(what: string, problems: string[]): void {
  if (problems.length > 0) {
    throw new Error(`${what} is invalid:\n${problems.map(p => `  - ${p}`).join('\n')}`);
  }
}

/** Name every problem of a struct's fields after the struct: `struct.field: problem`. */
export function inField(struct: string, problems: string[]): string[] {
  return problems.map(p => `${struct}.${p}`);
}
