// The Go of the snippets of README.md, the guides (docs/*.md) and the @examples, hand-written in
// consumers/go/snippets and compiled there, in place of jsii-rosetta's Go, which does not compile.
//
//   ts-node scripts/go-snippets.ts list              every snippet of the tablet: its ts-sha256, where
//                                                     it is, and whether hand-written Go replaces it
//   ts-node scripts/go-snippets.ts inject            writes the hand-written Go into the tablet
//                                                     (.jsii.tabl.json; scripts/rosetta-extract.ts
//                                                     first when it is missing or older than .jsii,
//                                                     the fixtures or a guide), where
//                                                     jsii-pacmak and jsii-docgen read translations
//   ts-node scripts/go-snippets.ts check-readme DIR  the Go module's README in DIR holds every
//                                                     hand-written README snippet
//
// A Go function whose ts-sha256 matches no snippet (the TypeScript changed) is an error.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { guides } from './rosetta-extract';

const ROOT = path.join(__dirname, '..');
export const SNIPPETS_DIR = path.join(ROOT, 'consumers', 'go', 'snippets');
const TABLET = path.join(ROOT, '.jsii.tabl.json');
const ASSEMBLY = path.join(ROOT, '.jsii');

/** A hand-written Go snippet: a function of consumers/go/snippets. */
export interface GoSnippet {
  readonly file: string;
  readonly func: string;
  readonly tsSha256: string;
  /** What the reader sees: the imports the body uses, a blank line, the body. */
  readonly rendered: string;
}

/** The start of the SHA-256 of a TypeScript snippet's visible source: the key of its Go. */
export function tsSha256(source: string): string {
  return createHash('sha256').update(source.trim()).digest('hex').slice(0, 16);
}

/** A TypeScript snippet rosetta translates: a code block of README.md or a guide, or an @example of src/. */
export interface TsSnippet {
  readonly where: string;
  readonly tsSha256: string;
}

/** Every ```ts block of README.md and of the guides (docs/*.md), and every @example of src/, as rosetta sees them. */
export function tsSnippets(root: string = ROOT): TsSnippet[] {
  const out: TsSnippet[] = [];
  for (const doc of ['README.md', ...guides(root)]) {
    const text = fs.readFileSync(path.join(root, doc), 'utf8');
    for (const m of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
      out.push({ where: `${doc}:${text.slice(0, m.index).split('\n').length}`, tsSha256: tsSha256(m[1]) });
    }
  }
  const sources = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
  for (const file of sources(path.join(root, 'src')).sort()) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!/^\s*\* @example\s*$/.test(line)) return;
      const body: string[] = [];
      for (let j = i + 1; j < lines.length && !/^\s*\*\/|^\s*\* @\w/.test(lines[j]); j++) body.push(lines[j].replace(/^\s*\* ?/, ''));
      out.push({ where: `${path.relative(root, file)}:${i + 1} (@example)`, tsSha256: tsSha256(body.join('\n')) });
    });
  }
  return out;
}

/** The name a Go import path is used by: its alias, or its package name. */
function importName(alias: string | undefined, importPath: string): string {
  if (alias) return alias;
  const parts = importPath.split('/');
  let last = parts[parts.length - 1];
  if (/^v\d+$/.test(last)) last = parts[parts.length - 2];
  return last === 'jsii-runtime-go' ? 'jsii' : last;
}

/** Every exported function of consumers/go/snippets with a `ts-sha256:` line, rendered. */
export function goSnippets(dir: string = SNIPPETS_DIR): GoSnippet[] {
  const out: GoSnippet[] = [];
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.go') && !f.endsWith('_test.go')).sort()) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const imports: { name: string; line: string }[] = [];
    const block = /^import \(\n([\s\S]*?)\n\)/m.exec(text);
    for (const line of (block?.[1] ?? '').split('\n')) {
      const m = /^\s*(?:(\w+)\s+)?"([^"]+)"\s*$/.exec(line);
      if (m) imports.push({ name: importName(m[1], m[2]), line: `import ${m[1] ? m[1] + ' ' : ''}"${m[2]}"` });
    }
    const funcRe = /^\/\/ ts-sha256: ([0-9a-f]{16})\nfunc (\w+)\(this awscdk\.Stack\) \{\n([\s\S]*?)\n\}$/gm;
    for (const m of text.matchAll(funcRe)) {
      const body = m[3].split('\n').map(l => l.replace(/^\t/, '')).join('\n');
      const used = imports.filter(i => new RegExp(`\\b${i.name}\\.`).test(body));
      out.push({ file, func: m[2], tsSha256: m[1], rendered: `${used.map(i => i.line).join('\n')}\n\n${body}` });
    }
    if (/^\/\/ ts-sha256:/m.test(text) && !out.some(s => s.file === file)) {
      throw new Error(`${file}: a ts-sha256 line not followed by \`func Name(this awscdk.Stack) {\` ... \`}\``);
    }
  }
  return out;
}

interface TabletSnippet {
  translations: Record<string, { source: string; version: string }>;
  location: { api: { api: string; fqn?: string; memberName?: string; fileName?: string }; field: { field: string; line?: number } };
}

function where(s: TabletSnippet): string {
  const { api, field } = s.location;
  if (api.api === 'moduleReadme') return `README.md:${field.line}`;
  if (api.api === 'file') return `${api.fileName}:${field.line}`;
  return `@example of ${api.fqn}${api.memberName ? '.' + api.memberName : ''}`;
}

function loadTablet(): { tablet: { snippets: Record<string, TabletSnippet> }; snippets: TabletSnippet[] } {
  const tablet = JSON.parse(fs.readFileSync(TABLET, 'utf8'));
  return { tablet, snippets: Object.values(tablet.snippets) as TabletSnippet[] };
}

/** Hand-written Go whose TypeScript is in no snippet of the tablet. */
function orphans(go: GoSnippet[], snippets: TabletSnippet[]): GoSnippet[] {
  const keys = new Set(snippets.map(s => tsSha256(s.translations.$.source)));
  return go.filter(g => !keys.has(g.tsSha256));
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function ensureTablet(): void {
  const inputs = [ASSEMBLY, ...guides().map(g => path.join(ROOT, g)), ...fs.readdirSync(path.join(ROOT, 'rosetta')).map(f => path.join(ROOT, 'rosetta', f))];
  const stale = !fs.existsSync(TABLET) || inputs.some(f => fs.statSync(f).mtimeMs > fs.statSync(TABLET).mtimeMs);
  if (stale) {
    console.log('scripts/rosetta-extract.ts (the tablet is missing or older than .jsii, a fixture or a guide)');
    execFileSync('npx', ['ts-node', path.join('scripts', 'rosetta-extract.ts')], { cwd: ROOT, stdio: 'inherit' });
  }
}

function list(): void {
  const go = goSnippets();
  const { snippets } = loadTablet();
  for (const s of snippets) {
    const key = tsSha256(s.translations.$.source);
    const mine = go.find(g => g.tsSha256 === key);
    console.log(`${key}  ${where(s).padEnd(60)} ${mine ? `${mine.file} ${mine.func}` : '(rosetta)'}`);
  }
  for (const o of orphans(go, snippets)) console.log(`${o.tsSha256}  matches no snippet: ${o.file} ${o.func}`);
}

function inject(): void {
  ensureTablet();
  const go = goSnippets();
  const { tablet, snippets } = loadTablet();
  const lost = orphans(go, snippets);
  if (lost.length > 0) {
    fail(lost.map(o => `consumers/go/snippets/${o.file}: ${o.func} translates a TypeScript snippet (ts-sha256 ${o.tsSha256}) `
      + 'that is no longer in README.md, a guide (docs/*.md) or an @example: update the Go and its ts-sha256 (`npx ts-node scripts/go-snippets.ts list`)').join('\n'));
  }
  const kinds = { 'README': [0, 0], 'guide': [0, 0], '@example': [0, 0] };
  for (const s of snippets) {
    const kind = s.location.api.api === 'moduleReadme' ? 'README' : s.location.api.api === 'file' ? 'guide' : '@example';
    const mine = go.find(g => g.tsSha256 === tsSha256(s.translations.$.source));
    kinds[kind][1]++;
    if (!mine) continue;
    kinds[kind][0]++;
    s.translations.go = { ...s.translations.go, source: mine.rendered };
  }
  fs.writeFileSync(TABLET, JSON.stringify(tablet));
  const [readmeMine, readme] = kinds.README, [guideMine, guide] = kinds.guide, [examplesMine, examples] = kinds['@example'];
  console.log(`go snippets: hand-written Go for ${readmeMine} of ${readme} README snippets, ${guideMine} of ${guide} guide snippets `
    + `and ${examplesMine} of ${examples} @examples (consumers/go/snippets); rosetta's Go for the other `
    + `${readme - readmeMine + guide - guideMine + examples - examplesMine}`);
}

function checkReadme(dir: string): void {
  const file = path.join(dir, 'README.md');
  if (!fs.existsSync(file)) fail(`no ${file}`);
  const readme = fs.readFileSync(file, 'utf8');
  const { snippets } = loadTablet();
  const readmeKeys = new Set(snippets.filter(s => s.location.api.api === 'moduleReadme').map(s => tsSha256(s.translations.$.source)));
  const go = goSnippets().filter(g => readmeKeys.has(g.tsSha256));
  const missing = go.filter(g => !readme.includes(g.rendered));
  if (missing.length > 0) {
    fail(`${file} lacks the hand-written Go of ${missing.map(m => m.func).join(', ')}: `
      + 'run `npx ts-node scripts/go-snippets.ts inject`, then jsii-pacmak --target go');
  }
  console.log(`${file} holds the hand-written Go of ${go.length} README snippet(s)`);
}

if (require.main === module) {
  const [command, arg] = process.argv.slice(2);
  if (command === 'list') list();
  else if (command === 'inject') inject();
  else if (command === 'check-readme' && arg) checkReadme(arg);
  else fail('usage: go-snippets.ts list | inject | check-readme DIR');
}
