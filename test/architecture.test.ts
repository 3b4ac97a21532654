import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/*
 * The shape of src/: feature rooms (registry, images, nodes, kubernetes, warm-up, operations, and
 * a small core), each with its own private/. A private module does the work of a public construct;
 * it may name public types (type imports, enums), but never reaches back up for a public class as
 * a value: that is the cycle that hides where the work happens.
 */

const SRC = path.join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

const isPrivate = (file: string) => path.relative(SRC, file).split(path.sep).includes('private');
const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/');

const files = sourceFiles(SRC);
const program = ts.createProgram(files, { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
const checker = program.getTypeChecker();

/** Whether a symbol has a flag. */
// eslint-disable-next-line no-bitwise
const is = (symbol: ts.Symbol, flag: ts.SymbolFlags) => (symbol.flags & flag) !== 0;

/** Whether a class is a construct: `Construct` is among its base classes. */
function isConstruct(symbol: ts.Symbol): boolean {
  let type: ts.Type | undefined = checker.getDeclaredTypeOfSymbol(symbol);
  while (type) {
    if (type.symbol?.name === 'Construct' && type.symbol.declarations?.some(d => d.getSourceFile().fileName.includes('/node_modules/constructs/'))) {
      return true;
    }
    type = checker.getBaseTypes(type as ts.InterfaceType)[0];
  }
  return false;
}

/** Each relative import of a file: the module it resolves to and the names it takes as values. */
function imports(file: string): { target: string; values: { name: string; kind: string }[] }[] {
  const source = program.getSourceFile(file)!;
  const found: { target: string; values: { name: string; kind: string }[] }[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) {
      continue;
    }
    const specifier = statement.moduleSpecifier.text;
    if (!specifier.startsWith('.')) {
      continue;
    }
    const resolved = ts.resolveModuleName(specifier, file, program.getCompilerOptions(), ts.sys).resolvedModule;
    if (!resolved) {
      throw new Error(`${rel(file)}: cannot resolve '${specifier}'`);
    }
    const clause = statement.importClause;
    const values: { name: string; kind: string }[] = [];
    if (clause && clause.phaseModifier !== ts.SyntaxKind.TypeKeyword && clause.namedBindings && ts.isNamedImports(clause.namedBindings)) {
      for (const element of clause.namedBindings.elements.filter(e => !e.isTypeOnly)) {
        let symbol = checker.getSymbolAtLocation(element.name)!;
        if (is(symbol, ts.SymbolFlags.Alias)) {
          symbol = checker.getAliasedSymbol(symbol);
        }
        const kind = is(symbol, ts.SymbolFlags.Class) ? (isConstruct(symbol) ? 'construct' : 'class')
          : is(symbol, ts.SymbolFlags.Enum) ? 'enum'
            : is(symbol, ts.SymbolFlags.Function) ? 'function' : 'other';
        values.push({ name: element.name.text, kind });
      }
    }
    found.push({ target: path.resolve(resolved.resolvedFileName), values });
  }
  return found;
}

test('src/ is made of feature rooms and a core, each public module in a room', () => {
  const rooms = new Set(files.filter(f => path.dirname(f) !== SRC).map(f => rel(f).split('/')[0]));
  expect([...rooms].sort()).toEqual(['core', 'images', 'kubernetes', 'nodes', 'operations', 'registry', 'warm-up']);
  // Only the entry point sits at the top.
  expect(files.filter(f => path.dirname(f) === SRC).map(rel)).toEqual(['index.ts']);
});

test('no private module imports a public construct as a value (type imports, enums and data classes are fine)', () => {
  const constructs: string[] = [];
  const dataClasses = new Set<string>();
  for (const file of files.filter(isPrivate)) {
    for (const { target, values } of imports(file)) {
      if (isPrivate(target) || !target.startsWith(SRC)) {
        continue;
      }
      for (const value of values) {
        if (value.kind === 'construct') {
          constructs.push(`${rel(file)} imports the construct ${value.name} from ${rel(target)}`);
        } else if (value.kind === 'class') {
          dataClasses.add(`${rel(file)}: ${value.name}`);
        }
      }
    }
  }
  expect(constructs).toEqual([]);
  // The public classes private modules may use as values: immutable data, not constructs. A new
  // one is a choice to make here, deliberately.
  expect([...dataClasses].sort()).toEqual([
    'images/private/image-uri.ts: ImageReference',
  ]);
});

test('the warm-up handler imports nothing outside its folder (its asset is that folder alone)', () => {
  const handler = path.join(SRC, 'warm-up', 'private', 'handler');
  const outside = files.filter(f => f.startsWith(handler + path.sep))
    .flatMap(file => imports(file).filter(i => !i.target.startsWith(handler + path.sep)).map(i => `${rel(file)} → ${rel(i.target)}`));
  expect(outside).toEqual([]);
  expect(files.filter(f => f.startsWith(handler + path.sep)).map(rel).sort())
    .toEqual(['warm-up/private/handler/index.ts', 'warm-up/private/handler/pull.ts']);
});

test('the check tells a class from other values', () => {
  // A public module's import of a public class is read as one: the check above is not blind.
  const values = imports(path.join(SRC, 'warm-up', 'cached-images.ts')).flatMap(i => i.values);
  expect(values).toContainEqual({ name: 'PullThroughCache', kind: 'construct' });
  expect(values).toContainEqual({ name: 'throwIfInvalid', kind: 'function' });
});
