// TSDoc density: how many words the doc comments of a source tree spend per block, measured the
// same way for this library and for aws-cdk-lib (issue 17 asks for under 30 words a block on
// average and no block over 100; aws-ecr's repository.ts averages about 18).
//
//   ts-node scripts/tsdoc-density.ts [file or folder ...]     (default: src/)
//   npx projen docs:density
//
// What is measured:
// - A block is every `/** ... */` comment in the given .ts files (.d.ts included, so aws-cdk-lib's
//   published `repository.d.ts` can be measured). Comments are found with the TypeScript parser
//   (the leading and trailing comment ranges of every token), so `/**` inside a string, a template
//   literal or a regular expression is not a block. All of src/ is measured, the private helpers
//   and the warm-up handler (src/warm-up/private/handler) included: a newcomer reads those too.
// - Its words are the prose a reader reads: the summary, the remarks and the text of every tag
//   (`@default`, `@see`, `@param`, `@returns`, `@deprecated`, ...). Tag names themselves are not
//   words. A word is a run of non-space characters holding a letter or a digit, so a URL is one
//   word and `-` or `|` is none.
// - Code is not prose: the body of an `@example` and fenced code blocks (```) are left out of the
//   words and reported as code lines. Blocks with no words at all (`/** @internal */`) are
//   counted apart and left out of the average, so that they cannot lower it.
//
// Prints the number of blocks, the average and median words per block, how many blocks are over
// 100 words, and the longest blocks with file:line. `--max-average N --max-words M` make it exit 1
// when the average is N or more or a block has more than M words.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** One doc comment block. */
export interface DocBlock {
  /** The file, relative to the working directory. */
  readonly file: string;
  /** The 1-based line where the block starts. */
  readonly line: number;
  /** Words of prose (summary, remarks, tag text; not tag names, not code). */
  readonly words: number;
  /** Lines of code (an @example's body, fenced blocks). */
  readonly codeLines: number;
}

/** The figures for a set of blocks. */
export interface Density {
  readonly blocks: number;
  /** Blocks with no prose word, left out of the average. */
  readonly tagOnly: number;
  readonly average: number;
  readonly median: number;
  readonly over100: number;
  readonly longest: DocBlock[];
}

/** Every `/** ... *\/` comment of a source text, with its start offset. */
export function docComments(fileName: string, text: string): Array<{ pos: number; text: string }> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const seen = new Map<number, string>();
  const collect = (ranges: readonly ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) {
      const c = text.slice(r.pos, r.end);
      if (r.kind === ts.SyntaxKind.MultiLineCommentTrivia && c.startsWith('/**') && c !== '/**/') {
        seen.set(r.pos, c);
      }
    }
  };
  const visit = (node: ts.Node) => {
    collect(ts.getLeadingCommentRanges(text, node.getFullStart()));
    collect(ts.getTrailingCommentRanges(text, node.getEnd()));
    // getChildren() includes tokens (and the end-of-file token), whose trivia holds the comments.
    node.getChildren(source).forEach(visit);
  };
  visit(source);
  return [...seen.entries()].sort(([a], [b]) => a - b).map(([pos, c]) => ({ pos, text: c }));
}

/** The prose words and code lines of one comment, by the rules in this file's header. */
export function measure(comment: string): { words: number; codeLines: number } {
  const lines = comment
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map(l => l.replace(/^\s*\*(?!\/) ?/, ''));
  let words = 0;
  let codeLines = 0;
  let inFence = false;
  let inExample = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (/^```/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      if (line) codeLines++;
      continue;
    }
    const tag = /^@(\w+)/.exec(line);
    if (tag) {
      inExample = tag[1] === 'example';
      if (inExample) {
        // `@example title`: the title is prose.
        words += countWords(line.slice(tag[0].length));
        continue;
      }
    }
    if (inExample) {
      if (line) codeLines++;
      continue;
    }
    // Tag names (at a line's start or inline, `{@link X}`) are not words; their text is.
    words += countWords(line.replace(/(^|[\s{])@\w+/g, '$1'));
  }
  return { words, codeLines };
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(w => /[\p{L}\p{N}]/u.test(w)).length;
}

/** The .ts files under `target` (a file or a folder), sorted. */
export function sourceFiles(target: string): string[] {
  if (fs.statSync(target).isFile()) return [target];
  return fs.readdirSync(target, { withFileTypes: true })
    .flatMap(e => e.isDirectory()
      ? (e.name === 'node_modules' ? [] : sourceFiles(path.join(target, e.name)))
      : e.name.endsWith('.ts') ? [path.join(target, e.name)] : [])
    .sort();
}

/** Every doc block of the given files or folders. */
export function docBlocks(targets: string[]): DocBlock[] {
  return targets.flatMap(sourceFiles).flatMap(file => {
    const text = fs.readFileSync(file, 'utf8');
    return docComments(file, text).map(c => ({
      file: path.relative(process.cwd(), file),
      line: text.slice(0, c.pos).split('\n').length,
      ...measure(c.text),
    }));
  });
}

/** The figures of a set of blocks; `top` longest blocks are listed. */
export function density(blocks: DocBlock[], top = 10): Density {
  const prose = blocks.filter(b => b.words > 0);
  const counts = prose.map(b => b.words).sort((a, b) => a - b);
  const mid = Math.floor(counts.length / 2);
  return {
    blocks: prose.length,
    tagOnly: blocks.length - prose.length,
    average: counts.length ? counts.reduce((a, b) => a + b, 0) / counts.length : 0,
    median: counts.length === 0 ? 0 : counts.length % 2 ? counts[mid] : (counts[mid - 1] + counts[mid]) / 2,
    over100: prose.filter(b => b.words > 100).length,
    longest: [...prose].sort((a, b) => b.words - a.words || a.file.localeCompare(b.file) || a.line - b.line).slice(0, top),
  };
}

function main(argv: string[]): number {
  const option = (name: string): number | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const value = Number(argv[i + 1]);
    argv.splice(i, 2);
    if (!Number.isFinite(value)) throw new Error(`${name} takes a number`);
    return value;
  };
  const maxAverage = option('--max-average');
  const maxWords = option('--max-words');
  const paths = argv.filter(a => a !== '--');
  const targets = paths.length ? paths : ['src'];
  const blocks = docBlocks(targets);
  const d = density(blocks);
  const code = blocks.reduce((a, b) => a + b.codeLines, 0);
  console.log(`TSDoc density of ${targets.join(' ')}: ${d.blocks} blocks with prose (${d.tagOnly} tag-only blocks left out), `
    + `${code} code lines (@example bodies, fences) not counted`);
  console.log(`average ${d.average.toFixed(1)} words a block, median ${d.median}, ${d.over100} blocks over 100 words`);
  console.log('longest blocks:');
  for (const b of d.longest) {
    console.log(`  ${String(b.words).padStart(4)} words  ${b.file}:${b.line}`);
  }
  const failures: string[] = [];
  if (maxAverage !== undefined && d.average >= maxAverage) {
    failures.push(`the average (${d.average.toFixed(1)}) is not under ${maxAverage}`);
  }
  if (maxWords !== undefined) {
    for (const b of blocks.filter(x => x.words > maxWords)) {
      failures.push(`${b.file}:${b.line} has ${b.words} words (at most ${maxWords})`);
    }
  }
  for (const f of failures) console.error(f);
  return failures.length ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
