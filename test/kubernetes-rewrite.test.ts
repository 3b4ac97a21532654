import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KubernetesImageRewriteOptions, KubernetesPolicyEngine, PullThroughCache, UpstreamRegistry } from '../src';
import { DOMAIN, fullCache, newEnvStack, publicCache } from './support/cache-fixtures';

// What the policies do to pods is proven by Kyverno's own engine (`npx projen test:kubernetes`,
// scripts/kubernetes/rewrite-check.ts); these tests pin the options, validation and manifest shape.

const MAP = KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY;

function rewrite(options?: KubernetesImageRewriteOptions): Record<string, any>[] {
  return publicCache(newEnvStack()).kubernetesImageRewrite(options);
}

describe('manifest shape', () => {
  test('Kyverno by default: one policies.kyverno.io/v1 MutatingPolicy on pods and ephemeral containers', () => {
    const [policy, ...rest] = rewrite();
    expect(rest).toEqual([]);
    expect(policy.apiVersion).toBe('policies.kyverno.io/v1');
    expect(policy.kind).toBe('MutatingPolicy');
    expect(policy.metadata.name).toBe('pull-through-cache-image-rewrite');
    expect(policy.spec.matchConstraints.resourceRules).toEqual([
      { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
      { apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'] },
    ]);
    expect(policy.spec.failurePolicy).toBe('Ignore');
    expect(policy.spec.reinvocationPolicy).toBe('IfNeeded');
    // Pods only: Deployments' templates are left as their owner wrote them.
    expect(policy.spec.autogen).toEqual({ podControllers: { controllers: [] } });
    expect(policy.spec.mutations).toHaveLength(1);
    expect(policy.spec.mutations[0].patchType).toBe('JSONPatch');
    expect(typeof policy.spec.mutations[0].jsonPatch.expression).toBe('string');
  });

  test('MUTATING_ADMISSION_POLICY: an admissionregistration.k8s.io/v1 policy and its binding, no Kyverno fields', () => {
    const [policy, binding, ...rest] = rewrite({ engine: MAP, name: 'images' });
    expect(rest).toEqual([]);
    expect(policy).toMatchObject({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'images' } });
    expect(binding).toEqual({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: { name: 'images', labels: { 'app.kubernetes.io/managed-by': 'cdk-pull-through-cache' } },
      spec: { policyName: 'images' },
    });
    expect(policy.spec.autogen).toBeUndefined();
    expect(policy.spec.evaluation).toBeUndefined();
  });

  test('both engines share one CEL program', () => {
    const kyverno = rewrite()[0].spec.mutations[0].jsonPatch.expression;
    const map = rewrite({ engine: MAP })[0].spec.mutations[0].jsonPatch.expression;
    expect(map).toBe(kyverno);
  });

  test('the program names the cache and each upstream host it rewrites', () => {
    const expression: string = rewrite()[0].spec.mutations[0].jsonPatch.expression;
    expect(expression).toContain(`'${DOMAIN}'`);
    for (const host of ['registry.k8s.io', 'quay.io', 'public.ecr.aws', 'ecr-public.aws.com']) {
      expect(expression).toContain(`'${host}'`);
    }
  });
});

describe('options', () => {
  test('Kyverno\'s namespace and kube-system are excluded by default, by selector and by match condition', () => {
    const spec = rewrite()[0].spec;
    expect(spec.matchConstraints.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kyverno', 'kube-system'] }],
    });
    expect(spec.matchConditions[0].expression).toBe("!(request.namespace in ['kyverno', 'kube-system'])");
  });

  test('excludedNamespaces replaces kube-system; the Kyverno namespace stays', () => {
    const spec = rewrite({ excludedNamespaces: ['monitoring'], kyvernoNamespace: 'policy-engine' })[0].spec;
    expect(spec.matchConstraints.namespaceSelector.matchExpressions[0].values).toEqual(['policy-engine', 'monitoring']);
  });

  test('a MutatingAdmissionPolicy excludes only the namespaces given', () => {
    const spec = rewrite({ engine: MAP, excludedNamespaces: [] })[0].spec;
    expect(spec.matchConstraints.namespaceSelector.matchExpressions[0].values).toEqual([]);
  });

  test('the opt-out label is an object selector and a match condition', () => {
    const spec = rewrite({ optOutLabel: 'example.com/no-cache' })[0].spec;
    expect(spec.matchConstraints.objectSelector).toEqual({
      matchExpressions: [{ key: 'example.com/no-cache', operator: 'NotIn', values: ['true'] }],
    });
    expect(spec.matchConditions[1].expression).toContain("object.metadata.labels['example.com/no-cache'] != 'true'");
  });

  test('digests are left alone unless rewriteDigests', () => {
    const off: string = rewrite()[0].spec.mutations[0].jsonPatch.expression;
    const on: string = rewrite({ rewriteDigests: true })[0].spec.mutations[0].jsonPatch.expression;
    expect(off).toContain("g == ''");
    expect(off).not.toContain('sha256:[a-f0-9]{64}');
    expect(on).toContain('sha256:[a-f0-9]{64}');
  });

  test('upstreams limits the program to the prefixes named (a trailing slash is the same prefix)', () => {
    const all: string = rewrite()[0].spec.mutations[0].jsonPatch.expression;
    const some: string = rewrite({ upstreams: ['quaycache/'] })[0].spec.mutations[0].jsonPatch.expression;
    expect(all).toContain("'k8scache/'");
    expect(some).toContain("'quaycache/'");
    expect(some).not.toContain("'k8scache/'");
  });

  test('an imported cache of another account rewrites to that account\'s registry', () => {
    const stack = newEnvStack();
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Central', {
      account: '444455556666', region: 'us-east-1', upstreams: [{ registry: UpstreamRegistry.quay(), prefix: 'quay' }],
    });
    const expression: string = cache.kubernetesImageRewrite()[0].spec.mutations[0].jsonPatch.expression;
    expect(expression).toContain("'444455556666.dkr.ecr.us-east-1.amazonaws.com'");
    expect(expression).toContain("'quay/'");
  });

  test('an environment-agnostic stack: the registry domain stays a token, resolved at deploy', () => {
    const stack = new Stack();
    const manifests = publicCache(stack).kubernetesImageRewrite();
    const resolved = JSON.stringify(stack.resolve(manifests));
    expect(resolved).toContain('AWS::AccountId');
    expect(resolved).toContain('.dkr.ecr.');
  });
});

describe('validation, before anything is created', () => {
  test.each<[string, KubernetesImageRewriteOptions, RegExp]>([
    ['an unknown upstream', { upstreams: ['dockercache'] }, /upstreams\[0\] 'dockercache' is not a prefix of the cache; the prefixes are 'k8scache', 'quaycache', 'ecrpubliccache'/],
    ['no upstream', { upstreams: [] }, /upstreams is empty/],
    ['a namespace Kubernetes refuses', { excludedNamespaces: ['kube-system', 'Team_A'] }, /excludedNamespaces\[1\] \(Python: excluded_namespaces\[1\]\) 'Team_A' is not a namespace name/],
    ['a long namespace', { excludedNamespaces: ['a'.repeat(64)] }, /excludedNamespaces\[0\] \(Python: excluded_namespaces\[0\]\) 'a{64}' is not a namespace name/],
    ['a bad Kyverno namespace', { kyvernoNamespace: 'kyverno.' }, /kyvernoNamespace \(Python: kyverno_namespace\) 'kyverno\.' is not a namespace name/],
    ['kyvernoNamespace for the other engine', { engine: MAP, kyvernoNamespace: 'kyverno' }, /kyvernoNamespace \(Python: kyverno_namespace\) is for engine KubernetesPolicyEngine.KYVERNO only/],
    ['a bad label key', { optOutLabel: 'skip me' }, /optOutLabel \(Python: opt_out_label\) 'skip me' is not a label key/],
    ['a bad label prefix', { optOutLabel: 'Example.com/skip' }, /optOutLabel \(Python: opt_out_label\) 'Example.com\/skip' is not a label key/],
    ['a bad name', { name: 'Images' }, /name 'Images' is not a Kubernetes object name/],
  ])('%s', (_, options, message) => {
    expect(() => rewrite(options)).toThrow(message);
  });

  test('every problem at once, after the construct path', () => {
    expect(() => rewrite({ upstreams: ['nope'], excludedNamespaces: ['A'], optOutLabel: '-x' })).toThrow(
      /^PullThroughCache at 'Stack\/Cache': kubernetesImageRewrite \(Python: kubernetes_image_rewrite\) options is invalid:\n {2}- upstreams\[0\].*\n {2}- excludedNamespaces\[0\].*\n {2}- optOutLabel/,
    );
  });

  test('a cache whose only upstream is an ECR registry known at deploy time has nothing to rewrite', () => {
    const stack = newEnvStack();
    const account = new CfnParameter(stack, 'Account').valueAsString;
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
    const cache = new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.ecr({ role, account }), prefix: 'central' }] });
    expect(() => cache.kubernetesImageRewrite()).toThrow(/the cache has no upstream whose images can be rewritten/);
    expect(() => cache.kubernetesImageRewrite({ upstreams: ['central'] })).toThrow(/upstreams\[0\] 'central' cannot be rewritten/);
  });

  test('an imported cache whose account is a parameter is refused: the value could end the CEL string and inject code', () => {
    const stack = newEnvStack();
    const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Imported', {
      account: new CfnParameter(stack, 'CacheAccount').valueAsString,
      region: 'us-east-1',
      upstreams: [{ registry: UpstreamRegistry.quay(), prefix: 'quay' }],
    });
    expect(() => cache.kubernetesImageRewrite()).toThrow(
      /the cache's account or region is a deploy-time value .* give the cache's account and region as literals \(PullThroughCache\.fromPullThroughCacheAttributes/);
  });

  test('tokens that would reach the CEL program are refused; a literal name of the full cache passes', () => {
    const stack = newEnvStack();
    const param = new CfnParameter(stack, 'Namespace').valueAsString;
    const cache = fullCache(stack);
    expect(() => cache.kubernetesImageRewrite({ excludedNamespaces: [param] })).toThrow(/excludedNamespaces\[0\] \(Python: excluded_namespaces\[0\]\) is a token/);
    expect(() => cache.kubernetesImageRewrite({ optOutLabel: param })).toThrow(/optOutLabel \(Python: opt_out_label\) is a token/);
    expect(cache.kubernetesImageRewrite({ name: new CfnParameter(stack, 'Name').valueAsString })).toHaveLength(1);
  });
});
