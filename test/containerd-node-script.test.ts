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
import { ACCOUNT, fullCache, newEnvStack, REGION } from './cache-fixtures';
import { newStack } from './helpers';
import { nodeScriptParts, NodeScriptInput, renderContainerdNodeScript, renderService, renderTimer, VALUE_PATTERNS } from '../src/private/node-script';

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
    expect(parts.service).toContain('ReadWritePaths=${config_directory}\n');
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
    ['a relative directory', { configDirectory: 'etc/certs.d' }, "configDirectory 'etc/certs.d' must be an absolute path"],
    ['a directory with a quote', { configDirectory: "/etc/it's" }, "configDirectory (Python: config_directory) '/etc/it's' must be an absolute path of letters, digits and '/._-', no name in it starting with '.'"],
    ['a directory with a newline', { configDirectory: '/etc/x\ntouch /tmp/pwned' }, "configDirectory (Python: config_directory) '/etc/x\ntouch /tmp/pwned' must be an absolute path"],
    ['a directory going up', { configDirectory: '/etc/containerd/../cron.d' }, "configDirectory (Python: config_directory) '/etc/containerd/../cron.d' must be an absolute path of letters, digits and '/._-', no name in it starting with '.'"],
  ])('%s is an error', (_name, options, message) => {
    const cache = smallCache(newEnvStack());
    expect(() => cache.containerdNodeScript(options)).toThrow(message);
  });

  test('every problem in one error naming the construct', () => {
    expect(() => renderContainerdNodeScript(
      { where: 'Stack/Cache', account: '12', region: 'Europe', configDirectory: DIRECTORY, mirrors: [] },
      { refreshInterval: Duration.minutes(1) },
    )).toThrow(new Error([
      "PullThroughCache at 'Stack/Cache': containerdNodeScript is invalid:",
      '  - refreshInterval (Python: refresh_interval) 1 minute must be between 5 minutes and 11 hours: ECR authorization tokens last 12 hours',
      "  - the cache's account '12' must be 12 digits",
      "  - the cache's region 'Europe' is not a region name",
      '  - no upstream of the cache has a containerd mirror (see the warnings cdk-pull-through-cache:mirrorSkipped)',
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
    const fits = scriptOf(42);
    expect(Buffer.byteLength(fits.script)).toBeLessThanOrEqual(16384);
    expect(Annotations.fromStack(fits.stack).findWarning('*', Match.stringLikeRegexp('nodeScriptSize'))).toEqual([]);

    const tooBig = scriptOf(43);
    const bytes = Buffer.byteLength(tooBig.script);
    expect(bytes).toBeGreaterThan(16384);
    Annotations.fromStack(tooBig.stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp(
      `containerdNodeScript: the script is ${bytes} bytes \\(43 mirrors\\); EC2 accepts at most 16384 bytes of user data.*\\[ack: cdk-pull-through-cache:nodeScriptSize\\]`,
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
    const fits = scriptOf(37);
    expect(fits.bytes).toBeLessThanOrEqual(16384);
    expect(Annotations.fromStack(fits.stack).findWarning('*', Match.stringLikeRegexp('nodeScriptSize'))).toEqual([]);

    // Its literal text alone fits; deployed, it does not. The warning gives a lower bound (the
    // shortest account, region and URL suffix of any partition, base64-encoded as Fn::Base64
    // does), above 16 KB, at most the real size, and exact for the shortest values.
    const tooBig = scriptOf(39);
    expect(tooBig.literalBytes).toBeLessThanOrEqual(16384);
    const [warning] = Annotations.fromStack(tooBig.stack).findWarning('/Stack/Cache', Match.stringLikeRegexp('nodeScriptSize'));
    const atLeast = Number(/the script is at least (\d+) bytes \(39 mirrors\)/.exec(String(warning?.entry.data))?.[1]);
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
      expect(good.stdout).toMatch(/^ecr-pull-through-cache-auth-[0-9a-f]{8} \/etc\/cri\/certs.d 21600\n$/);
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

    test('two caches get two unit names; the same cache the same one', () => {
      const consumer = newEnvStack();
      const a = PullThroughCache.fromPullThroughCacheAttributes(consumer, 'A', { account: '444455556666', region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });
      const b = PullThroughCache.fromPullThroughCacheAttributes(consumer, 'B', { account: '777788889999', region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.quay() }] });
      const unitOf = (script: string) => settingsOf(script).stdout.split(' ')[0];
      expect(unitOf(a.containerdNodeScript())).not.toBe(unitOf(b.containerdNodeScript()));
      expect(unitOf(a.containerdNodeScript())).toBe(unitOf(a.containerdNodeScript({ refreshInterval: Duration.hours(2) })));
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

  /** The units as the boot script writes them, in a directory, ExecStart pointed at the written program. */
  function writeUnits(dir: string): { service: string; timer: string } {
    const parts = nodeScriptParts(smallInput());
    const unit = 'ecr-pull-through-cache-auth-0123abcd';
    const program = path.join(dir, unit);
    fs.writeFileSync(program, parts.program, { mode: 0o700 });
    const service = path.join(dir, `${unit}.service`);
    const timer = path.join(dir, `${unit}.timer`);
    // The drop-in's [Service] section appended: systemd merges it into the unit's, as from the .d directory.
    fs.writeFileSync(service, renderService(unit, DIRECTORY).replace(`ExecStart=/usr/local/sbin/${unit}`, `ExecStart=${program}`) + '\n' + parts.retry);
    fs.writeFileSync(timer, renderTimer('21600'));
    return { service, timer };
  }

  test('systemd-analyze verify passes on the units, the retry drop-in included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-units-'));
    const { service, timer } = writeUnits(dir);
    const result = spawnSync('systemd-analyze', ['verify', service, timer], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
    fs.rmSync(dir, { recursive: true });
  });

  // Was 9.6 (UNSAFE) with no hardening; the node e2e test checks the installed unit too.
  test('systemd-analyze security rates the service 3.0 or lower', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-units-'));
    const { service } = writeUnits(dir);
    const result = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', service], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(result.stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(3.0);
    fs.rmSync(dir, { recursive: true });
  });

});
