/**
 * The length a resolved CloudFormation value renders to: what the policy size checks compare with
 * ECR's limits.
 */

/** A non-null object that is not an array. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A resolved CloudFormation intrinsic function: one key, `Ref` or `Fn::...`. */
function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) {
    return false;
  }
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** The text an intrinsic is known to render at least: the literal parts of an `Fn::Join` on ''. */
function knownText(intrinsic: Record<string, unknown>): string {
  const join = intrinsic['Fn::Join'];
  if (Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) {
    return join[1].map(part => (typeof part === 'string' ? part : isIntrinsic(part) ? knownText(part) : '')).join('');
  }
  return '';
}

/**
 * The fewest characters a resolved value renders to at deployment: a string as it is, anything
 * else as compact JSON. Exact when the value has no intrinsic function; otherwise only the
 * literal text is counted (a lower bound).
 */
export function minimumRenderedLength(resolved: unknown): { readonly length: number; readonly exact: boolean } {
  if (typeof resolved === 'string') {
    return { length: resolved.length, exact: true };
  }
  if (isIntrinsic(resolved)) {
    return { length: knownText(resolved).length, exact: false };
  }
  let exact = true;
  const text = JSON.stringify(resolved, (_key, value) => {
    if (isIntrinsic(value)) {
      exact = false;
      return knownText(value);
    }
    return value;
  });
  return { length: text?.length ?? 0, exact };
}
