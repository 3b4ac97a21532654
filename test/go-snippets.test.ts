import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { goSnippets, tsSnippets, tsSha256 } from '../scripts/go-snippets';

// Every TypeScript snippet rosetta translates (the code blocks of README.md and of the guides in
// docs/, src/'s @examples) has Go
// written by hand in consumers/go/snippets (compiled by the Go consumer, written into the Go
// module's README by scripts/go-snippets.ts), and no Go translates a snippet that changed.
describe('hand-written Go snippets', () => {
  const ts = tsSnippets();
  const go = goSnippets();

  test('README.md, the guides and the @examples have snippets', () => {
    expect(ts.filter(s => s.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(8);
    expect(ts.filter(s => /^docs\/[\w-]+\.md:\d+$/.test(s.where)).length).toBeGreaterThanOrEqual(20);
    expect(new Set(ts.filter(s => s.where.startsWith('docs/')).map(s => s.where.split(':')[0])).size).toBeGreaterThanOrEqual(7);
    expect(ts.filter(s => s.where.endsWith('(@example)')).length).toBeGreaterThanOrEqual(7);
  });

  test('every TypeScript snippet has its Go', () => {
    const missing = ts.filter(s => !go.some(g => g.tsSha256 === s.tsSha256))
      .map(s => `${s.where} (ts-sha256 ${s.tsSha256}): write its Go in consumers/go/snippets`);
    expect(missing).toEqual([]);
  });

  test('every Go snippet translates a current TypeScript snippet', () => {
    const orphans = go.filter(g => !ts.some(s => s.tsSha256 === g.tsSha256))
      .map(g => `consumers/go/snippets/${g.file} ${g.func} (ts-sha256 ${g.tsSha256}): its TypeScript changed; update the Go and its ts-sha256`);
    expect(orphans).toEqual([]);
  });

  test('a changed README snippet no longer matches its Go', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-snippets-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'README.md'), '```ts\nnew ptc.PullThroughCache(this, \'Cache\', { upstreams: [] });\n```\n');
    const before = tsSnippets(dir)[0].tsSha256;
    fs.writeFileSync(path.join(dir, 'README.md'), '```ts\nnew ptc.PullThroughCache(this, \'Cache2\', { upstreams: [] });\n```\n');
    expect(tsSnippets(dir)[0].tsSha256).not.toEqual(before);
    expect(before).toEqual(tsSha256("new ptc.PullThroughCache(this, 'Cache', { upstreams: [] });\n"));
  });

  test('a guide\'s snippet is found, located by guide and line, and keyed by its text alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-snippets-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.mkdirSync(path.join(dir, 'docs'));
    const snippet = 'new ptc.PullThroughCache(this, \'Cache\', { upstreams: [] });\n';
    fs.writeFileSync(path.join(dir, 'README.md'), '# x\n');
    fs.writeFileSync(path.join(dir, 'docs', 'guide.md'), '# Guide\n\ntext\n\n```ts\n' + snippet + '```\n');
    expect(tsSnippets(dir)).toEqual([{ where: 'docs/guide.md:5', tsSha256: tsSha256(snippet) }]);
  });

  test('the rendered Go shows only the imports its body uses', () => {
    const quickStart = go.find(g => g.func === 'QuickStart')!;
    expect(quickStart.rendered).toContain('import ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"');
    expect(quickStart.rendered).not.toContain('awsiam');
    expect(quickStart.rendered).not.toMatch(/^func /m);
    expect(quickStart.rendered).toMatch(/^ptc\.NewPullThroughCache\(this, jsii\.String\("Cache"\)/m);
  });
});
