/**
 * Writes the boot scripts the node end-to-end test (test/node-e2e) runs, built with the library
 * as a user would: `ts-node scripts/node-e2e-fixtures.ts <directory>`.
 *
 * <directory>/cases.json lists the cases; each case has its boot script (<name>.sh) and the
 * header-less hosts.toml files `containerdMirrors()` gives (<name>.plain/<host>/hosts.toml), which
 * the test uses for the "no token" fallback and to check what the program wrote.
 * <directory>/two-caches.json holds two cases whose scripts share a node (one host in common);
 * <directory>/team-caches.json two caches of one account and region mirroring quay.io under two prefixes.
 * <directory>/payloads.json lists scripts built from hostile input, each with the file its payload
 * would create (<marker>): none may run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ContainerdMirror, PullThroughCache, UpstreamRegistry } from '../src';

interface Upstream {
  /** The registry as containerd names it: the hosts.toml directory. */
  readonly host: string;
  readonly prefix: string;
  /** The upstream's URL and the cache's endpoint (hashed into the cache's id with the host). */
  readonly server: string;
  readonly endpoint: string;
  /** The image the test pulls through it. */
  readonly image: string;
}

interface Case {
  readonly name: string;
  readonly description: string;
  readonly account: string;
  readonly region: string;
  readonly registryDomain: string;
  readonly configDirectory: string;
  /** The timer's interval the script asks for. */
  readonly refreshSeconds: number;
  readonly upstreams: Upstream[];
}

const IMAGES: Record<string, string> = {
  'docker.io': 'docker.io/library/alpine:3',
  'ghcr.io': 'ghcr.io/fluxcd/flux-cli:v2.4.0',
  'registry.k8s.io': 'registry.k8s.io/pause:3.10',
  'quay.io': 'quay.io/prometheus/busybox:latest',
};

function cacheIn(stack: Stack): PullThroughCache {
  const secret = (name: string) => secretsmanager.Secret.fromSecretCompleteArn(stack, `${name}Secret`,
    `arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/${name}-AbCdEf`);
  return new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.dockerHub(), prefix: 'dockercache', credentials: secret('docker') },
      { registry: UpstreamRegistry.githubContainerRegistry(), prefix: 'ghcrcache', credentials: secret('ghcr') },
      { registry: UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
      { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
    ],
  });
}

/**
 * What CloudFormation does to an environment-agnostic stack's user data: resolve the pseudo
 * parameters and parameters (`pseudo`) in the script's Fn::Join and Fn::Base64. A stand-in for
 * CloudFormation itself.
 */
function resolveLikeCloudFormation(stack: Stack, value: string, pseudo: Record<string, string>): string {
  const resolve = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string' && o.Ref in pseudo) return pseudo[o.Ref];
    if (o['Fn::Base64'] !== undefined) return Buffer.from(resolve(o['Fn::Base64'])).toString('base64');
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    throw new Error(`cannot resolve ${JSON.stringify(v)}`);
  };
  return resolve(stack.resolve(value));
}

function writeCase(dir: string, c: Case, script: string, mirrors: ContainerdMirror[], resolveText: (s: string) => string = s => s) {
  fs.writeFileSync(path.join(dir, `${c.name}.sh`), script);
  for (const mirror of mirrors) {
    const hostDir = path.join(dir, `${c.name}.plain`, resolveText(mirror.upstreamHost));
    fs.mkdirSync(hostDir, { recursive: true });
    fs.writeFileSync(path.join(hostDir, 'hosts.toml'), resolveText(mirror.content));
  }
}

function upstreamsOf(mirrors: ContainerdMirror[], resolveText: (s: string) => string = s => s): Upstream[] {
  return mirrors.map(m => ({
    host: resolveText(m.upstreamHost),
    prefix: resolveText(m.prefix),
    server: resolveText(m.server),
    endpoint: resolveText(m.mirrorEndpoint),
    image: IMAGES[resolveText(m.upstreamHost)],
  }));
}

function main() {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node-e2e-fixtures.ts <directory>');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const cases: Case[] = [];

  // 1. A cache in a stack with an account and a region: everything is literal.
  {
    const stack = new Stack(new App(), 'Nodes', { env: { account: '111122223333', region: 'eu-west-1' } });
    const cache = cacheIn(stack);
    const mirrors = cache.containerdMirrors();
    const c: Case = {
      name: 'env-bound',
      description: 'cache and nodes in 111122223333/eu-west-1',
      account: '111122223333',
      region: 'eu-west-1',
      registryDomain: cache.registryDomain,
      configDirectory: '/etc/containerd/certs.d',
      refreshSeconds: 21600,
      upstreams: upstreamsOf(mirrors),
    };
    writeCase(dir, c, cache.containerdNodeScript(), mirrors);
    cases.push(c);
  }

  // 2. An environment-agnostic stack: the script holds tokens, which CloudFormation resolves in
  // the user data (Fn::Join); resolved here as CloudFormation would in 210987654321/ap-southeast-2.
  {
    const stack = new Stack(new App(), 'Agnostic');
    const cache = cacheIn(stack);
    const pseudo = { 'AWS::AccountId': '210987654321', 'AWS::Region': 'ap-southeast-2', 'AWS::URLSuffix': 'amazonaws.com' };
    const resolveText = (s: string) => resolveLikeCloudFormation(stack, s, pseudo);
    const mirrors = cache.containerdMirrors();
    const c: Case = {
      name: 'env-agnostic',
      description: 'environment-agnostic stack, resolved as CloudFormation does in 210987654321/ap-southeast-2',
      account: '210987654321',
      region: 'ap-southeast-2',
      registryDomain: resolveText(cache.registryDomain),
      configDirectory: '/etc/containerd/certs.d',
      refreshSeconds: 21600,
      upstreams: upstreamsOf(mirrors, resolveText),
    };
    writeCase(dir, c, resolveText(cache.containerdNodeScript()), mirrors, resolveText);
    cases.push(c);
  }

  // 3. Nodes of a consumer account (999988887777, us-west-2) pulling through a central cache of
  // another account and region (444455556666, us-east-2), imported: the token comes from the
  // cache's region and registry.
  {
    const consumer = new Stack(new App(), 'Consumer', { env: { account: '999988887777', region: 'us-west-2' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(consumer, 'SharedCache', {
      account: '444455556666',
      region: 'us-east-2',
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), prefix: 'dockercache' },
        { registry: UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
        { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
      ],
    });
    const configDirectory = '/etc/containerd/certs.d';
    const mirrors = cache.containerdMirrors({ configDirectory });
    const script = cache.containerdNodeScript({ configDirectory, refreshInterval: Duration.hours(3) });
    const c: Case = {
      name: 'cross-account',
      description: 'nodes of 999988887777/us-west-2 through the central cache of 444455556666/us-east-2',
      account: '444455556666',
      region: 'us-east-2',
      registryDomain: cache.registryDomain,
      configDirectory,
      refreshSeconds: 10800,
      upstreams: upstreamsOf(mirrors),
    };
    writeCase(dir, c, script, mirrors);
    cases.push(c);
  }

  // 4 and 5. Two caches of two accounts whose scripts share a node: the first mirrors docker.io and
  // quay.io, the second ghcr.io and quay.io. quay.io stays with the script that ran first.
  const twoCaches: Case[] = [];
  for (const [name, account, region, registries] of [
    ['first-cache', '121212121212', 'eu-central-1', [UpstreamRegistry.dockerHub(), UpstreamRegistry.quay()]],
    ['second-cache', '343434343434', 'us-west-2', [UpstreamRegistry.githubContainerRegistry(), UpstreamRegistry.quay()]],
  ] as const) {
    const stack = new Stack(new App(), 'Shared', { env: { account: '999988887777', region: 'us-west-2' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
      account, region, upstreams: registries.map((registry, i) => ({ registry, prefix: `${name.split('-')[0]}${i}` })),
    });
    const mirrors = cache.containerdMirrors();
    const c: Case = {
      name,
      description: `one of two caches on a node: ${account}/${region}`,
      account,
      region,
      registryDomain: cache.registryDomain,
      configDirectory: '/etc/containerd/certs.d',
      refreshSeconds: 21600,
      upstreams: upstreamsOf(mirrors),
    };
    writeCase(dir, c, cache.containerdNodeScript(), mirrors);
    twoCaches.push(c);
  }
  fs.writeFileSync(path.join(dir, 'two-caches.json'), JSON.stringify(twoCaches, undefined, 2) + '\n');

  // 6 and 7. Two caches of one account and region whose scripts share a node, both mirroring
  // quay.io, under the prefixes team-a-quay and team-b-quay: two ids, and quay.io stays with the
  // lower, whichever script runs first.
  const teamCaches: Case[] = [];
  for (const prefix of ['team-a-quay', 'team-b-quay']) {
    const stack = new Stack(new App(), 'Shared', { env: { account: '999988887777', region: 'us-west-2' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
      account: '565656565656', region: 'eu-west-1', upstreams: [{ registry: UpstreamRegistry.quay(), prefix }],
    });
    const mirrors = cache.containerdMirrors();
    const c: Case = {
      name: prefix,
      description: `one of two caches of 565656565656/eu-west-1 mirroring quay.io on a node: ${prefix}`,
      account: '565656565656',
      region: 'eu-west-1',
      registryDomain: cache.registryDomain,
      configDirectory: '/etc/containerd/certs.d',
      refreshSeconds: 21600,
      upstreams: upstreamsOf(mirrors),
    };
    writeCase(dir, c, cache.containerdNodeScript(), mirrors);
    teamCaches.push(c);
  }
  fs.writeFileSync(path.join(dir, 'team-caches.json'), JSON.stringify(teamCaches, undefined, 2) + '\n');

  // Hostile input. Each payload creates <marker> if it runs; the test checks that none does.
  const payloads: { name: string; marker: string; refused: boolean }[] = [];
  const payload = (marker: string) => `x' 'y' 'z'; touch ${marker}; : '`;
  const heredocPayload = (marker: string) => `x\nCDK_PULL_THROUGH_CACHE_PROGRAM\ntouch ${marker}\nCDK_PULL_THROUGH_CACHE_PROGRAM\n`;
  const marker = (name: string) => `/etc/node-e2e-pwned-${name}`;
  {
    // A construct id with a newline: valid, sanitised in comments.
    const stack = new Stack(new App(), 'Nodes', { env: { account: '111122223333', region: 'eu-west-1' } });
    const cache = new PullThroughCache(stack, `Cache\ntouch ${marker('construct-id')} #`, { upstreams: [{ registry: UpstreamRegistry.quay() }] });
    fs.writeFileSync(path.join(dir, 'payload-construct-id.sh'), cache.containerdNodeScript());
    payloads.push({ name: 'construct-id', marker: marker('construct-id'), refused: false });
  }
  for (const [name, value] of [['account', payload], ['account-heredoc', heredocPayload]] as const) {
    // An imported cache whose account is a CfnParameter, resolved to the payload.
    const stack = new Stack(new App(), 'Consumer', { env: { account: '999988887777', region: 'us-west-2' } });
    const account = new CfnParameter(stack, 'CacheAccount').valueAsString;
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { account, region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.quay() }] });
    const resolved = resolveLikeCloudFormation(stack, cache.containerdNodeScript(), { 'CacheAccount': value(marker(name)), 'AWS::URLSuffix': 'amazonaws.com' });
    fs.writeFileSync(path.join(dir, `payload-${name}.sh`), resolved);
    payloads.push({ name, marker: marker(name), refused: true });
  }
  for (const [name, value] of [['config-directory', payload], ['config-directory-heredoc', heredocPayload]] as const) {
    // A configDirectory from a CfnParameter (a documented case), resolved to the payload.
    const stack = new Stack(new App(), 'Nodes', { env: { account: '111122223333', region: 'eu-west-1' } });
    const directory = new CfnParameter(stack, 'Directory').valueAsString;
    const cache = cacheIn(stack);
    const resolved = resolveLikeCloudFormation(stack, cache.containerdNodeScript({ configDirectory: directory }), { Directory: value(marker(name)) });
    fs.writeFileSync(path.join(dir, `payload-${name}.sh`), resolved);
    payloads.push({ name, marker: marker(name), refused: true });
  }
  for (const [name, value] of [['region', payload], ['region-heredoc', heredocPayload]] as const) {
    // An imported cache whose region is a CfnParameter, resolved to the payload.
    const stack = new Stack(new App(), 'Consumer', { env: { account: '999988887777', region: 'us-west-2' } });
    const region = new CfnParameter(stack, 'CacheRegion').valueAsString;
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Shared', { account: '444455556666', region, upstreams: [{ registry: UpstreamRegistry.quay() }] });
    const resolved = resolveLikeCloudFormation(stack, cache.containerdNodeScript(), { 'CacheRegion': value(marker(name)), 'AWS::URLSuffix': 'amazonaws.com' });
    fs.writeFileSync(path.join(dir, `payload-${name}.sh`), resolved);
    payloads.push({ name, marker: marker(name), refused: true });
  }
  for (const [name, value] of [['prefix', payload], ['prefix-heredoc', heredocPayload]] as const) {
    // A cache prefix from a CfnParameter, resolved to the payload.
    const stack = new Stack(new App(), 'Nodes', { env: { account: '111122223333', region: 'eu-west-1' } });
    const prefix = new CfnParameter(stack, 'Prefix').valueAsString;
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.quay(), prefix }] });
    const resolved = resolveLikeCloudFormation(stack, cache.containerdNodeScript(), { Prefix: value(marker(name)) });
    fs.writeFileSync(path.join(dir, `payload-${name}.sh`), resolved);
    payloads.push({ name, marker: marker(name), refused: true });
  }
  for (const [name, value] of [['azure-name', payload], ['azure-name-heredoc', heredocPayload]] as const) {
    // An Azure registry name from a CfnParameter, resolved to the payload.
    const stack = new Stack(new App(), 'Nodes', { env: { account: '111122223333', region: 'eu-west-1' } });
    const registryName = new CfnParameter(stack, 'AzureName').valueAsString;
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.azureContainerRegistry(registryName), prefix: 'azure' }] });
    const resolved = resolveLikeCloudFormation(stack, cache.containerdNodeScript(), { AzureName: value(marker(name)) });
    fs.writeFileSync(path.join(dir, `payload-${name}.sh`), resolved);
    payloads.push({ name, marker: marker(name), refused: true });
  }
  for (const [name, value] of [['refresh-interval', payload], ['refresh-interval-heredoc', heredocPayload]] as const) {
    // A refreshInterval from a Number CfnParameter, resolved to the payload (CloudFormation would
    // refuse a non-number; the script must not depend on it).
    const stack = new Stack(new App(), 'Nodes', { env: { account: '111122223333', region: 'eu-west-1' } });
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber;
    const cache = cacheIn(stack);
    const script = cache.containerdNodeScript({ refreshInterval: Duration.seconds(seconds) });
    const resolved = resolveLikeCloudFormation(stack, script, { Seconds: value(marker(name)) });
    fs.writeFileSync(path.join(dir, `payload-${name}.sh`), resolved);
    payloads.push({ name, marker: marker(name), refused: true });
  }
  for (const [name, directory] of [['config-directory-etc', '/etc'], ['config-directory-units', '/etc/systemd/system'], ['config-directory-sbin', '/usr/local/sbin']] as const) {
    // A configDirectory from a CfnParameter resolved to a system directory: refused, so that the
    // service's ReadWritePaths= never widens to it.
    const stack = new Stack(new App(), 'Nodes', { env: { account: '111122223333', region: 'eu-west-1' } });
    const parameter = new CfnParameter(stack, 'Directory').valueAsString;
    const cache = cacheIn(stack);
    const resolved = resolveLikeCloudFormation(stack, cache.containerdNodeScript({ configDirectory: parameter }), { Directory: directory });
    fs.writeFileSync(path.join(dir, `payload-${name}.sh`), resolved);
    payloads.push({ name, marker: marker(name), refused: true });
  }
  fs.writeFileSync(path.join(dir, 'payloads.json'), JSON.stringify(payloads, undefined, 2) + '\n');

  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases, undefined, 2) + '\n');
  console.log(`wrote ${cases.length} cases to ${dir}`);
}

main();
