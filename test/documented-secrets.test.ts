import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Every documented command keeps registry tokens off the command line: a secret given inline to
// `--secret-string` lands in the shell history and in /proc/<pid>/cmdline, readable by every user
// of the machine while the command runs. Only `file://` (or `fileb://`) values are allowed.

const ROOT = path.join(__dirname, '..');
const THIS_FILE = path.relative(ROOT, __filename);

/** `--secret-string` or `--secret-binary` with a value (after spaces, `=` or a continued line) that is not read from a file (`file://`, quoted or not). */
const INLINE_SECRET = /--secret-(?:string|binary)(?:[ \t]*=[ \t]*|[ \t]+|[ \t]*\\\n[ \t]*(?:\/\/|#|\*)?[ \t]*)(?!["']?fileb?:\/\/)[^\s`]/g;

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
      'aws secretsmanager put-secret-value --secret-id x \\\n  --secret-string "file://$f"',
      'never as a `--secret-string` argument',
    ];
    for (const text of good) {
      expect(inlineSecrets(text)).toEqual([]);
    }
  });

  test('no documented command gives a secret inline', () => {
    const files = documentedFiles();
    // The scan covers what users read: the README, the guides, API.md, the sources (TSDoc), the examples.
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/registries.md', 'API.md', 'src/registry/pull-through-cache-secret.ts', 'examples/reference-stack.ts']));
    const found = files.flatMap(f => inlineSecrets(fs.readFileSync(path.join(ROOT, f), 'utf8')).map(l => `${f} ${l}`));
    expect(found).toEqual([]);
    // And the documented way is there, in the credentials guide and in the TSDoc that API.md is made of.
    for (const f of ['docs/registries.md', 'API.md', 'src/registry/pull-through-cache-secret.ts']) {
      expect(fs.readFileSync(path.join(ROOT, f), 'utf8')).toContain('--secret-string "file://$f"');
    }
  });
});

/** The README and the guides (docs/*.md), each as [file, text]. */
function userDocs(): Array<[string, string]> {
  const guides = fs.readdirSync(path.join(ROOT, 'docs')).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`);
  return ['README.md', ...guides].map(f => [f, fs.readFileSync(path.join(ROOT, f), 'utf8')]);
}

/** The `sh` blocks of the README, the guides and the PullThroughCacheSecret TSDoc that write the secret file. */
function secretFileSnippets(): Array<[string, string]> {
  const tsdoc = fs.readFileSync(path.join(ROOT, 'src/registry/pull-through-cache-secret.ts'), 'utf8')
    .split('\n').map(l => l.replace(/^ \* ?/, '')).join('\n');
  const blocks: Array<[string, string]> = [];
  for (const [where, text] of [...userDocs(), ['PullThroughCacheSecret TSDoc', tsdoc]]) {
    for (const m of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
      if (m[1].includes('--secret-string "file://$f"')) {
        blocks.push([where, m[1]]);
      }
    }
  }
  return blocks;
}

/** What one run of a snippet left behind. */
interface SnippetRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The arguments the stand-in `aws` got, one a line; undefined when it was not called. */
  readonly awsArgs?: string;
  /** The mode of the file `aws` was given, while it ran. */
  readonly mode?: string;
  /** The content of that file, while `aws` ran. */
  readonly content?: string;
  /** Whatever is left in the temporary directory (`TMPDIR`) and the working directory. */
  readonly leftInTmp: string[];
  readonly leftInWork: string[];
  /** Every program started, with its arguments, as strace saw them (`execve`). */
  readonly execs: string;
}

/**
 * Run a snippet as a user would paste it: with `shell -c`, no `set -e`, the given standard input,
 * and a stand-in `aws` (AWS itself is the one thing faked) that records its arguments and the file
 * it is given, then exits with `awsStatus`. strace records every program the run starts.
 */
function runSnippet(shell: string, snippet: string, input: string, awsStatus = 0): SnippetRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptc-secret-'));
  try {
    const bin = path.join(dir, 'bin');
    const tmp = path.join(dir, 'tmp');
    const work = path.join(dir, 'work');
    const record = path.join(dir, 'record');
    for (const d of [bin, tmp, work, record]) {
      fs.mkdirSync(d);
    }
    fs.writeFileSync(path.join(bin, 'aws'), [
      '#!/bin/sh',
      'printf "%s\\n" "$@" > "$RECORD/args"',
      'for a in "$@"; do case "$a" in file://*) f="${a#file://}"; stat -c %a "$f" > "$RECORD/mode"; cat "$f" > "$RECORD/content";; esac; done',
      `exit ${awsStatus}`,
      '',
    ].join('\n'), { mode: 0o755 });
    const trace = path.join(dir, 'execve.log');
    const result = spawnSync('strace', ['-f', '-qq', '-s', '65536', '-e', 'trace=execve', '-o', trace, shell, '-c', snippet], {
      cwd: work,
      input,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RECORD: record, TMPDIR: tmp },
      encoding: 'utf8',
    });
    const read = (f: string) => fs.existsSync(path.join(record, f)) ? fs.readFileSync(path.join(record, f), 'utf8') : undefined;
    return {
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr,
      awsArgs: read('args'),
      mode: read('mode')?.trim(),
      content: read('content'),
      leftInTmp: fs.readdirSync(tmp),
      leftInWork: fs.readdirSync(work),
      execs: fs.readFileSync(trace, 'utf8'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the documented way to put a token', () => {
  const snippets = secretFileSnippets();
  const token = 'dckr_pat_TOKEN-never-in-argv_123';
  // bash, and sh: dash here, the POSIX shell Debian and Ubuntu run as sh.
  const cases = snippets.flatMap(([where, snippet]) => ['bash', 'sh'].map(shell => [where, shell, snippet] as const));

  test('the credentials guide and the TSDoc document it, and sh is dash', () => {
    expect(snippets.map(([where]) => where)).toEqual(['docs/registries.md', 'PullThroughCacheSecret TSDoc']);
    expect(fs.realpathSync(execFileSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim())).toMatch(/dash$/);
    expect(execFileSync('strace', ['-V'], { encoding: 'utf8' })).toMatch(/strace/);
  });

  test.each(snippets)('%s: shellcheck finds nothing, as POSIX sh and as bash', (_where, snippet) => {
    for (const shell of ['sh', 'bash']) {
      const result = spawnSync('shellcheck', ['-s', shell, '-'], { input: snippet, encoding: 'utf8' });
      expect(result.stdout).toBe('');
      expect(result.status).toBe(0);
    }
  });

  test.each(cases)('%s under %s: the token reaches a 0600 temporary file, no process argument, and the file is removed', (_where, shell, snippet) => {
    const run = runSnippet(shell, snippet, `${token}\n`);
    expect(run.stderr).not.toContain(token);
    expect(run.stdout).not.toContain(token);
    expect(run.status).toBe(0);
    expect(run.awsArgs).toMatch(/^--secret-string\nfile:\/\/.*\/tmp\/tmp\.[A-Za-z0-9]+$/m);
    expect(run.awsArgs).not.toContain(token);
    expect(run.mode).toBe('600');
    expect(JSON.parse(run.content!)).toEqual({ username: expect.any(String), accessToken: token });
    expect(run.leftInTmp).toEqual([]);
    expect(run.leftInWork).toEqual([]);
    // strace saw aws start, and no program with the token in its arguments: printf and read are
    // builtins of the shell (if printf were not, its execve would carry the token).
    expect(run.execs).toMatch(/execve\("[^"]*\/bin\/aws"/);
    expect(run.execs).not.toContain(token);
  });

  test.each(cases)('%s under %s: with nothing on standard input, aws is not called and no file is left', (_where, shell, snippet) => {
    const run = runSnippet(shell, snippet, '');
    expect(run.status).not.toBe(0);
    expect(run.awsArgs).toBeUndefined();
    expect(run.execs).not.toMatch(/\/bin\/aws"/);
    expect(run.leftInTmp).toEqual([]);
    expect(run.leftInWork).toEqual([]);
  });

  test.each(cases)('%s under %s: an empty token stops before aws', (_where, shell, snippet) => {
    const run = runSnippet(shell, snippet, '\n');
    expect(run.status).not.toBe(0);
    expect(run.awsArgs).toBeUndefined();
    expect(run.leftInTmp).toEqual([]);
  });

  test.each(cases)('%s under %s: when aws fails, the failure shows and no file is left', (_where, shell, snippet) => {
    const run = runSnippet(shell, snippet, `${token}\n`, 254);
    expect(run.status).toBe(254);
    expect(run.mode).toBe('600');
    expect(run.leftInTmp).toEqual([]);
    expect(run.leftInWork).toEqual([]);
  });

  test.each(cases)('%s under %s: interrupted while reading the token, no file is left', async (_where, shell, snippet) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ptc-secret-int-'));
    // Standard input stays open, so the snippet waits in `read` until the signal.
    const child = spawn(shell, ['-c', snippet], { env: { ...process.env, TMPDIR: tmp }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const closed = new Promise<void>(resolve => child.on('close', () => resolve()));
    try {
      let stderr = '';
      const prompted = await new Promise<boolean>(resolve => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('access token: ')) {
            resolve(true);
          }
        });
        void closed.then(() => resolve(false));
      });
      expect({ prompted, stderr }).toEqual({ prompted: true, stderr: expect.any(String) });
      expect(fs.readdirSync(tmp)).toHaveLength(1); // the file exists while it reads
      process.kill(-child.pid!, 'SIGINT');
      await closed; // every process of the run has closed its end of the pipes
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid!, 'SIGKILL');
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('the nodes guide\'s security model of the node token', () => {
  const docs = userDocs();
  const nodes = docs.find(([f]) => f === 'docs/nodes.md')![1];

  test('does not call the token limited by grantPull or scoped by --registry-ids', () => {
    // An ECR token carries its principal's whole ECR permission set in its region, and
    // registryIds is deprecated in the ECR API (GetAuthorizationToken): neither limits it.
    expect(nodes).toContain('**What the token allows.**');
    expect(nodes).toMatch(/`grantPull` is what this library adds to the node role, not a limit on the token/);
    for (const [, text] of docs) {
      expect(text).not.toMatch(/limited by `grantPull`/);
      for (const paragraph of text.split('\n\n').filter(p => p.includes('--registry-ids') && !p.startsWith('- '))) {
        expect(paragraph).toMatch(/deprecated/);
      }
    }
  });
});
