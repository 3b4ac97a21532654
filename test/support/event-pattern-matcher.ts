/**
 * EventBridge's event-pattern matching, for the subset of the syntax this library writes:
 * - a field whose pattern is an array matches when the event's value (or, for an array value, any
 *   of its elements) equals one of the array's literals (string, number, boolean, null), or
 *   matches one of its content filters: `{ "prefix": "..." }`, `{ "anything-but": [...] | value }`;
 * - a field whose pattern is an object matches when the event's value is an object matching it;
 * - every field of the pattern must match (AND), a field missing from the event never matches,
 *   fields of the event the pattern does not name are ignored.
 * An unsupported filter throws, so a test never passes on syntax this matcher does not know.
 *
 * Source: the EventBridge user guide, "Event patterns" and "Content filtering".
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  if (!isObject(event)) {
    return false;
  }
  return Object.entries(pattern).every(([field, expected]) => {
    if (!(field in event)) {
      return false;
    }
    const actual = (event as Record<string, unknown>)[field];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return values.some(value => expected.some(filter => matchesFilter(filter, value)));
    }
    if (isObject(expected)) {
      return matchesPattern(expected, actual);
    }
    throw new Error(`pattern field '${field}' must be an array or an object, got ${JSON.stringify(expected)}`);
  });
}

function matchesFilter(filter: unknown, value: unknown): boolean {
  if (filter === null || ['string', 'number', 'boolean'].includes(typeof filter)) {
    return filter === value;
  }
  if (isObject(filter)) {
    const keys = Object.keys(filter);
    if (keys.length !== 1) {
      throw new Error(`unsupported content filter ${JSON.stringify(filter)}`);
    }
    const [key] = keys;
    const operand = filter[key];
    switch (key) {
      case 'prefix':
        return typeof operand === 'string' && typeof value === 'string' && value.startsWith(operand);
      case 'anything-but': {
        if (isObject(operand)) {
          throw new Error(`unsupported content filter ${JSON.stringify(filter)}`);
        }
        const excluded = Array.isArray(operand) ? operand : [operand];
        return !excluded.includes(value);
      }
      default:
        throw new Error(`unsupported content filter ${JSON.stringify(filter)}`);
    }
  }
  throw new Error(`unsupported filter ${JSON.stringify(filter)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
