import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

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
      + `${kind}.getOrCreate() needs it for the registry's one ${kind}`,
    );
  }
  return existing;
}

/**
 * The other constructs of a kind in the app that live in the same registry as `construct`: in the
 * same (outermost) stack, or in a stack deployed to the same known account and region. Stacks
 * without a concrete environment are never matched with another stack: they could be deployed
 * anywhere.
 */
export function othersInSameRegistry<T extends IConstruct>(construct: IConstruct, isKind: (c: IConstruct) => c is T): T[] {
  const stack = registryStack(construct);
  const env = environmentOf(stack);
  return construct.node.root.node.findAll()
    .filter(isKind)
    .filter(c => {
      if (c === construct) {
        return false;
      }
      const other = registryStack(c);
      return other === stack || (env !== undefined && environmentOf(other) === env);
    });
}

/** Where a stack is deployed, when both its account and region are known. */
export function environmentOf(stack: Stack): string | undefined {
  return Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) ? undefined : `${stack.account}/${stack.region}`;
}
