import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { guides, guideSnippets, packageWithoutAssembly } from '../scripts/rosetta-extract';

// The guides' snippets are made by rosetta's own code, as the README's are, then compiled and
// translated by `npx projen test:docs` (which fails on any compiler diagnostic). These tests check
// what goes in: every guide, each snippet located in its guide and wrapped in the README's fixture.
describe('the guides\' snippets for jsii-rosetta', () => {
  const root = path.join(__dirname, '..');

  test('every guide of docs/ is read, the generated API reference is not', () => {
    const found = guides();
    expect(found).toEqual(expect.arrayContaining(['docs/registries.md', 'docs/images.md', 'docs/warm-up.md', 'docs/nodes.md',
      'docs/kubernetes.md', 'docs/multi-account.md', 'docs/operations.md', 'docs/limits.md']));
    expect(found.filter(g => g.startsWith('docs/api/'))).toEqual([]);
  });

  test('a guide\'s snippet is located by guide and line, in the fixture the README\'s snippets have', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosetta-extract-'));
    fs.mkdirSync(path.join(dir, 'docs'));
    const source = 'new ptc.PullThroughCache(this, \'Cache\', { upstreams: [] });';
    fs.writeFileSync(path.join(dir, 'docs', 'guide.md'), '# Guide\n\ntext\n\n```ts\n' + source + '\n```\n\n```sh\necho not a snippet\n```\n');
    const [snippet, ...others] = await guideSnippets(packageWithoutAssembly(root), 'docs/guide.md', dir);
    expect(others).toEqual([]);
    expect(snippet.location).toEqual({ api: { api: 'file', fileName: 'docs/guide.md' }, field: { field: 'markdown', line: 5 } });
    expect(snippet.visibleSource.trim()).toEqual(source);
    // rosetta/default.ts-fixture: `this` is a Stack.
    const fixture = fs.readFileSync(path.join(root, 'rosetta', 'default.ts-fixture'), 'utf8');
    expect(fixture).toContain('/// here');
    expect(snippet.completeSource).toContain('class Fixture extends FixtureStack');
    expect(snippet.completeSource).toContain(source);
    // Compiled against this package and its peer dependencies, as the README's snippets are.
    expect(Object.keys(snippet.compilationDependencies ?? {})).toEqual(expect.arrayContaining(['cdk-pull-through-cache', 'aws-cdk-lib', 'constructs']));
  });

  test('the guides hold snippets', async () => {
    const all = (await Promise.all(guides().map(g => guideSnippets(packageWithoutAssembly(root), g)))).flat();
    expect(all.length).toBeGreaterThanOrEqual(20);
    expect(all.every(s => (s.location.api as any).fileName.startsWith('docs/'))).toBe(true);
  });
});
