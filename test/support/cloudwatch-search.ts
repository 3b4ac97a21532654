/**
 * A parser of CloudWatch metric math `SEARCH` expressions, written from "CloudWatch search
 * expression syntax" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html):
 *
 *   SEARCH(' {Namespace, DimensionName1, DimensionName2, ...} SearchTerm', 'Statistic', Period)
 *
 * - the query (schema and search term) is enclosed in one pair of single quotes, so it holds none;
 * - the metric schema, in braces, is a namespace and optional dimension names; a name with spaces
 *   or characters other than letters and digits must be in double quotes (the page's own example
 *   `{AWS/EC2,InstanceId}` leaves `AWS/EC2` bare; this parser holds us to the stated rule);
 * - the search term is partial-match words and exact-match "quoted" phrases, each optionally after a
 *   designator `Name=`, combined with the Boolean operators AND, OR, NOT and parentheses; at least
 *   one of schema and search term is present;
 * - the statistic, in single quotes, is a CloudWatch statistic; the period is in seconds (1, 5,
 *   10, 30 or a multiple of 60, as for any metric).
 *
 * Stands in for CloudWatch itself, which no test here can call.
 */

export type Term =
  | { readonly kind: 'match'; readonly designator?: string; readonly value: string; readonly exact: boolean }
  | { readonly kind: 'not'; readonly term: Term }
  | { readonly kind: 'and' | 'or'; readonly terms: Term[] };

export interface Search {
  readonly namespace?: string;
  readonly dimensions: string[];
  readonly term?: Term;
  readonly statistic: string;
  readonly period?: number;
}

/**
 * The statistics of "CloudWatch statistics definitions"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html):
 * the named ones, pNN(.NN), tmNN/tcNN/tsNN/wmNN and the range forms TM(10%:90%), PR(:300), ...
 */
const STATISTIC = /^(SampleCount|Average|Sum|Minimum|Maximum|IQM|[pP]\d{1,2}(\.\d+)?|(tm|tc|ts|wm|TM|TC|TS|WM)\d{1,2}(\.\d+)?|(tm|tc|ts|wm|pr|TM|TC|TS|WM|PR)\((\d+(\.\d+)?%?)?:(\d+(\.\d+)?%?)?\))$/;

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  public fail(message: string): never {
    throw new Error(`${message} at ${this.pos} in ${this.text}`);
  }

  public ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) {
      this.pos++;
    }
  }

  public peek(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  public expect(s: string): void {
    if (!this.peek(s)) {
      this.fail(`expected ${s}`);
    }
    this.pos += s.length;
  }

  public atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** A name of the schema: letters and digits, or any text but `"` in double quotes. */
  public schemaName(): string {
    this.ws();
    if (this.peek('"')) {
      this.pos++;
      const end = this.text.indexOf('"', this.pos);
      if (end < 0) {
        this.fail('unterminated double quote');
      }
      const name = this.text.slice(this.pos, end);
      if (name.length === 0) {
        this.fail('empty name');
      }
      this.pos = end + 1;
      return name;
    }
    const m = /^[A-Za-z0-9]+/.exec(this.text.slice(this.pos));
    if (!m) {
      this.fail('a name with characters other than letters and digits must be in double quotes');
    }
    this.pos += m[0].length;
    return m[0];
  }

  public schema(): { namespace: string; dimensions: string[] } {
    this.expect('{');
    const names = [this.schemaName()];
    this.ws();
    while (this.peek(',')) {
      this.pos++;
      names.push(this.schemaName());
      this.ws();
    }
    this.expect('}');
    return { namespace: names[0], dimensions: names.slice(1) };
  }

  /** or := and (OR and)* ; and := unary ((AND)? unary)* ; unary := NOT unary | '(' or ')' | match */
  public or(): Term {
    const terms = [this.and()];
    for (this.ws(); this.keyword('OR'); this.ws()) {
      terms.push(this.and());
    }
    return terms.length === 1 ? terms[0] : { kind: 'or', terms };
  }

  private and(): Term {
    const terms = [this.unary()];
    for (;;) {
      this.ws();
      if (this.keyword('AND')) {
        terms.push(this.unary());
      } else if (!this.atEnd() && !this.peek(')') && !this.peekKeyword('OR')) {
        terms.push(this.unary()); // terms side by side
      } else {
        break;
      }
    }
    return terms.length === 1 ? terms[0] : { kind: 'and', terms };
  }

  private unary(): Term {
    this.ws();
    if (this.keyword('NOT')) {
      return { kind: 'not', term: this.unary() };
    }
    if (this.peek('(')) {
      this.pos++;
      const term = this.or();
      this.ws();
      this.expect(')');
      return term;
    }
    return this.match();
  }

  private match(): Term {
    let designator: string | undefined;
    const d = /^([A-Za-z0-9_.:]+)\s*=\s*/.exec(this.text.slice(this.pos));
    if (d) {
      designator = d[1];
      this.pos += d[0].length;
    }
    if (this.peek('"')) {
      this.pos++;
      const end = this.text.indexOf('"', this.pos);
      if (end < 0) {
        this.fail('unterminated double quote');
      }
      const value = this.text.slice(this.pos, end);
      this.pos = end + 1;
      return { kind: 'match', designator, value, exact: true };
    }
    const w = /^[A-Za-z0-9]+/.exec(this.text.slice(this.pos));
    if (!w) {
      this.fail('expected a word or a "quoted" phrase (other characters must be quoted)');
    }
    this.pos += w[0].length;
    return { kind: 'match', designator, value: w[0], exact: false };
  }

  private peekKeyword(k: string): boolean {
    return this.peek(k) && !/[A-Za-z0-9=]/.test(this.text[this.pos + k.length] ?? '');
  }

  private keyword(k: string): boolean {
    if (this.peekKeyword(k)) {
      this.pos += k.length;
      return true;
    }
    return false;
  }
}

/** Parse the query between SEARCH's single quotes. */
export function parseQuery(query: string): Pick<Search, 'namespace' | 'dimensions' | 'term'> {
  const p = new Parser(query);
  p.ws();
  let namespace: string | undefined;
  let dimensions: string[] = [];
  if (p.peek('{')) {
    ({ namespace, dimensions } = p.schema());
  }
  p.ws();
  const term = p.atEnd() ? undefined : p.or();
  p.ws();
  if (!p.atEnd()) {
    p.fail('unexpected text');
  }
  if (namespace === undefined && term === undefined) {
    p.fail('a search needs a metric schema, a search term or both');
  }
  return { namespace, dimensions, term };
}

/** Parse one `SEARCH(...)` call at the start of `text`; returns it and the text after it. */
export function parseSearchCall(text: string): { search: Search; rest: string } {
  const m = /^SEARCH\(\s*'([^']*)'\s*,\s*'([^']*)'\s*(?:,\s*(\d+)\s*)?\)/.exec(text);
  if (!m) {
    throw new Error(`not a SEARCH(' query ', 'Statistic'[, Period]) call: ${text}`);
  }
  const [, query, statistic, period] = m;
  if (!isStatistic(statistic)) {
    throw new Error(`'${statistic}' is not a CloudWatch statistic`);
  }
  const seconds = period === undefined ? undefined : Number(period);
  if (seconds !== undefined && ![1, 5, 10, 30].includes(seconds) && (seconds <= 0 || seconds % 60 !== 0)) {
    throw new Error(`period ${seconds}: 1, 5, 10, 30 or a multiple of 60 seconds`);
  }
  return { search: { ...parseQuery(query), statistic, period: seconds }, rest: text.slice(m[0].length) };
}

/** Whether CloudWatch documents `statistic` as a statistic. */
export function isStatistic(statistic: string): boolean {
  return STATISTIC.test(statistic);
}

/** Every SEARCH call of a metric math expression, parsed; throws on any that does not parse. */
export function searchesIn(expression: string): Search[] {
  const found: Search[] = [];
  for (let i = expression.indexOf('SEARCH('); i >= 0; i = expression.indexOf('SEARCH(', i + 1)) {
    found.push(parseSearchCall(expression.slice(i)).search);
  }
  return found;
}

/** The words CloudWatch matches a partial term against: runs of letters and digits. */
function words(value: string): string[] {
  return value.split(/[^A-Za-z0-9]+/).filter(w => w.length > 0);
}

/**
 * Whether a metric (its name and dimensions) satisfies a search term, as the page describes it: a
 * partial term matches one of the words of a value, an exact term the whole value; a designator
 * limits the term to that property. A model of CloudWatch's matching for tests, not CloudWatch.
 */
export function termMatches(term: Term, properties: Record<string, string>): boolean {
  switch (term.kind) {
    case 'and':
      return term.terms.every(t => termMatches(t, properties));
    case 'or':
      return term.terms.some(t => termMatches(t, properties));
    case 'not':
      return !termMatches(term.term, properties);
    case 'match': {
      const values = term.designator === undefined ? Object.values(properties) : [properties[term.designator] ?? ''];
      return values.some(v => (term.exact ? v === term.value : words(v).includes(term.value)));
    }
  }
}
