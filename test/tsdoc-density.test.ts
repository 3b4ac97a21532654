import * as path from 'path';
import { density, docBlocks, docComments, measure } from '../scripts/tsdoc-density';

// The TSDoc of src/ stays at aws-cdk-lib density (issue 17): a summary, @default, @see and the one
// fact a caller needs; guides hold the long explanations. `npx projen docs:density` prints the figures.
describe('TSDoc density', () => {
  test('words are prose: tag names, @example bodies and fenced code are not counted', () => {
    expect(measure('/** The cache\'s rule prefix. */')).toEqual({ words: 4, codeLines: 0 });
    expect(measure([
      '/**',
      ' * Grants pulls through the cache.',
      ' *',
      ' * @default - no grant',
      ' * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html',
      ' * @example',
      ' * cache.grantPull(role);',
      ' * const x = 1;',
      ' */',
    ].join('\n'))).toEqual({ words: 5 + 2 + 1, codeLines: 2 });
    expect(measure('/**\n * Write the file:\n * ```sh\n * f=$(mktemp)\n * ```\n * Then {@link PullThroughCache} reads it.\n */'))
      .toEqual({ words: 3 + 4, codeLines: 1 });
    expect(measure('/** @internal */')).toEqual({ words: 0, codeLines: 0 });
  });

  test('only real comments are blocks: not /** in a string, a template or a regular expression', () => {
    const text = [
      'const glob = \'lib/**/*.js\';',
      'const t = `a ${glob} /** not a doc */`;',
      'const r = /\\/\\*\\*/;',
      '/** One. */',
      'export class A {',
      '  /** Two. */',
      '  readonly b = 1; /** Three. */',
      '}',
      '/** Four, at the end. */',
    ].join('\n');
    expect(docComments('x.ts', text).map(c => c.text)).toEqual(['/** One. */', '/** Two. */', '/** Three. */', '/** Four, at the end. */']);
  });

  test('the figures: tag-only blocks are left out of the average, longest first', () => {
    const d = density([
      { file: 'a.ts', line: 1, words: 10, codeLines: 0 },
      { file: 'a.ts', line: 5, words: 120, codeLines: 0 },
      { file: 'b.ts', line: 2, words: 20, codeLines: 3 },
      { file: 'b.ts', line: 9, words: 0, codeLines: 0 },
    ], 2);
    expect(d).toEqual({
      blocks: 3,
      tagOnly: 1,
      average: 50,
      median: 20,
      over100: 1,
      longest: [
        { file: 'a.ts', line: 5, words: 120, codeLines: 0 },
        { file: 'b.ts', line: 2, words: 20, codeLines: 3 },
      ],
    });
  });

  test('src/ averages under 30 words a block, none over 100', () => {
    const blocks = docBlocks([path.join(__dirname, '..', 'src')]);
    expect(blocks.length).toBeGreaterThan(300);
    const d = density(blocks);
    expect(d.average).toBeLessThan(30);
    expect(blocks.filter(b => b.words > 100).map(b => `${b.file}:${b.line} (${b.words} words)`)).toEqual([]);
  });
});
