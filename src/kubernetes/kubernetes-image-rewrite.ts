/**
 * The admission engine that applies `kubernetesImageRewrite()`'s policy.
 */
export enum KubernetesPolicyEngine {
  /**
   * A Kyverno `MutatingPolicy` (`policies.kyverno.io/v1`): Kyverno 1.18 or later in the cluster.
   *
   * @see https://kyverno.io/docs/policy-types/mutating-policy/
   */
  KYVERNO = 'KYVERNO',

  /**
   * Kubernetes' own `MutatingAdmissionPolicy` and its binding (`admissionregistration.k8s.io/v1`):
   * Kubernetes 1.36 or later (on EKS, which enables no beta API, 1.36 or later), no extra software.
   *
   * @see https://kubernetes.io/docs/reference/access-authn-authz/mutating-admission-policy/
   */
  MUTATING_ADMISSION_POLICY = 'MUTATING_ADMISSION_POLICY',
}

/**
 * How `kubernetesImageRewrite()` rewrites the images of pods at admission.
 *
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/kubernetes.md
 */
export interface KubernetesImageRewriteOptions {
  /**
   * The admission engine the manifests are for.
   *
   * @default KubernetesPolicyEngine.KYVERNO
   */
  readonly engine?: KubernetesPolicyEngine;

  /**
   * The upstreams whose images are rewritten, by prefix.
   *
   * @default - every upstream of the cache whose registry host is known at synth time
   */
  readonly upstreams?: string[];

  /**
   * Namespaces whose pods are left alone, besides `kyvernoNamespace` (Kyverno only).
   *
   * @default ['kube-system']
   */
  readonly excludedNamespaces?: string[];

  /**
   * The namespace Kyverno runs in: its pods are never rewritten, so a broken rule cannot block them.
   *
   * @default 'kyverno'
   */
  readonly kyvernoNamespace?: string;

  /**
   * A pod with this label set to `true` is left alone.
   *
   * @default 'cdk-pull-through-cache/skip-rewrite'
   */
  readonly optOutLabel?: string;

  /**
   * Rewrite references pinned by digest (`@sha256:...`) too. ECR does not fill the cache on a
   * first pull by digest, so such a pod fails to pull until the image was pulled by tag once.
   *
   * @default false
   * @see https://github.com/aws/containers-roadmap/issues/2837
   */
  readonly rewriteDigests?: boolean;

  /**
   * The name of the policy (and of its binding).
   *
   * @default 'pull-through-cache-image-rewrite'
   */
  readonly name?: string;
}
