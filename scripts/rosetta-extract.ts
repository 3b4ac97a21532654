// `jsii-rosetta extract --strict --compile`, plus the ```ts blocks of the guides (docs/*.md).
//
//   ts-node scripts/rosetta-extract.ts
//
// rosetta extracts what the assembly holds: README.md (the module readme) and the @examples. The
// guides are not in the assembly (jsii has no place for them), so this script adds their snippets,
// made exactly as rosetta makes the README's (same markdown parser, strictness, fixture
// rosetta/default.ts-fixture, compilation dependencies), each located as `docs/<guide>.md:LINE`
// (rosetta's `file` location). All are compiled strictly and translated into the same implicit
// tablet, .jsii.tabl.json, where scripts/go-snippets.ts, scripts/translations/check.py,
// jsii-pacmak and jsii-docgen read them. Unchanged snippets come from the previous tablet (as
// `jsii-rosetta extract` does). Any compiler diagnostic fails, as with `--strict`.
//
// rosetta's public API (RosettaTranslator, LanguageTablet) translates; the snippet makers
// (loadAssemblies, allTypeScriptSnippets) are not exported by the package, so they are required by
// file from the installed jsii-rosetta (the version is pinned in package.json).
import * as fs from 'fs';
import * as path from 'path';
import { LanguageTablet, RosettaTranslator, TypeScriptSnippet } from 'jsii-rosetta';

const ROOT = path.join(__dirname, '..');
export const DOCS_DIR = path.join(ROOT, 'docs');
const TABLET = path.join(ROOT, '.jsii.tabl.json');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const assemblies = require(path.join(path.dirname(require.resolve('jsii-rosetta')), 'jsii', 'assemblies'));

/** The guides whose ```ts blocks are snippets: docs/*.md (not docs/api/, which docgen writes). */
export function guides(root: string = ROOT): string[] {
  const dir = path.join(root, 'docs');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`);
}

/**
 * The snippets of one guide, made as rosetta makes the README's, located in the guide.
 * @param loaded the package as rosetta loads it (`loadAssemblies`): its directory holds the fixture
 */
export async function guideSnippets(loaded: any, guide: string, root: string = ROOT): Promise<TypeScriptSnippet[]> {
  const markdown = fs.readFileSync(path.join(root, guide), 'utf8');
  // The guide in the README's place, and nothing else, so that rosetta's own code makes its snippets.
  const asGuide = { ...loaded, assembly: { ...loaded.assembly, readme: { markdown }, types: {}, submodules: {} } };
  const made: TypeScriptSnippet[] = await assemblies.allTypeScriptSnippets([asGuide], false);
  return made.map(s => ({ ...s, location: { api: { api: 'file', fileName: guide }, field: s.location.field } }));
}

/** This package as rosetta loads it, without its assembly (.jsii): enough to make snippets, not to translate them. */
export function packageWithoutAssembly(root: string = ROOT): any {
  const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return { assembly: { name: packageJson.name, types: {} }, directory: root, packageJson };
}

async function main(): Promise<void> {
  const loaded = assemblies.loadAssemblies([ROOT], false);
  const fromAssembly: TypeScriptSnippet[] = await assemblies.allTypeScriptSnippets(loaded, false);
  const fromGuides: TypeScriptSnippet[] = [];
  for (const guide of guides()) fromGuides.push(...await guideSnippets(loaded[0], guide));
  let snippets = [...fromAssembly, ...fromGuides];

  const translator = new RosettaTranslator({ includeCompilerDiagnostics: true, assemblies: loaded.map((a: any) => a.assembly) });
  if (fs.existsSync(TABLET)) await translator.addToCache(TABLET);
  const all = [...snippets];
  if (translator.hasCache()) {
    const cache = translator.readFromCache(snippets, true, true);
    console.log(`rosetta: reused ${cache.translations.length} translations from ${path.basename(TABLET)}`);
    snippets = cache.remaining;
  }
  const diagnostics = snippets.length > 0 ? (await translator.translateAll(snippets)).diagnostics : [];
  if (diagnostics.length > 0) {
    for (const d of diagnostics) console.error(d.formattedMessage);
    console.error(`rosetta: ${diagnostics.length} diagnostic(s) in ${snippets.length} translated snippet(s) (strict: every snippet must compile)`);
    process.exit(1);
  }
  const tablet = new LanguageTablet();
  const missing = all.filter(s => !translator.tablet.lookupBySource(s));
  if (missing.length > 0) {
    console.error(`rosetta: no translation for ${missing.map(s => JSON.stringify(s.location)).join(', ')}`);
    process.exit(1);
  }
  // A translation reused from the previous tablet carries the line its snippet had then: give it today's.
  tablet.addSnippets(...all.map(s => translator.tablet.lookupBySource(s)!.withLocation(s.location)));
  await tablet.save(TABLET);
  const readme = fromAssembly.filter(s => s.location.api.api === 'moduleReadme').length;
  console.log(`rosetta: ${all.length} snippets compiled strict and translated into ${path.basename(TABLET)}: `
    + `${readme} of README.md, ${fromGuides.length} of ${guides().length} guides (docs/*.md), ${fromAssembly.length - readme} @examples`);
}

if (require.main === module) {
  main().catch(e => { console.error(e); process.exit(1); });
}
