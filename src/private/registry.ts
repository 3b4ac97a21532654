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
 * The other singletons of the same class in the app whose stacks are deployed to the same known
 * account and region as the singleton's. Stacks without a concrete environment are never
 * reported: they could be deployed anywhere.
 */
export function otherOwnersInSameEnvironment(singleton: IConstruct, isSameKind: (c: IConstruct) => boolean): IConstruct[] {
  const env = environmentOf(singleton);
  if (env === undefined) {
    return [];
  }
  return singleton.node.root.node.findAll()
    .filter(c => c !== singleton && isSameKind(c) && environmentOf(c) === env);
}

function environmentOf(construct: IConstruct): string | undefined {
  const stack = Stack.of(construct);
  return Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) ? undefined : `${stack.account}/${stack.region}`;
}
