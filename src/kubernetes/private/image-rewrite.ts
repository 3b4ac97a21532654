import { Stack, Token } from 'aws-cdk-lib';
import { api, throwIfInvalid } from '../../core/private/diagnostics';
import { prefixPath, ROOT_PREFIX } from '../../core/private/rules';
import { HOST_ALIASES, ImageCache } from '../../images/private/image-uri';
import type { CacheUpstream } from '../../registry/upstream';
import { KubernetesImageRewriteOptions, KubernetesPolicyEngine } from '../kubernetes-image-rewrite';

/** A Kubernetes manifest: a plain object, as `cluster.addManifest` and `kubectl apply` take it. */
export type Manifest = { [key: string]: any };

/** The label Kubernetes sets on every namespace to its name (since 1.21). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const DEFAULT_NAME = 'pull-through-cache-image-rewrite';
const DEFAULT_OPT_OUT_LABEL = 'cdk-pull-through-cache/skip-rewrite';
const DEFAULT_EXCLUDED_NAMESPACES = ['kube-system'];
const DEFAULT_KYVERNO_NAMESPACE = 'kyverno';

/** RFC 1123 label (a namespace name), RFC 1123 subdomain (an object name), a label key's name part. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** ECR's limits: a repository name, and a normalized image name (`domain/path`). */
const REPOSITORY_NAME_MAX_LENGTH = 256;
const IMAGE_NAME_MAX_LENGTH = 255;

// The grammar of github.com/distribution/reference, as `ImageReference.parse` checks it (RE2 syntax).
const PATH_RE = '^[a-z0-9]+(?:(?:[_.]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[_.]|__|[-]+)[a-z0-9]+)*)*$';
const DOMAIN_RE = '^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$';
const TAG_RE = '^:[\\w][\\w.-]{0,127}$';
const DIGEST_RE = '^@(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$';
const IMAGE_ID_RE = '^[a-f0-9]{64}$';
const PRIVATE_ECR_DOMAIN_RE = '^[0-9]{12}\\.dkr\\.ecr(-fips)?\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$';
const DOCKER_HUB_ALIASES = ['index.docker.io', 'registry-1.docker.io'];

/** A CEL string literal. A token stays as it is: it resolves to an AWS account, region or URL suffix. */
function str(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * `body` with `name` bound to `value`: a one-element list mapped. Neither `variables` nor
 * `cel.bind`: the Kyverno CLI v1.19 evaluates a MutatingAdmissionPolicy's mutations without its
 * variables ("no such key") and without the bindings library, so the program is one expression.
 */
function bind(value: string, name: string, body: string): string {
  return `[${value}].map(${name}, ${body})[0]`;
}

/** Whether the CEL program can rewrite an upstream's images: its host and prefixes are literals. */
function rewritable(upstream: CacheUpstream): boolean {
  const upstreamPrefix = upstream.registry.upstreamRepositoryPrefix;
  return upstream.registry._hosts.length > 0 && !Token.isUnresolved(upstream.prefix)
    && (upstreamPrefix === undefined || !Token.isUnresolved(upstreamPrefix));
}

/**
 * The CEL expression of the image a reference `r` is pulled as: the cache's URI, exactly as
 * `imageUri()` gives it, or `r` itself.
 */
export function rewriteExpression(cache: ImageCache, selected: ReadonlySet<CacheUpstream>, rewriteDigests: boolean, r: string): string {
  const domain = str(cache.registryDomain);
  const claimed = cache.upstreams
    .filter(u => u.prefix !== ROOT_PREFIX && !Token.isUnresolved(u.prefix))
    .map(u => str(`${prefixPath(u.prefix)}/`));
  // The first upstream (in order) that serves the registry and path decides, as in decideImage.
  let chain = r;
  for (const upstream of [...cache.upstreams].reverse()) {
    const upstreamPrefix = upstream.registry.upstreamRepositoryPrefix;
    if (upstream.registry._hosts.length === 0 || (upstreamPrefix !== undefined && Token.isUnresolved(upstreamPrefix))) {
      continue; // never matched, as in decideImage
    }
    const limited = upstreamPrefix !== undefined && upstreamPrefix !== ROOT_PREFIX;
    const hosts = `[${upstream.registry._hosts.map(str).join(', ')}]`;
    const serves = limited
      ? `d in ${hosts} && p.startsWith(${str(`${prefixPath(upstreamPrefix)}/`)})`
      : `d in ${hosts}`;
    let target: string;
    if (!selected.has(upstream) || !rewritable(upstream)) {
      target = r;
    } else {
      const path = limited ? `p.substring(${prefixPath(upstreamPrefix!).length + 1})` : 'p';
      const name = upstream.prefix === ROOT_PREFIX ? path : `${str(`${prefixPath(upstream.prefix)}/`)} + ${path}`;
      const ok = [`n.size() <= ${REPOSITORY_NAME_MAX_LENGTH}`];
      if (upstream.prefix === ROOT_PREFIX && claimed.length > 0) {
        ok.push(`![${claimed.join(', ')}].exists(c, n.startsWith(c))`);
      }
      target = bind(name, 'n', `${ok.join(' && ')} ? ${domain} + '/' + n + s : ${r}`);
    }
    chain = `(${serves}) ? ${target} : ${chain}`;
  }
  const digestRule = rewriteDigests ? `(g == '' || g.matches(${str(DIGEST_RE)}))` : "g == ''";
  const valid = [
    `!${r}.matches('\\\\s')`,
    `!${r}.matches(${str(IMAGE_ID_RE)})`,
    `q.matches(${str(PATH_RE)})`,
    `(t == '' || t.matches(${str(TAG_RE)}))`,
    digestRule,
    `(h == '' || h.matches(${str(DOMAIN_RE)}))`,
    `(d + '/' + p).size() <= ${IMAGE_NAME_MAX_LENGTH}`,
    `${domain}.matches(${str(PRIVATE_ECR_DOMAIN_RE)})`,
  ].join(' && ');
  const aliases = [...HOST_ALIASES.entries()]
    .reduce((e, [alias, host]) => `x == ${str(alias)} ? ${str(host)} : ${e}`, 'x');
  // r = [h '/'] q [t] [g]: h the domain as written (or ''), q the path, t ':tag', g '@digest';
  // d the normalized domain, p the normalized path, s the suffix the cache URI ends with.
  return bind(`${r}.contains('@') ? ${r}.substring(0, ${r}.indexOf('@')) : ${r}`, 'a',
    bind(`${r}.contains('@') ? ${r}.substring(${r}.indexOf('@')) : ''`, 'g',
      bind("a.lastIndexOf(':') > a.lastIndexOf('/') ? a.substring(a.lastIndexOf(':')) : ''", 't',
        bind('a.substring(0, a.size() - t.size())', 'm',
          bind("m.contains('/') ? m.substring(0, m.indexOf('/')) : ''", 'f',
            bind("f.contains('.') || f.contains(':') || f == 'localhost' || f.lowerAscii() != f ? f : ''", 'h',
              bind("h == '' ? m : m.substring(h.size() + 1)", 'q',
                bind(`h == '' || h.lowerAscii() in ${`[${DOCKER_HUB_ALIASES.map(str).join(', ')}]`} ? 'docker.io' : ${bind('h.lowerAscii()', 'x', aliases)}`, 'd',
                  bind("d == 'docker.io' && !q.contains('/') ? 'library/' + q : q", 'p',
                    bind("t == '' && g == '' ? ':latest' : t + g", 's',
                      `${valid} ? (${chain}) : ${r}`))))))))));
}

/** `[field, index, image]` of each container of a list of the pod (of the new ones only, for ephemeral containers). */
function containersOf(field: string, onlyNew: boolean): string {
  const list = `object.spec.${field}`;
  const fresh = onlyNew
    ? `.filter(c, oldObject == null || !has(oldObject.spec) || !has(oldObject.spec.${field}) || !oldObject.spec.${field}.exists(o, o.name == c.name))`
    : '';
  return `(has(${list}) ? ${list}${fresh}.map(c, [${str(field)}, string(${list}.map(x, x.name).indexOf(c.name)), has(c.image) ? string(c.image) : '']) : [])`;
}

/**
 * The CEL program of the mutation: JSON patches for the images of containers and init containers
 * at pod CREATE, and of ephemeral containers as they are added (the pods/ephemeralcontainers
 * subresource; existing ones cannot change). The rewrite is written once, over all of them.
 */
export function patchExpression(cache: ImageCache, selected: ReadonlySet<CacheUpstream>, rewriteDigests: boolean): string {
  const containers = `(request.operation == 'CREATE' ? ${containersOf('containers', false)} + ${containersOf('initContainers', false)} : [])`
    + ` + ${containersOf('ephemeralContainers', true)}`;
  return `(${containers})`
    + `.map(e, [e[0], e[1], e[2], ${rewriteExpression(cache, selected, rewriteDigests, 'e[2]')}])`
    + '.filter(e, e[2] != e[3])'
    + ".map(e, JSONPatch{op: 'replace', path: '/spec/' + e[0] + '/' + e[1] + '/image', value: e[3]})";
}

/** The upstreams to rewrite: the ones named in `options.upstreams`, or every rewritable one. */
function selectUpstreams(cache: ImageCache, options: KubernetesImageRewriteOptions, problems: string[]): Set<CacheUpstream> {
  if (options.upstreams === undefined) {
    const all = cache.upstreams.filter(rewritable);
    if (all.length === 0) {
      problems.push('the cache has no upstream whose images can be rewritten: each upstream\'s registry host and prefix must be known at synth time');
    }
    return new Set(all);
  }
  const selected = new Set<CacheUpstream>();
  if (options.upstreams.length === 0) {
    problems.push('upstreams is empty; name at least one prefix of the cache, or leave it out for all of them');
  }
  options.upstreams.forEach((prefix, i) => {
    if (Token.isUnresolved(prefix)) {
      problems.push(`upstreams[${i}] is a token; name a prefix of the cache as a literal`);
      return;
    }
    const upstream = cache.upstreams.find(u => !Token.isUnresolved(u.prefix) && prefixPath(u.prefix) === prefixPath(prefix));
    if (upstream === undefined) {
      problems.push(`upstreams[${i}] '${prefix}' is not a prefix of the cache; the prefixes are ${cache.upstreams.map(u => `'${u.prefix}'`).join(', ')}`);
    } else if (!rewritable(upstream)) {
      problems.push(`upstreams[${i}] '${prefix}' cannot be rewritten: its registry host or repository prefix is only known at deploy time`);
    } else {
      selected.add(upstream);
    }
  });
  return selected;
}

/** The pseudo parameters a registry domain may hold: AWS sets them, so they are never CEL. */
const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::Region', 'AWS::URLSuffix', 'AWS::Partition']);

/**
 * Whether a resolved value is text joined from literals and pseudo parameters only. The CEL
 * program embeds the registry domain as text: a parameter or import could end the string literal
 * and inject CEL, so any other deploy-time value is refused.
 */
function onlyPseudoParameters(value: unknown): boolean {
  if (typeof value === 'string') {
    return true;
  }
  if (Array.isArray(value)) {
    return value.every(onlyPseudoParameters);
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length !== 1) {
      return false;
    }
    const [fn, arg] = entries[0];
    if (fn === 'Ref') {
      return typeof arg === 'string' && PSEUDO_PARAMETERS.has(arg);
    }
    return fn === 'Fn::Join' && onlyPseudoParameters(arg);
  }
  return false;
}

function checkRegistryDomain(cache: ImageCache, problems: string[]): void {
  if (Token.isUnresolved(cache.registryDomain) && !onlyPseudoParameters(Stack.of(cache).resolve(cache.registryDomain))) {
    problems.push('the cache\'s account or region is a deploy-time value (a parameter, an import, an attribute); the policy\'s CEL program '
      + 'holds the registry host as text, so it takes literals or this stack\'s own AWS::AccountId and AWS::Region only: '
      + `give the cache's account and region as literals (${api('PullThroughCache.fromPullThroughCacheAttributes')})`);
  }
}

function checkNamespace(field: string, name: string, problems: string[]): void {
  if (Token.isUnresolved(name)) {
    problems.push(`${api(field)} is a token; the policy's CEL program needs the namespace name as a literal`);
  } else if (!(name.length <= 63 && DNS_LABEL.test(name))) {
    problems.push(`${api(field)} '${name}' is not a namespace name: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)`);
  }
}

function checkLabelKey(field: string, key: string, problems: string[]): void {
  if (Token.isUnresolved(key)) {
    problems.push(`${api(field)} is a token; the policy's CEL program needs the label key as a literal`);
    return;
  }
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if ((prefix !== undefined && !(prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix))) || !(name.length <= 63 && LABEL_NAME.test(name))) {
    problems.push(`${api(field)} '${key}' is not a label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
  }
}

/**
 * The manifests of `kubernetesImageRewrite()`: a Kyverno `MutatingPolicy`, or a
 * `MutatingAdmissionPolicy` and its binding.
 */
export function kubernetesImageRewrite(cache: ImageCache, options: KubernetesImageRewriteOptions): Manifest[] {
  const problems: string[] = [];
  checkRegistryDomain(cache, problems);
  const selected = selectUpstreams(cache, options, problems);
  const engine = options.engine ?? KubernetesPolicyEngine.KYVERNO;
  const name = options.name ?? DEFAULT_NAME;
  if (!Token.isUnresolved(name) && !(name.length <= 253 && DNS_SUBDOMAIN.test(name))) {
    problems.push(`name '${name}' is not a Kubernetes object name: lowercase letters, digits, '-' and '.', at most 253 (RFC 1123 subdomain)`);
  }
  const excluded = [...(options.excludedNamespaces ?? DEFAULT_EXCLUDED_NAMESPACES)];
  excluded.forEach((ns, i) => checkNamespace(`excludedNamespaces[${i}]`, ns, problems));
  if (engine === KubernetesPolicyEngine.KYVERNO) {
    const kyverno = options.kyvernoNamespace ?? DEFAULT_KYVERNO_NAMESPACE;
    checkNamespace('kyvernoNamespace', kyverno, problems);
    excluded.unshift(kyverno);
  } else if (options.kyvernoNamespace !== undefined) {
    problems.push(`${api('kyvernoNamespace')} is for engine KubernetesPolicyEngine.KYVERNO only; leave it out for KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY`);
  }
  const optOutLabel = options.optOutLabel ?? DEFAULT_OPT_OUT_LABEL;
  checkLabelKey('optOutLabel', optOutLabel, problems);
  throwIfInvalid(`PullThroughCache at '${cache.node.path}': ${api('kubernetesImageRewrite')} options`, problems);

  const spec = {
    matchConstraints: {
      resourceRules: [
        { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
        { apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'] },
      ],
      namespaceSelector: {
        matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: [...new Set(excluded)] }],
      },
      objectSelector: {
        matchExpressions: [{ key: optOutLabel, operator: 'NotIn', values: ['true'] }],
      },
    },
    // The same rules as CEL: the engine evaluates them even where a selector is not (the Kyverno CLI).
    matchConditions: [
      { name: 'namespace-not-excluded', expression: `!(request.namespace in [${[...new Set(excluded)].map(str).join(', ')}])` },
      { name: 'pod-not-opted-out', expression: `!has(object.metadata.labels) || !(${str(optOutLabel)} in object.metadata.labels) || object.metadata.labels[${str(optOutLabel)}] != 'true'` },
    ],
    // A pod the program cannot handle is admitted as it is, pulling from its registry.
    failurePolicy: 'Ignore',
    // Run again after later mutations (an injected sidecar); a second pass changes nothing.
    reinvocationPolicy: 'IfNeeded',
    mutations: [{
      patchType: 'JSONPatch',
      jsonPatch: { expression: patchExpression(cache, selected, options.rewriteDigests ?? false) },
    }],
  };
  const labels = { 'app.kubernetes.io/managed-by': 'cdk-pull-through-cache' };
  if (engine === KubernetesPolicyEngine.KYVERNO) {
    return [{
      apiVersion: 'policies.kyverno.io/v1',
      kind: 'MutatingPolicy',
      metadata: { name, labels },
      spec: {
        ...spec,
        // Pods only: a Deployment's template keeps the images its owner (Helm, Argo CD) wrote.
        autogen: { podControllers: { controllers: [] } },
        evaluation: { mutateExisting: { enabled: false } },
      },
    }];
  }
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name, labels },
      spec,
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: { name, labels },
      spec: { policyName: name },
    },
  ];
}
