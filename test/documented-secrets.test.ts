import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Every documented command keeps registry tokens off the command line: a secret given inline to
// `--secret-string` lands in the shell history and in /proc/<pid>/cmdline, readable by every user
// of the machine while the command runs. Only `file://` (or `fileb://`) values are allowed.

const ROOT = path.join(__dirname, '..');
const THIS_FILE = path.relative(ROOT, __filename);

/** `--secret-string` or `--secret-binary` with a value (after spaces, `=` or a continued line) that is not read from a file. */
const INLINE_SECRET = /--secret-(?:string|binary)(?:[ \t]*=[ \t]*|[ \t]+|[ \t]*\\\n[ \t]*(?:\/\/|#|\*)?[ \t]*)(?!fileb?:\/\/)[^\s`]/g;

/** Lines of `text` that give a secret inline, as `line N: text`. */
function inlineSecrets(text: string): string[] {
  return [...text.matchAll(INLINE_SECRET)].map(m => {
    const line = text.slice(0, m.index).split('\n').length;
    return `line ${line}: ${text.split('\n')[line - 1].trim()}`;
  });
}

/** The tracked documentation, sources, examples, consumer apps and integ apps. */
function documentedFiles(): string[] {
  return execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n')
    .filter(f => /\.(md|ts|go|java|py|sh|cs|txt)$/.test(f))
    .filter(f => /^(README\.md|API\.md|CONTRIBUTING\.md|docs\/|src\/|examples\/|consumers\/|rosetta\/|scripts\/|test\/integ\.)/.test(f))
    .filter(f => !f.includes('.snapshot/') && f !== THIS_FILE);
}

describe('documented secrets', () => {
  test('the matcher flags the inline forms and passes file:// and prose', () => {
    const bad = [
      'aws secretsmanager put-secret-value --secret-id x \\\n  --secret-string \'{"username":"me","accessToken":"dckr_pat_..."}\'',
      ' * aws secretsmanager put-secret-value --secret-id x \\\n *   --secret-string \'{"username":"me"}\'',
      '//      aws secretsmanager create-secret --name x \\\n//        --secret-string \'{"username":"<docker user>"}\'',
      'aws secretsmanager put-secret-value --secret-id x --secret-string "{\\"accessToken\\":\\"t\\"}"',
      'aws secretsmanager put-secret-value --secret-id x --secret-string "$TOKEN_JSON"',
      'aws secretsmanager put-secret-value --secret-id x --secret-string={"accessToken":"t"}',
      'aws secretsmanager put-secret-value --secret-id x --secret-binary dGVzdA==',
    ];
    for (const text of bad) {
      expect(inlineSecrets(text)).toHaveLength(1);
    }
    const good = [
      'aws secretsmanager put-secret-value --secret-id x \\\n  --secret-string file://secret.json',
      'aws secretsmanager put-secret-value --secret-id x --secret-string file:///dev/stdin',
      'aws secretsmanager put-secret-value --secret-id x --secret-binary fileb://secret.bin',
      'never as a `--secret-string` argument',
    ];
    for (const text of good) {
      expect(inlineSecrets(text)).toEqual([]);
    }
  });

  test('no documented command gives a secret inline', () => {
    const files = documentedFiles();
    // The scan covers what users read: the README, API.md, the sources (TSDoc), the examples.
    expect(files).toEqual(expect.arrayContaining(['README.md', 'API.md', 'src/pull-through-cache-secret.ts', 'examples/reference-stack.ts']));
    const found = files.flatMap(f => inlineSecrets(fs.readFileSync(path.join(ROOT, f), 'utf8')).map(l => `${f} ${l}`));
    expect(found).toEqual([]);
    // And the documented way is there, in the README and in the TSDoc that API.md is made of.
    for (const f of ['README.md', 'API.md', 'src/pull-through-cache-secret.ts']) {
      expect(fs.readFileSync(path.join(ROOT, f), 'utf8')).toContain('--secret-string file://secret.json');
    }
  });
});

/** The `sh` blocks of the README and of the PullThroughCacheSecret TSDoc that write the secret file. */
function secretFileSnippets(): Array<[string, string]> {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const tsdoc = fs.readFileSync(path.join(ROOT, 'src/pull-through-cache-secret.ts'), 'utf8')
    .split('\n').map(l => l.replace(/^ \* ?/, '')).join('\n');
  const blocks: Array<[string, string]> = [];
  for (const [where, text] of [['README.md', readme], ['PullThroughCacheSecret TSDoc', tsdoc]]) {
    for (const m of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
      if (m[1].includes('umask 077') && m[1].includes('--secret-string file://secret.json')) {
        blocks.push([where, m[1]]);
      }
    }
  }
  return blocks;
}

describe('the documented way to put a token', () => {
  const snippets = secretFileSnippets();

  test('the README and the TSDoc document it', () => {
    expect(snippets.map(([where]) => where)).toEqual(['README.md', 'PullThroughCacheSecret TSDoc']);
  });

  // Run each snippet with bash, the token on standard input, and a stand-in `aws` (AWS itself is
  // the one thing faked) that records its arguments and the secret file it is given.
  test.each(snippets)('%s: the token reaches the file (0600) and no process argument', (_where, snippet) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptc-secret-'));
    try {
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, 'aws'), [
        '#!/bin/bash',
        'printf "%s\\n" "$@" > "$RECORD/args"',
        'for a in "$@"; do case "$a" in file://*) f="${a#file://}"; stat -c %a "$f" > "$RECORD/mode"; cat "$f" > "$RECORD/content";; esac; done',
        '',
      ].join('\n'), { mode: 0o755 });
      const work = path.join(dir, 'work');
      fs.mkdirSync(work);
      const token = 'dckr_pat_TOKEN-never-in-argv_123';
      const result = spawnSync('bash', ['-c', `set -e\numask 022\n${snippet}\numask > "$RECORD/umask-after"`], {
        cwd: work,
        input: `${token}\n`,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RECORD: dir },
        encoding: 'utf8',
      });
      expect(result.stderr).not.toContain(token);
      expect(result.status).toBe(0);
      const args = fs.readFileSync(path.join(dir, 'args'), 'utf8');
      expect(args).toContain('file://secret.json');
      expect(args).not.toContain(token);
      expect(fs.readFileSync(path.join(dir, 'mode'), 'utf8').trim()).toBe('600');
      const content = JSON.parse(fs.readFileSync(path.join(dir, 'content'), 'utf8'));
      expect(content).toEqual({ username: expect.any(String), accessToken: token });
      // The file is gone afterwards, and the shell's umask is what it was.
      expect(fs.readdirSync(work)).toEqual([]);
      expect(fs.readFileSync(path.join(dir, 'umask-after'), 'utf8').trim()).toBe('0022');
      expect(result.stdout).not.toContain(token);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('printf, which sees the token, is a bash builtin (no process, no argv)', () => {
    expect(execFileSync('bash', ['-c', 'type -t printf; type -t read'], { encoding: 'utf8' })).toBe('builtin\nbuiltin\n');
  });
});

describe('the README\'s security model of the node token', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  test('does not call the token limited by grantPull or scoped by --registry-ids', () => {
    // An ECR token carries its principal's whole ECR permission set in its region, and
    // registryIds is deprecated in the ECR API (GetAuthorizationToken): neither limits it.
    expect(readme).not.toMatch(/limited by `grantPull`/);
    expect(readme).toContain('**What the token allows.**');
    expect(readme).toMatch(/`grantPull` is what this library adds to the node role, not a limit on the token/);
    for (const paragraph of readme.split('\n\n').filter(p => p.includes('--registry-ids') && !p.startsWith('- '))) {
      expect(paragraph).toMatch(/deprecated/);
    }
  });
});
