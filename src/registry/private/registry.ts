import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { api, warn } from '../../core/private/diagnostics';

/**
 * The stack that owns a registry-wide singleton for a scope: the scope's stack, or the outermost
 * parent of a nested stack (a nested stack is deployed to its parent's account and region).
 */
export function registryStack(scope: IConstruct): Stack {
  let stack = Stack.of(scope);
  while (stack.nestedStackParent) {
    stack = stack.nestedStackParent;
  }
  return stack;
}

/**
 * The registry-wide singleton `id` at the root of the scope's registry stack: the one there, or a
 * new one from `create`. Another kind of construct with that id is an error naming `kind`.
 */
export function registrySingleton<T extends IConstruct>(
  scope: IConstruct, id: string, kind: string, isKind: (c: IConstruct) => c is T, create: (stack: Stack) => T,
): T {
  const stack = registryStack(scope);
  const existing = stack.node.tryFindChild(id);
  if (existing === undefined) {
    return create(stack);
  }
  if (!isKind(existing)) {
    throw new Error(
      `${kind} at '${stack.node.path}/${id}': the id '${id}' at the root of the stack is taken by another construct; `
      + `${api(`${kind}.getOrCreate()`)} needs it for the registry's one ${kind}: give that construct another id`,
    );
  }
  return existing;
}

/**
 * Where each registry-wide construct of the app is recorded: a property of the app's root. A
 * global symbol, so that two copies of this library in one app see each other's constructs; the
 * readers use only their public API (a cache's `prefixes` and `templates`). A construct removed
 * with `node.tryRemoveChild` stays recorded.
 */
const RECORDS = Symbol.for('cdk-pull-through-cache.registryRecords');

type RecordsHolder = { [RECORDS]?: Map<string, IConstruct[]> };

/**
 * Record a construct of `kind` (a cache, a registry policy, ...) at the root of its app, so that
 * `othersInSameRegistry` reads a list instead of walking the construct tree: walking it once per
 * cache would grow with the square of the app's size. Call it once the construct is complete.
 */
export function recordInApp(construct: IConstruct, kind: string): void {
  const root = construct.node.root as RecordsHolder;
  if (root[RECORDS] === undefined) {
    Object.defineProperty(root, RECORDS, { value: new Map<string, IConstruct[]>(), enumerable: false });
  }
  const records = root[RECORDS]!;
  if (!records.has(kind)) {
    records.set(kind, []);
  }
  records.get(kind)!.push(construct);
}

/**
 * The other recorded constructs of `kind` in the app that live in the same registry as
 * `construct`: in the same (outermost) stack, or in a stack deployed to the same known account and
 * region. Stacks without a concrete environment are never matched with another stack: they could
 * be deployed anywhere.
 */
export function othersInSameRegistry(construct: IConstruct, kind: string): IConstruct[] {
  const stack = registryStack(construct);
  const env = environmentOf(stack);
  return ((construct.node.root as RecordsHolder)[RECORDS]?.get(kind) ?? []).filter(c => {
    if (c === construct) {
      return false;
    }
    const other = registryStack(c);
    return other === stack || (env !== undefined && environmentOf(other) === env);
  });
}

/**
 * Where `construct` and `other` share a registry, for messages: the same stack (or a stack and
 * the stacks nested in it), or the known account and region of their stacks.
 */
export function sharedRegistry(construct: IConstruct, other: IConstruct): string {
  const stack = registryStack(construct);
  if (Stack.of(construct) === Stack.of(other)) {
    return 'in the same stack';
  }
  return registryStack(other) === stack
    ? `in the same stack '${stack.node.path}' or a stack nested in it`
    : `in the same account ${stack.account} and region ${stack.region}`;
}

/** Where a stack is deployed, when both its account and region are known. */
function environmentOf(stack: Stack): string | undefined {
  return Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) ? undefined : `${stack.account}/${stack.region}`;
}

/**
 * Make a registry-wide singleton the owner of its registry's configuration: warn (`warningId`)
 * that deploying it replaces one set elsewhere, record it, and, at synthesis, report `checks()`
 * and every other owner of the same registry (`otherOwner` says why each is one too many).
 */
export function ownRegistryConfiguration(
  construct: IConstruct, kind: string, warningId: string, warning: (environment: string) => string,
  otherOwner: (otherPath: string) => string, checks: () => string[],
): void {
  const stack = Stack.of(construct);
  const environment = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)
    ? 'its account and region'
    : `account ${stack.account} in ${stack.region}`;
  warn(construct, warningId, warning(environment));
  recordInApp(construct, kind);
  construct.node.addValidation({
    validate: () => [
      ...checks(),
      ...othersInSameRegistry(construct, kind).map(other => `${kind} at '${construct.node.path}': ${otherOwner(other.node.path)}`),
    ],
  });
}
