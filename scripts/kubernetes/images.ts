/**
 * Image references of the rewrite check: the default images of popular EKS add-on charts as they
 * install (pinned as their charts pin them), and the forms a reference can take. Only references:
 * what each becomes is computed by `imageUri()`, never written here.
 */
const SHA = 'sha256:' + '6b3a0c5f9d2e4b1a'.repeat(4);

/** Chart defaults: kube-prometheus-stack, cert-manager, karpenter, ingress-nginx, cilium, argo-cd, ... */
export const CHART_IMAGES: string[] = [
  // kube-prometheus-stack
  'quay.io/prometheus/prometheus:v3.4.1',
  'quay.io/prometheus/alertmanager:v0.28.1',
  'quay.io/prometheus/node-exporter:v1.9.1',
  'quay.io/prometheus-operator/prometheus-operator:v0.83.0',
  `quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0@${SHA}`,
  'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0',
  'docker.io/grafana/grafana:12.0.2',
  'quay.io/kiwigrid/k8s-sidecar:1.30.3',
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.5.4',
  // cert-manager
  'quay.io/jetstack/cert-manager-controller:v1.18.2',
  'quay.io/jetstack/cert-manager-webhook:v1.18.2',
  'quay.io/jetstack/cert-manager-cainjector:v1.18.2',
  'quay.io/jetstack/cert-manager-startupapicheck:v1.18.2',
  // karpenter (public.ecr.aws, tag and digest)
  `public.ecr.aws/karpenter/controller:1.6.0@${SHA}`,
  // ingress-nginx
  `registry.k8s.io/ingress-nginx/controller:v1.13.0@${SHA}`,
  // cilium
  `quay.io/cilium/cilium:v1.17.6@${SHA}`,
  `quay.io/cilium/operator-generic:v1.17.6@${SHA}`,
  'quay.io/cilium/hubble-relay:v1.17.6',
  'quay.io/cilium/hubble-ui:v0.13.2',
  // argo-cd: redis on ECR Public's dual-stack host since 2025
  'quay.io/argoproj/argocd:v3.0.11',
  'ecr-public.aws.com/docker/library/redis:7.2.8-alpine',
  'ghcr.io/dexidp/dex:v2.43.1',
  // external-secrets, external-dns, metrics-server, cluster-autoscaler
  'ghcr.io/external-secrets/external-secrets:v0.18.2',
  'registry.k8s.io/external-dns/external-dns:v0.18.0',
  'registry.k8s.io/metrics-server/metrics-server:v0.8.0',
  'registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.0',
  // loki, promtail, tempo
  'grafana/loki:3.5.2',
  'docker.io/grafana/promtail:3.5.1',
  'grafana/tempo:2.8.1',
  'nginxinc/nginx-unprivileged:1.29-alpine',
  'docker.io/memcached:1.6.38-alpine',
  'prom/memcached-exporter:v0.15.3',
  // velero, keda, kyverno, istio, linkerd, falco, trivy
  'velero/velero:v1.16.1',
  'velero/velero-plugin-for-aws:v1.12.1',
  'ghcr.io/kedacore/keda:2.17.2',
  'ghcr.io/kedacore/keda-metrics-apiserver:2.17.2',
  'reg.kyverno.io/kyverno/kyverno:v1.15.0',
  'docker.io/istio/pilot:1.26.2',
  'docker.io/istio/proxyv2:1.26.2',
  'cr.l5d.io/linkerd/controller:edge-25.7.1',
  'docker.io/falcosecurity/falco:0.41.3',
  'mirror.gcr.io/aquasec/trivy:0.64.1',
  // AWS: EBS CSI driver, load balancer controller (public.ecr.aws), the CSI sidecars
  'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.46.0',
  'public.ecr.aws/eks/aws-load-balancer-controller:v2.13.3',
  'public.ecr.aws/eks-distro/kubernetes-csi/external-provisioner:v5.3.0-eks-1-33-13',
  'registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.14.0',
  'registry.k8s.io/sig-storage/livenessprobe:v2.16.0',
  // bitnami, GitLab, Chainguard, Azure, Docker Hub aliases
  'bitnami/redis:7',
  'docker.io/bitnami/postgresql:17.5.0',
  'index.docker.io/library/busybox:1.37',
  'registry-1.docker.io/curlimages/curl:8.14.1',
  'registry.gitlab.com/gitlab-org/gitlab-runner:alpine-v18.1.0',
  'cgr.dev/chainguard/static:latest',
  'myregistry.azurecr.io/samples/nginx:1',
  'gcr.io/distroless/static:nonroot',
  'mcr.microsoft.com/dotnet/aspnet:9.0',
];

/** The forms a reference takes: implicit Docker Hub, tags, digests, invalid ones, other hosts. */
export const FORM_IMAGES: string[] = [
  'nginx',
  'nginx:1.27',
  `nginx@${SHA}`,
  `nginx:1.27@${SHA}`,
  'library/nginx:1.27',
  'docker.io/nginx',
  'DOCKER.IO/library/alpine:3',
  'Index.Docker.IO/nginx:1.27',
  'GHCR.IO/org/app:1',
  'ghcr.io/org/team/app/sub:tag',
  'ghcr.io/org/app:V1.2_rc',
  `registry.k8s.io/pause@sha384:${'ab'.repeat(48)}`,
  'registry.k8s.io/pause:3.9',
  // untouched: invalid, upper-case path, image ID, whitespace, bad digests, host:port, other hosts
  'Nginx:1',
  'ghcr.io/Org/App:1',
  'nginx:',
  'nginx:-bad',
  'ghcr.io//app:1',
  '6b3a0c5f9d2e4b1a6b3a0c5f9d2e4b1a6b3a0c5f9d2e4b1a6b3a0c5f9d2e4b1a',
  'nginx@sha256:abc',
  `nginx@md5:${'ab'.repeat(16)}`,
  `nginx@sha256:${'AB'.repeat(32)}`,
  'ghcr.io/org/app:1 ',
  'localhost:5000/x:1',
  'localhost/x:1',
  'quay.io:443/prometheus/prometheus:v3',
  'public.example.com/y',
  '10.0.0.1:5000/team/app:1',
  '[::1]:5000/app:1',
  '',
  `ghcr.io/${'a'.repeat(250)}:1`,
];
