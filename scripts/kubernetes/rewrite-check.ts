/**
 * The Kubernetes image rewrite, applied by Kyverno's own engine (`kyverno apply`, the CLI built from
 * github.com/kyverno/kyverno) to a table of pods, for several caches and both engines; every image
 * must come out exactly as `imageUri()` gives it, or byte for byte unchanged. A second pass over
 * the output proves the rewrite idempotent.
 *
 * `ts-node scripts/kubernetes/rewrite-check.ts <kyverno binary> <schema checker> <work directory>`
 *
 * The manifests as generated (`admissionregistration.k8s.io/v1` included) also go through the
 * schema checker (scripts/kubernetes/schema): strict decoding into k8s.io/api and Kyverno's types,
 * every CEL expression compiled by k8s.io/apiserver in a new policy's environment.
 *
 * The MutatingAdmissionPolicy is evaluated under `admissionregistration.k8s.io/v1alpha1`, the only
 * version the Kyverno CLI v1.19 applies (v1 and v1beta1 load as 0 rules): the spec is the same.
 * Ends with "kubernetes checks passed=N failed=M".
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as YAML from 'yaml';
import { CHART_IMAGES, FORM_IMAGES } from './images';
import { IPullThroughCache, KubernetesImageRewriteOptions, KubernetesPolicyEngine, PullThroughCache, UpstreamRegistry } from '../../src';
import { decideImage } from '../../src/images/private/image-uri';
import { fullCache } from '../../test/support/cache-fixtures';

const [kyverno, schemaChecker, work] = process.argv.slice(2);
if (!kyverno || !schemaChecker || !work) {
  throw new Error('usage: rewrite-check.ts <kyverno binary> <schema checker> <work directory>');
}
fs.mkdirSync(work, { recursive: true });

const CENTRAL = '444455556666.dkr.ecr.us-east-1.amazonaws.com';
const PROD = '444455556666.dkr.ecr.us-west-2.amazonaws.com';
const SHA = 'sha256:' + '0123456789abcdef'.repeat(4);

let passed = 0;
let failed = 0;
function check(ok: boolean, what: string): void {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${what}`);
  }
}

// ---- the caches, built with the library as a user would ----
function ownedCache(): IPullThroughCache {
  // Every kind of upstream, as the jest suites build it (test/support/cache-fixtures.ts).
  return fullCache(new Stack(new App(), 'Owned', { env: { account: '111122223333', region: 'eu-west-1' } }));
}

function importedCache(): IPullThroughCache {
  const stack = new Stack(new App(), 'Consumer', { env: { account: '777788889999', region: 'us-east-1' } });
  return PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
    account: '111122223333',
    region: 'eu-central-1',
    upstreams: [
      { registry: UpstreamRegistry.dockerHub(), prefix: 'hub' },
      { registry: UpstreamRegistry.githubContainerRegistry() },
      { registry: UpstreamRegistry.kubernetes(), prefix: 'k8s/' },
      { registry: UpstreamRegistry.quay() },
      { registry: UpstreamRegistry.ecrPublic(), prefix: 'ecr-public' },
    ],
  });
}

/** A ROOT rule of another account's registry, besides a prefixed one ECR applies first. */
function rootCache(): IPullThroughCache {
  const stack = new Stack(new App(), 'Root', { env: { account: '111122223333', region: 'us-east-1' } });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
  return new PullThroughCache(stack, 'Cache', {
    upstreams: [
      { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
      { registry: UpstreamRegistry.ecr({ role, account: '444455556666' }), prefix: 'ROOT' },
    ],
  });
}

// ---- the pods ----
interface PodCase {
  readonly name: string;
  readonly namespace: string;
  readonly labels?: Record<string, string>;
  readonly containers: string[];
  readonly initContainers?: string[];
  readonly ephemeralContainers?: string[];
}

const ECR_IMAGES = [
  `${CENTRAL}/team/app:1`, `${CENTRAL}/quaycache/x:1`, `${PROD}/prod/app:2`, `${PROD}/dev/app:2`,
  '444455556666.dkr.ecr.us-east-1.amazonaws.com/app@' + SHA, '444455556666.dkr.ecr.eu-west-1.amazonaws.com/app:1',
];

function podCases(): PodCase[] {
  const pods: PodCase[] = [];
  const slug = (i: number, prefix: string) => `${prefix}-${String(i).padStart(3, '0')}`;
  [...CHART_IMAGES, ...FORM_IMAGES, ...ECR_IMAGES].forEach((image, i) => {
    pods.push({ name: slug(i, 'image'), namespace: 'apps', containers: [image] });
  });
  // The "Done when" pod.
  pods.push({
    name: 'done-when',
    namespace: 'default',
    containers: ['nginx', 'ghcr.io/org/app:1', 'registry.k8s.io/pause:3.9', 'quay.io/prometheus/node-exporter:v1', 'localhost:5000/x:1', 'public.example.com/y'],
  });
  // Deployments' pod templates, as their ReplicaSets create the pods.
  pods.push({
    name: 'deploy-kube-prometheus-stack-operator-7d9f',
    namespace: 'monitoring',
    containers: ['quay.io/prometheus-operator/prometheus-operator:v0.83.0', 'quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0'],
    initContainers: ['registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.5.4'],
  });
  pods.push({
    name: 'deploy-argocd-redis-5c6b',
    namespace: 'argocd',
    containers: ['ecr-public.aws.com/docker/library/redis:7.2.8-alpine'],
    initContainers: ['quay.io/argoproj/argocd:v3.0.11'],
  });
  pods.push({
    name: 'deploy-cert-manager-6f8c',
    namespace: 'cert-manager',
    containers: ['quay.io/jetstack/cert-manager-controller:v1.18.2'],
  });
  // Ephemeral containers (kubectl debug), rewritten as they are added.
  pods.push({ name: 'debug', namespace: 'apps', containers: ['nginx:1.27'], ephemeralContainers: ['busybox:1.37', 'localhost:5000/debug:1'] });
  // Left alone: excluded namespaces, the opt-out label.
  pods.push({ name: 'in-kube-system', namespace: 'kube-system', containers: ['registry.k8s.io/pause:3.9', 'nginx'] });
  pods.push({ name: 'in-kyverno', namespace: 'kyverno', containers: ['ghcr.io/kyverno/kyverno:v1.15.0', 'nginx'] });
  pods.push({ name: 'opted-out', namespace: 'apps', labels: { 'cdk-pull-through-cache/skip-rewrite': 'true' }, containers: ['nginx', 'quay.io/x/y:1'] });
  pods.push({ name: 'not-opted-out', namespace: 'apps', labels: { 'cdk-pull-through-cache/skip-rewrite': 'false' }, containers: ['nginx'] });
  return pods;
}

function podManifest(pod: PodCase, images?: Map<string, string>): object {
  const c = (prefix: string) => (image: string, i: number) => ({ name: `${prefix}${i}`, image: images?.get(`${prefix}${i}`) ?? image });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, ...(pod.labels ? { labels: pod.labels } : {}) },
    spec: {
      containers: pod.containers.map(c('c')),
      ...(pod.initContainers ? { initContainers: pod.initContainers.map(c('i')) } : {}),
      ...(pod.ephemeralContainers ? { ephemeralContainers: pod.ephemeralContainers.map(c('e')) } : {}),
    },
  };
}

// ---- expectations, from imageUri() ----
interface Setup {
  readonly name: string;
  readonly cache: IPullThroughCache;
  readonly options: KubernetesImageRewriteOptions;
}

function expectedImage(setup: Setup, pod: PodCase, image: string): string {
  const excluded = [...(setup.options.excludedNamespaces ?? ['kube-system']),
    ...(setup.options.engine === KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY ? [] : [setup.options.kyvernoNamespace ?? 'kyverno'])];
  if (excluded.includes(pod.namespace) || pod.labels?.['cdk-pull-through-cache/skip-rewrite'] === 'true') {
    return image;
  }
  const decision = decideImage(setup.cache as any, image);
  if (decision.kind !== 'cached') {
    return image;
  }
  if (decision.image.reference.digest !== undefined && !setup.options.rewriteDigests) {
    return image;
  }
  const selected = setup.options.upstreams;
  if (selected !== undefined && !selected.some(p => p.replace(/\/$/, '') === decision.image.upstream.prefix.replace(/\/$/, ''))) {
    return image;
  }
  return setup.cache.imageUri(image);
}

// ---- running the CLI ----
function run(args: string[], program = kyverno): Promise<{ code: number; stdout: string }> {
  return new Promise(resolve => {
    execFile(program, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as any).code ?? 1) : 0, stdout: `${stdout}\n${stderr}` });
    });
  });
}

const NAMESPACES = ['default', 'apps', 'monitoring', 'argocd', 'cert-manager', 'kube-system', 'kyverno'];
const valuesFile = path.join(work, 'values.yaml');
fs.writeFileSync(valuesFile, YAML.stringify({
  apiVersion: 'cli.kyverno.io/v1alpha1',
  kind: 'Value',
  metadata: { name: 'values' },
  namespaceSelector: NAMESPACES.map(n => ({ name: n, labels: { 'kubernetes.io/metadata.name': n } })),
}));

/** The manifests as the CLI applies them: a MutatingAdmissionPolicy under v1alpha1 (see above). */
function forCli(manifests: Record<string, any>[]): string {
  return manifests.map(m => YAML.stringify(m.apiVersion === 'admissionregistration.k8s.io/v1'
    ? { ...m, apiVersion: 'admissionregistration.k8s.io/v1alpha1' } : m)).join('---\n');
}

interface Applied {
  readonly rules: number;
  readonly resources: number;
  readonly errors: number;
  readonly out: Map<string, any>;
  readonly log: string;
}

/** `kyverno apply` of a policy file to a pods file; the pods it outputs, by name. */
async function apply(policyFile: string, podsFile: string, outFile: string): Promise<Applied> {
  fs.rmSync(outFile, { force: true });
  const { stdout } = await run(['apply', policyFile, '--resource', podsFile, '--values-file', valuesFile, '-o', outFile]);
  const loaded = /Applying (\d+) policy rule\(s\) to (\d+) resource\(s\)/.exec(stdout);
  const out = new Map<string, any>();
  if (fs.existsSync(outFile)) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(outFile, 'utf8'))) {
      const pod = doc.toJS();
      if (pod?.kind === 'Pod') {
        out.set(pod.metadata.name, pod);
      }
    }
  }
  const counts = /pass: \d+, fail: \d+, warn: \d+, error: (\d+), skip: \d+/.exec(stdout);
  return {
    rules: loaded ? Number(loaded[1]) : 0,
    resources: loaded ? Number(loaded[2]) : 0,
    errors: counts ? Number(counts[1]) : -1,
    out,
    log: stdout,
  };
}

function imagesOf(pod: any): Map<string, string> {
  const images = new Map<string, string>();
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of pod?.spec?.[field] ?? []) {
      images.set(c.name, c.image);
    }
  }
  return images;
}

async function checkSetup(setup: Setup, pods: PodCase[]): Promise<void> {
  const dir = path.join(work, setup.name);
  fs.mkdirSync(dir, { recursive: true });
  const policyFile = path.join(dir, 'policy.yaml');
  const manifests = setup.cache.kubernetesImageRewrite(setup.options);
  fs.writeFileSync(policyFile, forCli(manifests));
  const schemaFile = path.join(dir, 'manifests.json');
  fs.writeFileSync(schemaFile, JSON.stringify(manifests));
  const schema = await run([schemaFile], schemaChecker);
  const expressions = setup.options.engine === KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY ? 3 : 0;
  check(schema.code === 0 && schema.stdout.includes(`checked ${schemaFile}: ${manifests.length} manifests, ${expressions} CEL expressions compiled`),
    `${setup.name}: the schema check failed\n${schema.stdout.slice(0, 2000)}`);
  const podsFile = path.join(dir, 'pods.yaml');
  fs.writeFileSync(podsFile, pods.map(p => YAML.stringify(podManifest(p))).join('---\n'));

  const first = await apply(policyFile, podsFile, path.join(dir, 'out.yaml'));
  check(first.rules === 1 && first.resources === pods.length && first.errors === 0,
    `${setup.name}: the CLI loaded ${first.rules} rule(s) for ${first.resources} pod(s) with ${first.errors} error(s), expected 1 for ${pods.length} without error\n${first.log.slice(0, 2000)}`);
  // Every pod of the output is the pod as the engine admits it; a pod it did not change is not in it.
  const admitted = new Map<string, Map<string, string>>();
  let changed = 0;
  for (const pod of pods) {
    const original = imagesOf(podManifest(pod));
    const got = first.out.has(pod.name) ? imagesOf(first.out.get(pod.name)) : original;
    admitted.set(pod.name, got);
    const names = [...original.keys()];
    names.forEach((name, i) => {
      const image = original.get(name)!;
      const expected = expectedImage(setup, pod, image);
      if (expected !== image) changed++;
      check(got.get(name) === expected, `${setup.name}: pod ${pod.name} container ${name} '${image}' became '${got.get(name)}', imageUri() gives '${expected}' (${i})`);
    });
  }
  check(changed > 0, `${setup.name}: no image was expected to change; the table proves nothing`);

  // Second pass: the admitted pods, through the policy again, change no more.
  const secondPods = path.join(dir, 'pods-2.yaml');
  fs.writeFileSync(secondPods, pods.map(p => YAML.stringify(podManifest(p, admitted.get(p.name)))).join('---\n'));
  const second = await apply(policyFile, secondPods, path.join(dir, 'out-2.yaml'));
  check(second.rules === 1 && second.resources === pods.length && second.errors === 0,
    `${setup.name}: second pass loaded ${second.rules} rule(s), ${second.errors} error(s)\n${second.log.slice(0, 2000)}`);
  for (const pod of pods) {
    const before = admitted.get(pod.name)!;
    const after = second.out.has(pod.name) ? imagesOf(second.out.get(pod.name)) : before;
    check([...before.entries()].every(([n, image]) => after.get(n) === image),
      `${setup.name}: second pass changed pod ${pod.name}: ${JSON.stringify([...after.entries()])}`);
  }
  console.log(`${setup.name}: ${pods.length} pods, ${changed} images rewritten, second pass unchanged`);
}

/** A policy the CLI loads as 0 rules or cannot compile must be detected, never pass silently. */
async function checkBrokenPolicies(setup: Setup, pods: PodCase[]): Promise<void> {
  const dir = path.join(work, 'broken');
  fs.mkdirSync(dir, { recursive: true });
  const podsFile = path.join(dir, 'pods.yaml');
  fs.writeFileSync(podsFile, pods.map(p => YAML.stringify(podManifest(p))).join('---\n'));
  const manifests = setup.cache.kubernetesImageRewrite({ engine: KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY });
  // Under v1 (not v1alpha1), the CLI loads no rule.
  const v1File = path.join(dir, 'v1.yaml');
  fs.writeFileSync(v1File, manifests.map(m => YAML.stringify(m)).join('---\n'));
  const v1 = await apply(v1File, podsFile, path.join(dir, 'out-v1.yaml'));
  check(v1.rules === 0, `broken: a v1 MutatingAdmissionPolicy should load 0 rules in the CLI, loaded ${v1.rules}`);
  // The schema checker refuses an unknown field and a CEL program the API server would not compile.
  const badSchema = setup.cache.kubernetesImageRewrite({ engine: KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY });
  badSchema[0].spec.mutations[0].jsonPatch.expression = badSchema[0].spec.mutations[0].jsonPatch.expression.replace('string(c.image)', 'c.image');
  badSchema[1].spec.policyname = badSchema[1].spec.policyName; // field names are case-sensitive
  const badKyverno = setup.cache.kubernetesImageRewrite();
  badKyverno[0].spec.failurepolicy = 'Ignore';
  const badFile = path.join(dir, 'bad-schema.json');
  fs.writeFileSync(badFile, JSON.stringify([...badSchema, ...badKyverno]));
  const bad = await run([badFile], schemaChecker);
  check(bad.code !== 0 && /mutation 0: compilation failed/.test(bad.stdout) && /unknown field "spec\.policyname"/.test(bad.stdout)
    && /unknown field "spec\.failurepolicy"/.test(bad.stdout), `broken: the schema checker missed a problem\n${bad.stdout.slice(0, 2000)}`);
  // A CEL program that does not compile: the CLI reports it and rewrites nothing.
  for (const engine of [KubernetesPolicyEngine.KYVERNO, KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY]) {
    const broken = setup.cache.kubernetesImageRewrite({ engine });
    const mutation = broken[0].spec.mutations[0];
    mutation.jsonPatch.expression = mutation.jsonPatch.expression.replace("'docker.io'", "'docker.io");
    const file = path.join(dir, `${engine}.yaml`);
    fs.writeFileSync(file, forCli(broken));
    const result = await apply(file, podsFile, path.join(dir, `out-${engine}.yaml`));
    const rewritten = pods.filter(p => result.out.has(p.name)
      && [...imagesOf(result.out.get(p.name)).entries()].some(([n, image]) => imagesOf(podManifest(p)).get(n) !== image));
    // The CLI admits every pod unchanged (MutatingAdmissionPolicy: silently, error count 0), so the
    // per-image comparison of checkSetup fails on every image imageUri() rewrites.
    check(rewritten.length === 0, `broken: a ${engine} policy whose CEL does not compile rewrote ${rewritten.length} pods`);
    if (engine === KubernetesPolicyEngine.KYVERNO) {
      check(/failed to compile policy/.test(result.log), 'broken: the Kyverno CLI did not report the CEL that does not compile');
    }
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const pods = podCases();
  const owned = ownedCache();
  const caches: Array<[string, IPullThroughCache]> = [['owned', owned], ['imported', importedCache()], ['ecr-root', rootCache()]];
  const setups: Setup[] = [];
  for (const engine of [KubernetesPolicyEngine.KYVERNO, KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY]) {
    const short = engine === KubernetesPolicyEngine.KYVERNO ? 'kyverno' : 'map';
    for (const [name, cache] of caches) {
      setups.push({ name: `${short}-${name}`, cache, options: { engine } });
    }
    setups.push({
      name: `${short}-owned-selected-digests`,
      cache: owned,
      options: { engine, upstreams: ['ghcrcache', 'k8scache', 'ecrpubliccache', 'prodmirror'], rewriteDigests: true, excludedNamespaces: ['monitoring'] },
    });
  }
  await Promise.all([
    ...setups.map(s => checkSetup(s, pods)),
    checkBrokenPolicies({ name: 'broken', cache: owned, options: {} }, pods),
  ]);
  console.log(`${pods.length} pods, ${setups.length} setups (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main().catch(e => {
  console.log(`FAIL ${e.stack ?? e}`);
  failed++;
}).finally(() => {
  console.log(`kubernetes checks passed=${passed} failed=${failed}`);
  process.exitCode = failed > 0 ? 1 : 0;
});
