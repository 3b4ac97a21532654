import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The npm package is what every jsii package embeds (the wheel, the jar, the Go module and the
 * .NET project carry its tarball), so what it packs reaches every language. It must hold the
 * library and nothing else, whatever the working tree holds: package.json's `files` allow-list
 * (set in .projenrc.ts) decides, not a deny-list of what tests and tools happen to leave behind.
 */

const ROOT = path.resolve(__dirname, '..');

/** The packed tarball's size limit (it is about 0.3 MB today). */
const MAX_PACKED_BYTES = 1024 * 1024;

/** What the package may hold; npm adds package.json, README.md and LICENSE itself. */
const ALLOWED = [/^lib\/.+\.js$/, /^lib\/.+\.d\.ts$/, /^\.jsii$/, /^API\.md$/, /^README\.md$/, /^LICENSE$/, /^package\.json$/];

interface PackResult {
  readonly size: number;
  readonly files: { readonly path: string }[];
}

/** The jsii output the package is made of: compiled here when missing or older than src/. */
function ensureCompiled(): void {
  const assembly = path.join(ROOT, '.jsii');
  const built = fs.existsSync(assembly) ? fs.statSync(assembly).mtimeMs : 0;
  const newestSource = Math.max(
    ...(fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.statSync(path.join(ROOT, 'src', f)).mtimeMs),
  );
  if (built < newestSource) {
    execFileSync('npx', ['jsii', '--silence-warnings=reserved-word'], { cwd: ROOT, stdio: 'pipe' });
  }
}

/** The source files of the library, as the `lib/` paths jsii compiles them to (no extension). */
function compiledSources(): string[] {
  return (fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `lib/${f.split(path.sep).join('/').replace(/\.ts$/, '')}`);
}

describe('the npm package', () => {
  // Left in the working tree while packing: a scratch install, a dot folder and a stray file, as
  // a test run, a virtual environment or a user would leave them. The large random file alone
  // (it does not compress) would break the size limit if it were packed.
  const strays = [`stray-install-${process.pid}`, `.stray-cache-${process.pid}`];
  const strayFile = `stray-${process.pid}.txt`;
  let pack: PackResult;

  beforeAll(() => {
    ensureCompiled();
    for (const dir of strays) {
      fs.mkdirSync(path.join(ROOT, dir, 'node_modules', 'pkg'), { recursive: true });
      fs.writeFileSync(path.join(ROOT, dir, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;\n');
      fs.writeFileSync(path.join(ROOT, dir, 'blob.bin'), randomBytes(2 * MAX_PACKED_BYTES));
    }
    fs.writeFileSync(path.join(ROOT, strayFile), 'left behind\n');
    try {
      const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
      });
      pack = (JSON.parse(out) as PackResult[])[0];
    } finally {
      for (const dir of strays) fs.rmSync(path.join(ROOT, dir), { recursive: true, force: true });
      fs.rmSync(path.join(ROOT, strayFile), { force: true });
    }
  }, 180_000);

  test('holds only allow-listed files, whatever else the working tree holds', () => {
    const outside = pack.files.map((f) => f.path).filter((p) => !ALLOWED.some((re) => re.test(p)));
    expect(outside).toEqual([]);
  });

  test(`is packed to under ${MAX_PACKED_BYTES} bytes`, () => {
    expect(pack.size).toBeLessThan(MAX_PACKED_BYTES);
  });

  test('holds the assembly, the docs and the compiled code and types of every source file', () => {
    const packed = new Set(pack.files.map((f) => f.path));
    const required = ['.jsii', 'API.md', 'README.md', 'LICENSE', 'package.json'];
    for (const base of compiledSources()) required.push(`${base}.js`, `${base}.d.ts`);
    expect(required.filter((f) => !packed.has(f))).toEqual([]);
  });
});
