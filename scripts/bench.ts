/*
 * What the construct costs compared with the same resources written with the L1 classes.
 *
 *   TS_NODE_PROJECT=tsconfig.dev.json TS_NODE_TRANSPILE_ONLY=1 npx ts-node scripts/bench.ts [pairs]
 *
 * For N = 1, 4, 10, 25, 50 upstreams it synthesizes, in one process and alternating, the
 * `PullThroughCache` (L3) and a hand-written equivalent (L1: `ecr.CfnPullThroughCacheRule`,
 * `ecr.CfnRepositoryCreationTemplate`, an `iam.Policy` with the same statements, the same
 * dependencies and the same resource order), and prints: the median synth wall time of each and
 * their ratio, the template bytes without CDK metadata, the number of resources, and the
 * characters of the IAM policy `grantPull` adds to a role, as IAM counts them (minified JSON,
 * intrinsics resolved as deployed). It prints figures; it asserts nothing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PullThroughCache, ScanType, UpstreamDefinition, UpstreamRegistry } from '../src';
// The L1 side grants the very actions the construct grants.
import { PULL_THROUGH_ACTIONS as PULL_ACTIONS } from '../src/core/private/grants';

const SIZES = [1, 4, 10, 25, 50];
const WARMUP_PAIRS = 5;
const PAIRS = Number(process.argv[2] ?? 81);
const ENV = { account: '123456789012', region: 'eu-west-1' };
/** What CloudFormation substitutes for the pseudo parameters at deployment. */
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': ENV.region, 'AWS::AccountId': ENV.account, 'AWS::URLSuffix': 'amazonaws.com' };
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'ptc-bench-'));


interface Upstream {
  readonly registry: UpstreamRegistry;
  readonly prefix: string;
}

/** N public upstreams (no secret needed) with realistic prefixes, e.g. `k8scache07`. */
function upstreams(n: number, prefixOf?: (i: number) => string): Upstream[] {
  const kinds = [UpstreamRegistry.kubernetes, UpstreamRegistry.quay, UpstreamRegistry.ecrPublic];
  return Array.from({ length: n }, (_, i) => {
    const registry = kinds[i % kinds.length]();
    return { registry, prefix: prefixOf ? prefixOf(i) : `${registry.defaultPrefix}${String(i + 1).padStart(2, '0')}` };
  });
}

function newStack(): { app: App; stack: Stack } {
  // No analytics (CDKMetadata) and the bootstrap version rule stripped when measuring. No creation
  // stack traces: the CDK CLI disables them (context aws:cdk:disable-stack-trace) unless --debug,
  // and capturing them costs in proportion to the call depth, which is not what users pay.
  const app = new App({ analyticsReporting: false, stackTraces: false, outdir: OUTDIR });
  return { app, stack: new Stack(app, 'Bench', { env: ENV }) };
}

function buildL3(list: Upstream[], extra: Partial<{ crossAccount: boolean }> = {}): Stack {
  const { stack } = newStack();
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: list.map((u): UpstreamDefinition => ({ registry: u.registry, prefix: u.prefix })),
    ...(extra.crossAccount
      ? { crossAccountAccess: { organizationId: 'o-a1b2c3d4e5', accounts: ['444455556666'] }, scanning: { scanType: ScanType.BASIC } }
      : {}),
  });
  cache.grantPull(new iam.Role(stack, 'Puller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }));
  return stack;
}

function buildL1(list: Upstream[]): Stack {
  const { stack } = newStack();
  const sorted = [...list].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  for (const u of sorted) {
    const creationTemplate = new ecr.CfnRepositoryCreationTemplate(stack, `${u.prefix}Template`, {
      prefix: u.prefix,
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'MUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
      description: `Repositories created by the ECR pull-through cache rule '${u.prefix}'`,
    });
    const rule = new ecr.CfnPullThroughCacheRule(stack, `${u.prefix}Rule`, {
      ecrRepositoryPrefix: u.prefix,
      upstreamRegistryUrl: u.registry.url,
      upstreamRegistry: u.registry.registryType,
    });
    rule.addDependency(creationTemplate);
  }
  const role = new iam.Role(stack, 'Puller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  new iam.Policy(stack, 'PullerPolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        actions: PULL_ACTIONS,
        resources: sorted.map(u => stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${u.prefix}/*` })),
      }),
      new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    ],
  });
  return stack;
}

interface Timing {
  /** Wall time, milliseconds. */
  readonly wall: number;
  /** CPU time of the process (user + system), milliseconds: less sensitive to other processes. */
  readonly cpu: number;
}

/** Build and synthesize. */
function timed(build: () => Stack): Timing {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const stack = build();
  (stack.node.root as App).synth();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

/** The synthesized template without what the CDK adds for itself. */
function template(stack: Stack): any {
  const assembly = (stack.node.root as App).synth();
  const json = JSON.parse(JSON.stringify(assembly.getStackByName(stack.stackName).template));
  delete json.Parameters?.BootstrapVersion;
  delete json.Rules?.CheckBootstrapVersion;
  delete json.Resources?.CDKMetadata;
  delete json.Conditions?.CDKMetadataAvailable;
  for (const key of ['Parameters', 'Rules', 'Conditions']) {
    if (json[key] && Object.keys(json[key]).length === 0) {
      delete json[key];
    }
  }
  for (const resource of Object.values<any>(json.Resources)) {
    delete resource.Metadata;
  }
  return json;
}

/** Resolve `Ref` to pseudo parameters and `Fn::Join`, as CloudFormation does at deployment. */
function deployed(value: any): any {
  if (Array.isArray(value)) {
    return value.map(deployed);
  }
  if (value && typeof value === 'object') {
    if ('Ref' in value && PSEUDO[value.Ref]) {
      return PSEUDO[value.Ref];
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'];
      return deployed(parts).join(separator);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deployed(v)]));
  }
  return value;
}

/** The characters of the puller's IAM policy, as IAM counts them (no whitespace). */
function grantPolicyChars(json: any): number {
  const policies = Object.values<any>(json.Resources).filter(r => r.Type === 'AWS::IAM::Policy');
  return policies.reduce((sum, p) => sum + JSON.stringify(deployed(p.Properties.PolicyDocument)).length, 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function pct(ratio: number): string {
  const delta = (ratio - 1) * 100;
  return `${delta >= 0 ? '+' : ''}${delta.toFixed(1)}%`;
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

function main(): void {
  const started = performance.now();
  console.log(`node ${process.version}, ${os.cpus().length} CPUs; ${PAIRS} alternating L3/L1 pairs per N after ${WARMUP_PAIRS} warm-up pairs`);
  console.log(`stack env ${ENV.account}/${ENV.region}; template bytes: minified JSON without CDKMetadata, Metadata and the bootstrap version rule\n`);

  const header = ['N', 'L3 ms', 'L1 ms', 'time L3/L1', 'cpu L3/L1', 'L3 bytes', 'L1 bytes', 'bytes L3/L1', 'res L3', 'res L1', 'grantPull chars', 'L3 bytes/N'];
  const widths = header.map(h => Math.max(h.length, 8));
  const rows: string[] = [pad(header, widths)];
  const perUpstream: number[] = [];
  let lambdaOrCustom: string[] = [];

  for (const n of SIZES) {
    const list = upstreams(n);
    for (let i = 0; i < WARMUP_PAIRS; i++) {
      timed(() => buildL3(list));
      timed(() => buildL1(list));
    }
    const l3: number[] = [];
    const l1: number[] = [];
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      // Alternate which goes first, so neither always runs on a warmer heap.
      let a: Timing;
      let b: Timing;
      if (i % 2 === 0) {
        a = timed(() => buildL3(list));
        b = timed(() => buildL1(list));
      } else {
        b = timed(() => buildL1(list));
        a = timed(() => buildL3(list));
      }
      l3.push(a.wall);
      l1.push(b.wall);
      ratios.push(a.wall / b.wall);
      cpuRatios.push(a.cpu / b.cpu);
    }
    const t3 = template(buildL3(list));
    const t1 = template(buildL1(list));
    const bytes3 = JSON.stringify(t3).length;
    const bytes1 = JSON.stringify(t1).length;
    const types = Object.values<any>(t3.Resources).map(r => r.Type as string);
    lambdaOrCustom = lambdaOrCustom.concat(types.filter(t => t === 'AWS::Lambda::Function' || t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource'));
    perUpstream.push(bytes3 / n);
    rows.push(pad([
      String(n),
      median(l3).toFixed(1),
      median(l1).toFixed(1),
      `${(median(l3) / median(l1)).toFixed(3)} (${pct(median(ratios))})`,
      pct(median(cpuRatios)),
      String(bytes3),
      String(bytes1),
      `${(bytes3 / bytes1).toFixed(3)} (${pct(bytes3 / bytes1)})`,
      String(Object.keys(t3.Resources).length),
      String(Object.keys(t1.Resources).length),
      String(grantPolicyChars(t3)),
      (bytes3 / n).toFixed(0),
    ], widths));
  }
  console.log(rows.join('\n'));
  console.log('\n"time L3/L1": ratio of the median wall times (median of the per-pair ratios in parentheses); "cpu L3/L1": median per-pair ratio of process CPU time.');
  console.log(`load average at the end: ${os.loadavg().map(l => l.toFixed(2)).join(' ')} (timings are only meaningful on an idle machine)`);

  // Marginal cost of one more upstream, between consecutive sizes: constant when linear.
  const marginal: string[] = [];
  for (let i = 1; i < SIZES.length; i++) {
    const bytes = (n: number) => JSON.stringify(template(buildL3(upstreams(n)))).length;
    marginal.push(`${SIZES[i - 1]}->${SIZES[i]}: ${((bytes(SIZES[i]) - bytes(SIZES[i - 1])) / (SIZES[i] - SIZES[i - 1])).toFixed(1)}`);
  }
  console.log(`marginal template bytes per upstream: ${marginal.join(', ')}`);

  // The worst case of grantPull: 50 prefixes of 30 characters, in a 14-character region.
  const worst = upstreams(50, i => `${'p'.repeat(28)}${String(i).padStart(2, '0')}`);
  const worstStack = (() => {
    const app = new App({ analyticsReporting: false, outdir: OUTDIR });
    const stack = new Stack(app, 'Worst', { env: { account: ENV.account, region: 'ap-southeast-2' } });
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: worst.map(u => ({ registry: u.registry, prefix: u.prefix })) });
    cache.grantPull(new iam.Role(stack, 'Puller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }));
    return stack;
  })();
  console.log(`grantPull, worst case (50 prefixes of 30 characters, region ap-southeast-2): ${grantPolicyChars(template(worstStack))} characters`);

  const withOptions = template(buildL3(upstreams(50), { crossAccount: true }));
  const registryPolicy = Object.values<any>(withOptions.Resources).find(r => r.Type === 'AWS::ECR::RegistryPolicy');
  console.log(
    `N=50 with crossAccountAccess (organization + 1 account) and basic scanning: ${Object.keys(withOptions.Resources).length} resources, `
    + `${JSON.stringify(withOptions).length} template bytes, registry policy ${JSON.stringify(deployed(registryPolicy.Properties.PolicyText)).length} characters`,
  );
  console.log(`AWS::Lambda::Function or custom resources in the L3 templates: ${lambdaOrCustom.length === 0 ? 'none' : lambdaOrCustom.join(', ')}`);
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  fs.rmSync(OUTDIR, { recursive: true, force: true });
}

main();
