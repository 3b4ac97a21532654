/**
 * Writes the boot scripts the node end-to-end test (test/node-e2e) runs, built with the library
 * as a user would: `ts-node scripts/node-e2e-fixtures.ts <directory>`.
 *
 * <directory>/cases.json lists the cases; each case has its boot script (<name>.sh) and the
 * header-less hosts.toml files `containerdMirrors()` gives (<name>.plain/<host>/hosts.toml), which
 * the test uses for the "no token" fallback.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ContainerdMirror, PullThroughCache, UpstreamRegistry } from '../src';

interface Upstream {
  /** The registry as containerd names it: the hosts.toml directory. */
  readonly host: string;
  readonly prefix: string;
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
 * parameters in the script's Fn::Join.
 */
function resolveLikeCloudFormation(stack: Stack, value: string, pseudo: Record<string, string>): string {
  const resolve = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string' && o.Ref in pseudo) return pseudo[o.Ref];
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

function upstreamsOf(mirrors: ContainerdMirror[]): Upstream[] {
  return mirrors.map(m => ({ host: m.upstreamHost, prefix: m.prefix, image: IMAGES[m.upstreamHost] }));
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
      upstreams: upstreamsOf(mirrors),
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
      upstreams: upstreamsOf(mirrors),
    };
    writeCase(dir, c, script, mirrors);
    cases.push(c);
  }

  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases, undefined, 2) + '\n');
  console.log(`wrote ${cases.length} cases to ${dir}`);
}

main();
