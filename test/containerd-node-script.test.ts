import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ContainerdNodeScriptOptions, PullThroughCache, UpstreamRegistry } from '../src';
import { ACCOUNT, fullCache, newEnvStack, REGION } from './support/cache-fixtures';
import { newStack } from './support/helpers';
import { HARDENING_DIRECTIVES, nodeScriptParts, NodeScriptInput, renderContainerdNodeScript, renderService, renderTimer, VALUE_PATTERNS } from '../src/nodes/private/node-script';

const DIRECTORY = '/etc/containerd/certs.d';

function smallInput(where = 'W'): NodeScriptInput {
  return { where, account: ACCOUNT, region: REGION, configDirectory: DIRECTORY, mirrors: smallCache(newEnvStack()).containerdMirrors() };
}

/** A value as the program checks it: the name, the pattern and the literal, quoted. */
function checked(name: string, pattern: keyof typeof VALUE_PATTERNS, literal: string): string {
  return `$(value ${name} '${VALUE_PATTERNS[pattern]}' '${literal}')`;
}

/**
 * What CloudFormation does to the script in user data: resolve its Fn::Join, Fn::Base64 and Refs
 * (pseudo parameters and parameters, from `values`). A stand-in for CloudFormation itself.
 */
function resolveLikeCloudFormation(stack: Stack, script: string, values: Record<string, string>): string {
  const resolve = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string' && o.Ref in values) return values[o.Ref];
    if (o['Fn::Base64'] !== undefined) return Buffer.from(resolve(o['Fn::Base64'])).toString('base64');
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    throw new Error(`cannot resolve ${JSON.stringify(v)}`);
  };
  return resolve(stack.resolve(script));
}

/** The program of a boot script: the text of its quoted here-document. */
function programOf(script: string): string {
  return /<<'CDK_PULL_THROUGH_CACHE_PROGRAM'\n([\s\S]*?\n)CDK_PULL_THROUGH_CACHE_PROGRAM\n/.exec(script)![1];
}

function smallCache(stack: Stack): PullThroughCache {
  return new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }, { registry: UpstreamRegistry.quay() }],
  });
}

function nodeRole(stack: Stack): iam.Role {
  return new iam.Role(stack, 'NodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
}

/** The base64-decoded user data of the stack's only launch template, resolved. */
function launchTemplateUserData(stack: Stack): unknown {
  const templates = Template.fromStack(stack).findResources('AWS::EC2::LaunchTemplate');
  const [template] = Object.values(templates);
  return template.Properties.LaunchTemplateData.UserData['Fn::Base64'];
}

describe('containerdNodeScript', () => {
  test('fetches the token of the cache\'s registry in the cache\'s region at run time', () => {
    const script = smallCache(newEnvStack()).containerdNodeScript();
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain(`region=${checked('region', 'region', REGION)} || exit 2`);
    expect(script).toContain(`registry_id=${checked('account', 'account', ACCOUNT)} || exit 2`);
    expect(script).toContain('timeout 40 aws ecr get-authorization-token --region "$region" --registry-ids "$registry_id"');
    // One CLI attempt per program attempt: the timeout bounds it.
    expect(script).toContain('export AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=1');
    expect(script).toContain('--query \'authorizationData[0].authorizationToken\' --output text');
  });

  test('writes every mirror of containerdMirrors(), the token under the cache host\'s header table', () => {
    const stack = newEnvStack();
    const cache = smallCache(stack);
    const script = cache.containerdNodeScript();
    for (const mirror of cache.containerdMirrors()) {
      expect(script).toContain(`\nmirror '${mirror.upstreamHost}' '${mirror.server}' '${mirror.mirrorEndpoint}'\n`);
    }
    // containerdMirrors()' content, after the owner line, then the header: the same text.
    const [mirror] = cache.containerdMirrors();
    const format = mirror.content.replace(mirror.server, '%s').replace(mirror.mirrorEndpoint, '%s').replace(/\n/g, '\\n');
    expect(script).toContain(`printf '# written by %s (cdk-pull-through-cache)\\n${format}\\n[host."%s".header]\\n  Authorization = "Basic %s"\\n' "$unit" "$2" "$3" "$3" "$token"`);
    // Atomic replacement in the same directory, root-only modes.
    expect(script).toContain('tmp=$(mktemp "$dir/.hosts.toml.XXXXXX")');
    expect(script).toContain('chmod 0600 "$tmp" && mv -f "$tmp" "$path"');
    expect(script).toContain('chmod 0700 "$dir"');
  });

  test('installs a service ordered before containerd and kubelet and retried after a failure, a 6-hour timer, and runs the refresh once', () => {
    const parts = nodeScriptParts(smallInput());
    expect(parts.service).toContain('Before=containerd.service kubelet.service');
    expect(parts.service).toContain('After=network-online.target');
    // Per-cache names: the unit and the program are named by the id the program computes.
    expect(parts.service).toContain('ExecStart=/usr/local/sbin/${unit}\n');
    expect(parts.hardening).toContain('232 ReadWritePaths=${config_directory}\n');
    expect(parts.service).toContain('TimeoutStartSec=300s');
    expect(parts.service).toContain('WantedBy=multi-user.target');
    expect(parts.timer).toContain('OnActiveSec=${refresh_seconds}s');
    expect(parts.timer).toContain('OnUnitActiveSec=${refresh_seconds}s');
    expect(parts.program).toContain("refresh_seconds=$(value refreshInterval '^[1-9][0-9]{2,4}$' '21600') || exit 2");
    // A failed run is rerun by systemd every 5 minutes until one succeeds, a refused value (2)
    // never: a drop-in, installed on systemd 244 or newer only (older ones refuse a oneshot service
    // with Restart=); there the timer runs at most every 5 hours. The Go node e2e test runs both
    // branches, and the units under real systemd.
    expect(parts.service).not.toContain('Restart');
    expect(parts.retry).toBe('[Service]\nRestart=on-failure\nRestartSec=300s\nRestartPreventExitStatus=2\n');
    expect(parts.script).toContain([
      'if [[ ${systemd_version:-0} -ge 244 ]]; then',
      '  install_file "/etc/systemd/system/$unit.service.d/retry.conf" 0644 <<\'CDK_PULL_THROUGH_CACHE_RETRY\'',
      parts.retry + 'CDK_PULL_THROUGH_CACHE_RETRY',
      'else',
      '  rm -f "/etc/systemd/system/$unit.service.d/retry.conf"',
      '  ((refresh_seconds <= 18000)) || refresh_seconds=18000',
      'fi',
      '# The hardening newer than systemd 219 (the service holds the rest): the directives this systemd knows.',
      'hardening=""',
      'while read -r since directive; do',
      '  if [[ ${systemd_version:-0} -ge $since ]]; then hardening+="$directive"$\'\\n\'; fi',
      'done <<CDK_PULL_THROUGH_CACHE_HARDENING',
      parts.hardening + 'CDK_PULL_THROUGH_CACHE_HARDENING',
      'if [[ -n $hardening ]]; then',
      '  printf \'[Service]\\n%s\' "$hardening" | install_file "/etc/systemd/system/$unit.service.d/hardening.conf" 0644',
      'else',
      '  rm -f "/etc/systemd/system/$unit.service.d/hardening.conf"',
      'fi',
      'install_file "/etc/systemd/system/$unit.service" 0644 <<CDK_PULL_THROUGH_CACHE_SERVICE',
      parts.service + 'CDK_PULL_THROUGH_CACHE_SERVICE',
    ].join('\n'));
    // The first run is bounded as the service's start is; after a failed one, a rerun in 5
    // minutes, not now (it would hold containerd and kubelet).
    expect(parts.script).toMatch(/\nif ! timeout 300 "\/usr\/local\/sbin\/\$unit"; then\n  #[^\n]*\n  systemd-run --on-active=300 --unit="\$unit-retry" systemctl start --no-block "\$unit.service" \\\n/);
    expect(parts.script).toContain(`<<'CDK_PULL_THROUGH_CACHE_PROGRAM'\n${parts.program.replace(/\n$/, '')}\nCDK_PULL_THROUGH_CACHE_PROGRAM`);
    expect(parts.script).toContain('systemctl enable "$unit.service" "$unit.timer"');
    expect(parts.script).toMatch(/systemctl start "\$unit.timer"\n(#[^\n]*\n)*if ! timeout 300 /);
    // A subshell: `set -e` does not leak into the rest of the user data.
    expect(parts.script).toMatch(/^#!\/bin\/bash\n(#[^\n]*\n)*\(\nset -euo pipefail\n/);
    expect(parts.script.endsWith('\n)\n')).toBe(true);
  });

  test('refreshInterval and configDirectory', () => {
    const stack = newEnvStack();
    const cache = smallCache(stack);
    const script = cache.containerdNodeScript({ refreshInterval: Duration.hours(3), configDirectory: '/etc/cri/certs.d/' });
    expect(script).toContain("refresh_seconds=$(value refreshInterval '^[1-9][0-9]{2,4}$' '10800')");
    expect(script).toContain(`config_directory=${checked('configDirectory', 'configDirectory', '/etc/cri/certs.d')}`);
    expect(script).not.toContain('/etc/containerd/certs.d');
  });

  test('the same input gives the same script', () => {
    const a = smallCache(newEnvStack()).containerdNodeScript();
    const b = smallCache(newEnvStack()).containerdNodeScript();
    expect(a).toBe(b);
  });

  test('a cache imported from another account and region: the token of that registry, from that region', () => {
    const consumer = newEnvStack({ env: { account: '999988887777', region: 'us-west-2' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(consumer, 'Shared', {
      account: '444455556666', region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.kubernetes() }],
    });
    const script = cache.containerdNodeScript();
    expect(script).toContain(`region=${checked('region', 'region', 'us-east-2')}`);
    expect(script).toContain(`registry_id=${checked('account', 'account', '444455556666')}`);
    expect(script).toContain('https://444455556666.dkr.ecr.us-east-2.amazonaws.com/v2/k8scache');
  });

  test.each<[string, ContainerdNodeScriptOptions, string]>([
    ['a refresh interval under 5 minutes', { refreshInterval: Duration.minutes(1) }, 'refreshInterval (Python: refresh_interval) 1 minute must be between 5 minutes and 11 hours: ECR authorization tokens last 12 hours'],
    ['a refresh interval over 11 hours', { refreshInterval: Duration.hours(12) }, 'refreshInterval (Python: refresh_interval) 12 hours must be between 5 minutes and 11 hours'],
    ['a relative directory', { configDirectory: 'etc/certs.d' }, "configDirectory (Python: config_directory) 'etc/certs.d' must be an absolute path, such as /etc/containerd/certs.d"],
    ['a directory with a quote', { configDirectory: "/etc/it's" }, "configDirectory (Python: config_directory) '/etc/it's' must be an absolute path of at least two names of letters, digits and '/._-', no name starting with '.'"],
    ['a directory with a newline', { configDirectory: '/etc/x\ntouch /tmp/pwned' }, "configDirectory (Python: config_directory) '/etc/x\ntouch /tmp/pwned' must be an absolute path"],
    ['a directory going up', { configDirectory: '/etc/containerd/../cron.d' }, "configDirectory (Python: config_directory) '/etc/containerd/../cron.d' must be an absolute path of at least two names of letters, digits and '/._-', no name starting with '.'"],
    // The service may write its config directory (ReadWritePaths=): never a system root.
    ['the root', { configDirectory: '/' }, "configDirectory (Python: config_directory) '' must be an absolute path"],
    ['a top-level directory', { configDirectory: '/etc' }, "configDirectory (Python: config_directory) '/etc' must be an absolute path of at least two names"],
    ['/usr', { configDirectory: '/usr' }, "configDirectory (Python: config_directory) '/usr' must be an absolute path of at least two names"],
    ['the systemd unit directory', { configDirectory: '/etc/systemd/system' }, "configDirectory (Python: config_directory) '/etc/systemd/system' is or holds the system directory /etc/systemd/system: the refresh service may write its configDirectory (Python: config_directory); use a directory of containerd's own, such as /etc/containerd/certs.d"],
    ['a directory holding the unit directory', { configDirectory: '/etc/systemd' }, "configDirectory (Python: config_directory) '/etc/systemd' is or holds the system directory /etc/systemd/system"],
    ['the program directory', { configDirectory: '/usr/local/sbin' }, "configDirectory (Python: config_directory) '/usr/local/sbin' is in /usr, which the refresh service may not write"],
    ['/usr/local', { configDirectory: '/usr/local' }, "configDirectory (Python: config_directory) '/usr/local' is in /usr"],
    ['containerd\'s own configuration directory', { configDirectory: '/etc/containerd' }, "configDirectory (Python: config_directory) '/etc/containerd' is or holds the system directory /etc/containerd"],
    ['a directory under /proc', { configDirectory: '/proc/sys/kernel' }, "configDirectory (Python: config_directory) '/proc/sys/kernel' is in /proc, which the refresh service may not write"],
  ])('%s is an error', (_name, options, message) => {
    const cache = smallCache(newEnvStack());
    expect(() => cache.containerdNodeScript(options)).toThrow(message);
  });

  test('every problem in one error naming the construct', () => {
    expect(() => renderContainerdNodeScript(
      { where: 'Stack/Cache', account: '12', region: 'Europe', configDirectory: DIRECTORY, mirrors: [] },
      { refreshInterval: Duration.minutes(1) },
    )).toThrow(new Error([
      "PullThroughCache at 'Stack/Cache': containerdNodeScript (Python: containerd_node_script) is invalid:",
      '  - refreshInterval (Python: refresh_interval) 1 minute must be between 5 minutes and 11 hours: ECR authorization tokens last 12 hours; '
        + 'give a duration in that range (the default is 6 hours)',
      "  - the cache's account '12' must be 12 digits: give the stack (or the import) the cache's account",
      "  - the cache's region 'Europe' is not a region name: give the stack (or the import) the cache's region, such as 'eu-west-1'",
      '  - no upstream of the cache has a containerd mirror (see the warnings cdk-pull-through-cache:mirrorSkipped): '
        + 'pull its images with imageUri() (Python: image_uri()) instead of a node-level mirror',
    ].join('\n')));
  });

  test('a cache without mirrors is an error, with the warning saying why', () => {
    const stack = newEnvStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-west-2', repositoryPrefix: 'prod' }), prefix: 'prodmirror' }],
    });
    expect(() => cache.containerdNodeScript()).toThrow('no upstream of the cache has a containerd mirror');
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('mirrorSkipped'));
  });

  test('a script over EC2\'s 16 KB of user data gets a warning with its size', () => {
    const scriptOf = (mirrors: number, stack = newEnvStack()) => {
      // One mirror per registry host: ECR upstreams of distinct accounts.
      const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
        upstreams: Array.from({ length: mirrors }, (_, i) => ({
          registry: UpstreamRegistry.ecr({ account: String(444455550000 + i), region: 'us-east-1' }), prefix: `mirror${i}`,
        })),
      });
      return { stack, script: cache.containerdNodeScript() };
    };
    const fits = scriptOf(32);
    expect(Buffer.byteLength(fits.script)).toBeLessThanOrEqual(16384);
    expect(Annotations.fromStack(fits.stack).findWarning('*', Match.stringLikeRegexp('nodeScriptSize'))).toEqual([]);

    const tooBig = scriptOf(33);
    const bytes = Buffer.byteLength(tooBig.script);
    expect(bytes).toBeGreaterThan(16384);
    Annotations.fromStack(tooBig.stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp(
      `containerdNodeScript \\(Python: containerd_node_script\\): the script is ${bytes} bytes \\(33 mirrors\\); EC2 accepts at most 16384 bytes of user data.*\\[ack: cdk-pull-through-cache:nodeScriptSize\\]`,
    ));
  });

  test('in an environment-agnostic stack the size counts the account, region and domain suffix at their shortest', () => {
    const scriptOf = (mirrors: number) => {
      const stack = newStack();
      const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
        upstreams: Array.from({ length: mirrors }, (_, i) => ({
          registry: UpstreamRegistry.ecr({ account: String(444455550000 + i), region: 'us-east-1' }), prefix: `mirror${i}`,
        })),
      });
      const script = cache.containerdNodeScript();
      // Deployed to account 111122223333 in eu-west-1 (amazonaws.com), and with a region and URL
      // suffix of the shortest lengths, 9 and 10 (us-east-1, c2s.ic.gov).
      const bytesIn = (region: string, urlSuffix: string) => Buffer.byteLength(resolveLikeCloudFormation(stack, script,
        { 'AWS::AccountId': '111122223333', 'AWS::Region': region, 'AWS::URLSuffix': urlSuffix }));
      return { stack, bytes: bytesIn('eu-west-1', 'amazonaws.com'), shortestBytes: bytesIn('us-east-1', 'c2s.ic.gov'), literalBytes: Buffer.byteLength(script.replace(/\$\{Token\[[^\]]*\]\}/g, '')) };
    };
    const fits = scriptOf(28);
    expect(fits.bytes).toBeLessThanOrEqual(16384);
    expect(Annotations.fromStack(fits.stack).findWarning('*', Match.stringLikeRegexp('nodeScriptSize'))).toEqual([]);

    // Its literal text alone fits; deployed, it does not. The warning gives a lower bound (the
    // shortest account, region and URL suffix of any partition, base64-encoded as Fn::Base64
    // does), above 16 KB, at most the real size, and exact for the shortest values.
    const tooBig = scriptOf(30);
    expect(tooBig.literalBytes).toBeLessThanOrEqual(16384);
    const [warning] = Annotations.fromStack(tooBig.stack).findWarning('/Stack/Cache', Match.stringLikeRegexp('nodeScriptSize'));
    const atLeast = Number(/the script is at least (\d+) bytes \(30 mirrors\)/.exec(String(warning?.entry.data))?.[1]);
    expect(atLeast).toBeGreaterThan(16384);
    expect(atLeast).toBeLessThanOrEqual(tooBig.bytes);
    expect(atLeast).toBe(tooBig.shortestBytes);
  });

  test('tokens pass validation: a refresh interval and a directory from parameters', () => {
    const stack = newEnvStack();
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber;
    const directory = new CfnParameter(stack, 'Directory').valueAsString;
    const script = smallCache(stack).containerdNodeScript({ refreshInterval: Duration.seconds(seconds), configDirectory: directory });
    const resolved = JSON.stringify(stack.resolve(script));
    expect(resolved).toContain('{"Fn::Base64":{"Ref":"Seconds"}}');
    expect(resolved).toContain('{"Fn::Base64":{"Ref":"Directory"}}');
  });

  describe('no value reaches the shell as code', () => {
    const PAYLOAD = "x' 'y' 'z'; touch /tmp/pwned; : '";

    /** Runs a resolved script's program with --settings (it checks every value, writes nothing). */
    function settingsOf(script: string): { status: number | null; stdout: string; stderr: string; pwned: boolean } {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-program-'));
      const marker = path.join(dir, 'pwned');
      fs.writeFileSync(path.join(dir, 'program'), programOf(script).split('/tmp/pwned').join(marker), { mode: 0o700 });
      const result = spawnSync('bash', [path.join(dir, 'program'), '--settings'], { encoding: 'utf8', cwd: dir });
      const pwned = fs.existsSync(marker) || fs.existsSync(path.join(dir, 'x'));
      fs.rmSync(dir, { recursive: true });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, pwned };
    }

    test('a construct id with a newline is no command: comments carry a sanitised path', () => {
      const stack = newEnvStack();
      const cache = new PullThroughCache(stack, 'Cache\ntouch x #', { upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });
      const script = cache.containerdNodeScript();
      expect(script.split('\n')).not.toContainEqual(expect.stringMatching(/^touch/));
      // aws-cdk-lib 2.257 keeps the newline in the path, newer releases turn it into '--': either
      // way the comments show it with everything but [A-Za-z0-9/._-] as '_'.
      const shown = cache.node.path.replace(/[^A-Za-z0-9/._-]/g, '_');
      expect(shown).toMatch(/^Stack\/Cache[-_]+touch_x__$/);
      expect(script).toContain(`# cdk-pull-through-cache (${shown}): `);
      expect(programOf(script)).toContain(`# Written by cdk-pull-through-cache (${shown}). `);
      const run = settingsOf(script);
      expect(run.status).toBe(0);
      expect(run.pwned).toBe(false);
    });

    test.each<[string, string]>([
      ['quotes', PAYLOAD],
      ['a newline and the here-document delimiter', 'x\nCDK_PULL_THROUGH_CACHE_PROGRAM\ntouch /tmp/pwned\n'],
    ])('a CfnParameter account resolved to a payload with %s: the program refuses it, nothing runs', (_name, payload) => {
      const stack = newEnvStack();
      const account = new CfnParameter(stack, 'CacheAccount').valueAsString;
      const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { account, region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });
      const script = resolveLikeCloudFormation(stack, cache.containerdNodeScript(), { 'CacheAccount': payload, 'AWS::URLSuffix': 'amazonaws.com' });
      expect(script).not.toContain(payload);
      const run = settingsOf(script);
      expect(run.pwned).toBe(false);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('refusing to run: account ');
      expect(run.stdout).toBe('');
    });

    test('a CfnParameter configDirectory resolved to the payload: refused, nothing runs; a good value passes', () => {
      const stack = newEnvStack();
      const directory = new CfnParameter(stack, 'Directory').valueAsString;
      const script = smallCache(stack).containerdNodeScript({ configDirectory: directory });
      const bad = settingsOf(resolveLikeCloudFormation(stack, script, { Directory: PAYLOAD }));
      expect(bad.pwned).toBe(false);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('refusing to run: configDirectory ');
      const good = settingsOf(resolveLikeCloudFormation(stack, script, { Directory: '/etc/cri/certs.d' }));
      expect(good.stderr).toBe('');
      expect(good.stdout).toMatch(/^ecr-pull-through-cache-auth-[0-9a-f]{16} \/etc\/cri\/certs.d 21600\n$/);
    });

    test.each<[string, string]>([
      ['/etc', 'configDirectory /etc does not match'],
      ['/', 'configDirectory / does not match'],
      ['/etc/systemd/system', 'configDirectory /etc/systemd/system is or holds the system directory /etc/systemd/system'],
      ['/etc/systemd', 'configDirectory /etc/systemd is or holds the system directory /etc/systemd/system'],
      ['/usr/local/sbin', 'configDirectory /usr/local/sbin is in /usr'],
      ['/usr/local', 'configDirectory /usr/local is in /usr'],
      ['/var/lib', 'configDirectory /var/lib is or holds the system directory /var/lib/kubelet'],
      ['/proc/sys/kernel', 'configDirectory /proc/sys/kernel is in /proc'],
    ])('a CfnParameter configDirectory resolved to %s is refused on the node', (directory, message) => {
      const stack = newEnvStack();
      const parameter = new CfnParameter(stack, 'Directory').valueAsString;
      const script = smallCache(stack).containerdNodeScript({ configDirectory: parameter });
      const run = settingsOf(resolveLikeCloudFormation(stack, script, { Directory: directory }));
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`refusing to run: ${message}`);
      expect(run.stdout).toBe('');
    });

    test('a refresh interval from a parameter is checked on the node', () => {
      const stack = newEnvStack();
      const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber;
      const script = smallCache(stack).containerdNodeScript({ refreshInterval: Duration.seconds(seconds) });
      expect(settingsOf(resolveLikeCloudFormation(stack, script, { Seconds: '120' })).stderr).toContain('refreshInterval 120 s is not between 300 and 39600');
      expect(settingsOf(resolveLikeCloudFormation(stack, script, { Seconds: '1e9' })).status).toBe(2);
      expect(settingsOf(resolveLikeCloudFormation(stack, script, { Seconds: '3600' })).stdout).toMatch(/ 3600\n$/);
    });

    test('every kind of upstream passes the patterns, and the program accepts its values', () => {
      const stack = newEnvStack();
      const rooted = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Rooted', {
        upstreams: [{ registry: UpstreamRegistry.ecr({ account: '444455556666', region: 'us-east-1' }), prefix: 'ROOT' }],
      });
      for (const cache of [fullCache(stack), rooted]) {
        const script = cache.containerdNodeScript();
        const run = settingsOf(script);
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        for (const mirror of cache.containerdMirrors()) {
          expect(script).toContain(`\nmirror '${mirror.upstreamHost}' '${mirror.server}' '${mirror.mirrorEndpoint}'\n`);
        }
      }
      expect(rooted.containerdNodeScript()).toContain(`'https://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/v2'\n`);
    });

    test('an Azure registry name from a parameter: encoded, accepted when it is a name, refused otherwise', () => {
      const stack = newEnvStack();
      const name = new CfnParameter(stack, 'AzureName').valueAsString;
      const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry(name), prefix: 'azure' }] });
      const script = cache.containerdNodeScript();
      expect(JSON.stringify(stack.resolve(script))).toContain('"Fn::Base64"');
      expect(settingsOf(resolveLikeCloudFormation(stack, script, { AzureName: 'myregistry' })).status).toBe(0);
      const bad = settingsOf(resolveLikeCloudFormation(stack, script, { AzureName: PAYLOAD }));
      expect(bad.pwned).toBe(false);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/refusing to run: (upstreamHost|server) /);
    });

    test('two caches get two unit names; the same cache the same one; any other checked value another', () => {
      const consumer = newEnvStack();
      const a = PullThroughCache.fromPullThroughCacheAttributes(consumer, 'A', { account: '444455556666', region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });
      const b = PullThroughCache.fromPullThroughCacheAttributes(consumer, 'B', { account: '777788889999', region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.quay() }] });
      const unitOf = (script: string) => settingsOf(script).stdout.split(' ')[0];
      expect(unitOf(a.containerdNodeScript())).toMatch(/^ecr-pull-through-cache-auth-[0-9a-f]{16}$/);
      expect(unitOf(a.containerdNodeScript())).not.toBe(unitOf(b.containerdNodeScript()));
      expect(unitOf(a.containerdNodeScript())).toBe(unitOf(a.containerdNodeScript()));
      expect(unitOf(a.containerdNodeScript())).not.toBe(unitOf(a.containerdNodeScript({ refreshInterval: Duration.hours(2) })));
    });

    test('two caches of one account and region mirroring one host under two prefixes get two unit names', () => {
      const cacheWith = (prefix: string) => PullThroughCache.fromPullThroughCacheAttributes(newEnvStack(), 'Cache', {
        account: '444455556666', region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.quay(), prefix }],
      });
      const teamA = cacheWith('team-a-quay').containerdNodeScript();
      const teamB = cacheWith('team-b-quay').containerdNodeScript();
      // Only the cache endpoint differs.
      expect(teamA.replace(/team-a-quay/g, 'team-b-quay')).toBe(teamB);
      const unitOf = (script: string) => settingsOf(script).stdout.split(' ')[0];
      expect(unitOf(teamA)).not.toBe(unitOf(teamB));
    });
  });

  describe('plugged into nodes', () => {
    test('ec2.UserData of a launch template: the script in the user data, env-bound literals', () => {
      const stack = newEnvStack();
      const cache = smallCache(stack);
      const role = nodeRole(stack);
      const userData = ec2.UserData.forLinux();
      userData.addCommands(cache.containerdNodeScript());
      new ec2.LaunchTemplate(stack, 'Template', { userData, role, machineImage: ec2.MachineImage.latestAmazonLinux2023() });
      cache.grantPull(role);

      const rendered = launchTemplateUserData(stack) as string;
      expect(typeof rendered).toBe('string');
      expect(rendered.startsWith('#!/bin/bash\n#!/bin/bash\n# cdk-pull-through-cache (Stack/Cache)')).toBe(true);
      expect(rendered).toContain('--registry-ids "$registry_id"');
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ecr:GetAuthorizationToken', Resource: '*' })]) },
      });
    });

    test('an environment-agnostic stack: account, region and domain resolve in the user data (Fn::Join)', () => {
      const stack = newEnvStack({});
      const cache = smallCache(stack);
      const userData = ec2.UserData.forLinux();
      userData.addCommands(cache.containerdNodeScript());
      new ec2.LaunchTemplate(stack, 'Template', { userData });
      const join = (launchTemplateUserData(stack) as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      expect(join[0]).toBe('');
      const parts = join[1];
      // Every token is base64 (Fn::Base64), which no value can break out of; the program decodes
      // and checks it.
      expect(parts).toContainEqual({ 'Fn::Base64': { Ref: 'AWS::AccountId' } });
      expect(parts).toContainEqual({ 'Fn::Base64': { Ref: 'AWS::Region' } });
      expect(parts).not.toContainEqual({ Ref: 'AWS::AccountId' });
      const resolved = resolveLikeCloudFormation(stack, cache.containerdNodeScript(), {
        'AWS::AccountId': '210987654321', 'AWS::Region': 'ap-southeast-2', 'AWS::URLSuffix': 'amazonaws.com',
      });
      const b64 = (v: string) => Buffer.from(v).toString('base64');
      expect(resolved).toContain(`region=$(value region '${VALUE_PATTERNS.region}' '@${b64('ap-southeast-2')}')`);
      expect(resolved).toContain(`registry_id=$(value account '${VALUE_PATTERNS.account}' '@${b64('210987654321')}')`);
      expect(resolved).toContain(`'@${b64('https://210987654321.dkr.ecr.ap-southeast-2.amazonaws.com/v2/quaycache')}'`);
    });

    test('EKS managed node group on AL2023: MIME multi-part, a shell part next to the NodeConfig', () => {
      const stack = newEnvStack();
      const cache = smallCache(stack);
      const role = nodeRole(stack);
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
      const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'cluster', vpc });
      const nodeConfig = ['apiVersion: node.eks.aws/v1alpha1', 'kind: NodeConfig', 'spec:', '  kubelet:', '    flags:', '      - --node-labels=pull-through-cache=ecr'].join('\n');
      const userData = new ec2.MultipartUserData();
      userData.addPart(ec2.MultipartBody.fromRawBody({ contentType: 'text/x-shellscript; charset="us-ascii"', body: cache.containerdNodeScript() }));
      userData.addPart(ec2.MultipartBody.fromRawBody({ contentType: 'application/node.eks.aws', body: nodeConfig }));
      const launchTemplate = new ec2.LaunchTemplate(stack, 'NodeTemplate', { userData });
      new eks.Nodegroup(stack, 'Nodes', {
        cluster,
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
        launchTemplateSpec: { id: launchTemplate.launchTemplateId!, version: launchTemplate.latestVersionNumber },
        nodeRole: role,
      });
      cache.grantPull(role);

      const rendered = launchTemplateUserData(stack) as string;
      expect(rendered).toMatch(/^Content-Type: multipart\/mixed; boundary="[^"]+"\nMIME-Version: 1.0\n/);
      const shell = rendered.indexOf('Content-Type: text/x-shellscript; charset="us-ascii"\n\n#!/bin/bash\n# cdk-pull-through-cache (Stack/Cache)');
      const node = rendered.indexOf('Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig');
      expect(shell).toBeGreaterThan(0);
      expect(node).toBeGreaterThan(shell);
      Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', {
        AmiType: 'AL2023_x86_64_STANDARD',
        LaunchTemplate: { Id: Match.anyValue(), Version: Match.anyValue() },
      });
    });

    test('Karpenter EC2NodeClass: the script is its userData string', () => {
      const stack = newEnvStack();
      const cache = smallCache(stack);
      const role = nodeRole(stack);
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
      const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
        clusterName: 'cluster', vpc, kubectlRoleArn: `arn:aws:iam::${ACCOUNT}:role/kubectl`,
      });
      const script = cache.containerdNodeScript();
      cluster.addManifest('CachedNodeClass', {
        apiVersion: 'karpenter.k8s.aws/v1',
        kind: 'EC2NodeClass',
        metadata: { name: 'cached' },
        spec: {
          amiSelectorTerms: [{ alias: 'al2023@latest' }],
          role: role.roleName,
          subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'cluster' } }],
          securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'cluster' } }],
          userData: script,
        },
      });
      cache.grantPull(role);

      const manifests = Template.fromStack(stack).findResources('Custom::AWSCDK-EKS-KubernetesResource');
      const [manifest] = Object.values(manifests);
      const json = stack.resolve(manifest.Properties.Manifest) as { 'Fn::Join': [string, unknown[]] };
      const text = json['Fn::Join'][1].map(p => (typeof p === 'string' ? p : '<ref>')).join('');
      const [nodeClass] = JSON.parse(text);
      expect(nodeClass.kind).toBe('EC2NodeClass');
      expect(nodeClass.spec.userData).toBe(script);
    });
  });

  // The Go end-to-end test (test:node-e2e) runs these too, on the installed files.
  // scripts/ensure-tools.sh (the first step of `npx projen test`) installs both tools.
  test('shellcheck passes on the boot script and the program it installs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-script-'));
    const parts = nodeScriptParts(smallInput());
    fs.writeFileSync(path.join(dir, 'script.sh'), parts.script);
    fs.writeFileSync(path.join(dir, 'program.sh'), parts.program);
    execFileSync('shellcheck', [path.join(dir, 'script.sh'), path.join(dir, 'program.sh')], { stdio: 'pipe' });
    fs.rmSync(dir, { recursive: true });
  });

  /**
   * The first systemd that knows each directive of the units (or value, or system-call group), from
   * systemd's NEWS and systemd.exec(5): written here independently of the library's table.
   */
  const FIRST_SYSTEMD: Record<string, number> = Object.fromEntries([
    ...['Type', 'ExecStart', 'TimeoutStartSec', 'SyslogIdentifier', 'UMask', 'PrivateTmp', 'CapabilityBoundingSet'].map(k => [k, 1] as const),
    ...['NoNewPrivileges', 'SystemCallFilter'].map(k => [k, 187] as const),
    ...['PrivateDevices', 'SystemCallArchitectures', 'SystemCallErrorNumber'].map(k => [k, 209] as const),
    ...['RestrictAddressFamilies'].map(k => [k, 211] as const),
    ...['ProtectHome=read-only', 'ProtectHome=yes', 'ProtectSystem=full'].map(k => [k, 214] as const),
    ...['AmbientCapabilities'].map(k => [k, 229] as const),
    ...['SystemCallFilter=@', 'ReadWritePaths', 'RestrictRealtime'].map(k => [k, 231] as const),
    ...['ProtectSystem=strict', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectControlGroups', 'RemoveIPC'].map(k => [k, 232] as const),
    ...['RestrictNamespaces'].map(k => [k, 233] as const),
    ...['KeyringMode', 'LockPersonality'].map(k => [k, 235] as const),
    ...['ProtectHome=tmpfs'].map(k => [k, 238] as const),
    ...['PrivateMounts', 'SystemCallFilter=@system-service'].map(k => [k, 239] as const),
    ...['ProtectHostname', 'RestrictSUIDSGID'].map(k => [k, 242] as const),
    ...['ProtectKernelLogs'].map(k => [k, 244] as const),
    ...['ProtectClock'].map(k => [k, 245] as const),
    ...['ProtectProc', 'ProcSubset'].map(k => [k, 247] as const),
  ]);
  function firstSystemd(line: string): number {
    const [key, value] = [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)];
    const candidates = [FIRST_SYSTEMD[key] ?? 0, FIRST_SYSTEMD[`${key}=${value}`] ?? 0];
    if (key === 'SystemCallFilter' && value.includes('@')) candidates.push(FIRST_SYSTEMD['SystemCallFilter=@']);
    if (key === 'SystemCallFilter' && value.includes('@system-service')) candidates.push(FIRST_SYSTEMD['SystemCallFilter=@system-service']);
    if (!(key in FIRST_SYSTEMD) && !(`${key}=${value}` in FIRST_SYSTEMD)) throw new Error(`no version known for ${line}`);
    return Math.max(...candidates);
  }
  /** The [Service] directives of a unit. */
  const serviceDirectives = (unit: string) => unit.slice(unit.indexOf('[Service]\n') + 10, unit.indexOf('\n\n[Install]')).split('\n').filter(l => !l.startsWith('#'));

  // Amazon Linux 2 has systemd 219, Ubuntu 18.04 237: a directive they do not know is skipped, and
  // an allow-list SystemCallFilter whose group they do not know kills the program at its first call.
  test('the service holds only directives systemd 219 knows; the drop-in gates each at the first systemd that knows it', () => {
    const parts = nodeScriptParts(smallInput());
    for (const line of serviceDirectives(parts.service)) {
      expect([line, firstSystemd(line)]).toEqual([line, expect.any(Number)]);
      expect({ line, since: firstSystemd(line) <= 219 }).toEqual({ line, since: true });
    }
    const table = parts.hardening.trimEnd().split('\n').map(l => [Number(l.slice(0, l.indexOf(' '))), l.slice(l.indexOf(' ') + 1)] as const);
    expect(table.length).toBeGreaterThan(15);
    for (const [since, directive] of table) {
      expect({ directive, gated: since >= firstSystemd(directive) && since > 219 }).toEqual({ directive, gated: true });
    }
  });

  /** hardening.conf as the boot script writes it on a node with that systemd, or undefined when it writes none. */
  function hardeningFor(version: number, configDirectory = DIRECTORY): string | undefined {
    const script = nodeScriptParts(smallInput()).script;
    const block = /\n(hardening=""\n[\s\S]*?hardening\.conf"\nfi)\n/.exec(script)![1];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-hardening-'));
    const file = path.join(dir, 'unit.service.d', 'hardening.conf');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, 'stale');
    const harness = [
      'set -euo pipefail',
      'install_file() { cat > "$1"; }',
      `systemd_version=${version} unit=unit config_directory=${configDirectory}`,
      block.split('/etc/systemd/system/').join(`${dir}/`),
    ].join('\n');
    execFileSync('bash', ['-c', harness], { stdio: 'pipe' });
    const written = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    fs.rmSync(dir, { recursive: true });
    return written;
  }

  test('the boot script writes hardening.conf with what the node\'s systemd knows, and none on systemd 219', () => {
    expect(hardeningFor(219)).toBeUndefined();
    expect(hardeningFor(0)).toBeUndefined(); // an unknown version: the base unit only
    const at = (version: number) => hardeningFor(version)!.split('\n');
    // Ubuntu 18.04: no system-call group it may not know; the service's ProtectHome=read-only.
    expect(at(237)).not.toContainEqual(expect.stringMatching(/^SystemCallFilter=/));
    expect(at(237)).not.toContainEqual(expect.stringMatching(/^ProtectHome=/));
    expect(at(238)).toContain('ProtectHome=tmpfs');
    expect(at(237)).toContain('ReadWritePaths=/etc/containerd/certs.d');
    // RHEL 8 (239): the allow list, then the deny list; nothing of 242 or later.
    expect(at(239).filter(l => l.startsWith('SystemCallFilter='))).toEqual(['SystemCallFilter=@system-service', 'SystemCallFilter=~@privileged @resources']);
    expect(at(239)).not.toContain('ProtectProc=invisible');
    expect(at(239)).not.toContain('RestrictSUIDSGID=yes');
    // Amazon Linux 2023 (252): every directive.
    expect(hardeningFor(252)).toBe(`[Service]\n${HARDENING_DIRECTIVES.map(([, d]) => d.replace('${config_directory}', DIRECTORY)).join('\n')}\n`);
  });

  /** The units as the boot script writes them on that systemd, in a directory, ExecStart pointed at the written program. */
  function writeUnits(dir: string, version = 252): { service: string; timer: string } {
    const parts = nodeScriptParts(smallInput());
    const unit = 'ecr-pull-through-cache-auth-0123456789abcdef';
    const program = path.join(dir, unit);
    fs.writeFileSync(program, parts.program, { mode: 0o700 });
    const service = path.join(dir, `${unit}.service`);
    const timer = path.join(dir, `${unit}.timer`);
    // The drop-ins' [Service] sections appended: systemd merges them into the unit's, as from the .d directory.
    const dropIns = (version >= 244 ? '\n' + parts.retry : '') + (hardeningFor(version) !== undefined ? '\n' + hardeningFor(version) : '');
    fs.writeFileSync(service, renderService(unit).replace(`ExecStart=/usr/local/sbin/${unit}`, `ExecStart=${program}`) + dropIns);
    fs.writeFileSync(timer, renderTimer('21600'));
    return { service, timer };
  }

  test.each([252, 219])('systemd-analyze verify passes on the units as written for systemd %d', version => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-units-'));
    const { service, timer } = writeUnits(dir, version);
    const result = spawnSync('systemd-analyze', ['verify', service, timer], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
    fs.rmSync(dir, { recursive: true });
  });

  const exposureOf = (service: string) => {
    const result = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', service], { encoding: 'utf8' });
    return Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(result.stdout)?.[1]);
  };

  // Was 9.6 (UNSAFE) with no hardening; the node e2e test checks the installed unit too.
  test('systemd-analyze security rates the service with its hardening.conf 3.0 or lower', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-units-'));
    expect(exposureOf(writeUnits(dir, 252).service)).toBeLessThanOrEqual(3.0);
    // Without the drop-in (systemd 219) the base unit alone still counts for something.
    expect(exposureOf(writeUnits(dir, 219).service)).toBeLessThan(9.6);
    fs.rmSync(dir, { recursive: true });
  });

});
