/**
 * Type checks for values from untyped callers: JavaScript users (and `as any`) bypass the
 * TypeScript types, and jsii checks them only for the other languages. Each check duck-types,
 * because `instanceof` fails when the caller's `aws-cdk-lib` is another copy than this library's.
 */

/** Most characters of a value a message quotes. */
const MAX_DESCRIBED_LENGTH = 80;

/**
 * A short, never-throwing description of a value for an error message: strings in quotes,
 * numbers, `null`, `undefined`, JSON for plain data and the class name for anything else.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return `'${truncate(value)}'`;
  }
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'function') {
    return `a function${value.name ? ` (${value.name})` : ''}`;
  }
  if (typeof value === 'symbol') {
    return value.toString();
  }
  const prototype = Object.getPrototypeOf(value);
  if (Array.isArray(value) || prototype === Object.prototype || prototype === null) {
    try {
      return truncate(JSON.stringify(value));
    } catch {
      // Circular or not serializable: fall through to the class name.
    }
  }
  const name = (value as object).constructor?.name;
  return name ? `a ${name}` : 'an object';
}

function truncate(text: string): string {
  return text.length > MAX_DESCRIBED_LENGTH ? `${text.slice(0, MAX_DESCRIBED_LENGTH)}...` : text;
}

/** A non-null object that is not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Looks like a `secretsmanager.ISecret`: a construct with a string `secretArn`. */
export function isSecret(value: unknown): boolean {
  return isRecord(value) && typeof value.secretArn === 'string' && isRecord(value.node);
}

/** Looks like a `kms.IKey`: a string `keyArn` and a `grant` method. */
export function isKey(value: unknown): boolean {
  return isRecord(value) && typeof value.keyArn === 'string' && typeof value.grant === 'function';
}

/** Looks like an `iam.PolicyDocument`. */
export function isPolicyDocument(value: unknown): boolean {
  return isRecord(value) && typeof value.toJSON === 'function' && typeof value.validateForResourcePolicy === 'function';
}

/** Looks like a `Duration`. */
export function isDuration(value: unknown): boolean {
  return isRecord(value) && typeof value.toDays === 'function' && typeof value.toString === 'function';
}

/** As `describeValue`, but strings in JSON's double quotes. */
export function describeJson(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
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
