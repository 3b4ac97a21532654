"""cdk-pull-through-cache from Python: an example app, built against the jsii-built wheel.

Five stacks:

- ReferenceStack (PullThroughCachePython): the reference use case. Docker Hub and GitHub Container
  Registry with credentials (PullThroughCacheSecret.create), registry.k8s.io and Quay without, one
  repository creation template for any prefix, a role that may pull, cache.image_uri(), and a
  PullThroughCacheDashboard of the cache.
- FargateServiceStack (PullThroughCachePythonFargate): an ECS Fargate service in the same account and
  region whose image is cache.container_image("nginx:1.27").
- ConsumerAccountStack (PullThroughCachePythonConsumerAccount): another account (444455556666,
  eu-central-1) imports a central cache (111122223333, eu-west-1) with
  PullThroughCache.from_pull_through_cache_attributes, grants an EC2 node role the pull, runs
  cache.containerd_node_script() in a launch template's user data and a Fargate task on the cache.

- WarmLambdaStack (PullThroughCachePythonWarmLambda): its own cache of ECR Public (111122223333,
  us-east-1) whose templates let Lambda read the cached images, CachedImages that pulls the Lambda
  Node.js base image through it at deploy, and a DockerImageFunction (arm64) that runs from the
  cache, pinned to the digest the warm-up reports.

- KubernetesStack (PullThroughCachePythonKubernetes): an EKS cluster (aws_eks_v2, Auto Mode, 111122223333,
  eu-north-1) with a Fargate profile, whose nodes take no user data: the cache's
  kubernetes_image_rewrite() manifests (a MutatingAdmissionPolicy and its binding) rewrite pod
  images at admission, and grant_pull lets the Auto Mode node role and the pod execution role pull.

    python app.py [OUTDIR]      synthesizes to OUTDIR (default: ./cdk.out) and prints a summary
"""
import json
import os
import sys

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk_pull_through_cache import (
    CachedImages,
    ImageReference,
    IPullThroughCache,
    KubernetesPolicyEngine,
    PullThroughCache,
    PullThroughCacheDashboard,
    PullThroughCacheSecret,
    RepositoryTemplateOptions,
    TemplateScope,
    UpstreamAttributes,
    UpstreamDefinition,
    UpstreamRegistry,
)

STACK_NAME = "PullThroughCachePython"
FARGATE_STACK_NAME = "PullThroughCachePythonFargate"
CONSUMER_STACK_NAME = "PullThroughCachePythonConsumerAccount"
WARM_LAMBDA_STACK_NAME = "PullThroughCachePythonWarmLambda"
KUBERNETES_STACK_NAME = "PullThroughCachePythonKubernetes"

# The image the warm-up pulls through the cache and the function runs.
LAMBDA_IMAGE = "public.ecr.aws/lambda/nodejs:22"

# The central account that owns the cache, and a workload account that pulls through it from another region.
CENTRAL = cdk.Environment(account="111122223333", region="eu-west-1")
CONSUMER = cdk.Environment(account="444455556666", region="eu-central-1")
# The Lambda stack's own cache: the central account, another region than the reference cache's.
WARM_LAMBDA = cdk.Environment(account="111122223333", region="us-east-1")
# The Kubernetes stack's own cache: the central account, a third region.
KUBERNETES = cdk.Environment(account="111122223333", region="eu-north-1")
# Any Lambda layer with kubectl and helm (e.g. the @aws-cdk/lambda-layer-kubectl-v36 one, deployed once).
KUBECTL_LAYER_ARN = "arn:aws:lambda:eu-north-1:111122223333:layer:kubectl:1"

# What cache.image_uri("alpine:3") maps Alpine to, after the registry domain.
ALPINE_PATH = "/dockercache/library/alpine:3"

# prefix -> upstream registry URL, as the reference use case configures them
EXPECTED_UPSTREAMS = {
    "dockercache": "registry-1.docker.io",
    "ghcrcache": "ghcr.io",
    "k8scache": "registry.k8s.io",
    "quaycache": "quay.io",
}


class ReferenceStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # The secrets hold a placeholder token; put the real one with `aws secretsmanager
        # put-secret-value ... --secret-string "file://$f"` from a 0600 temporary file (docs/registries.md,
        # "Credentials"), never with the token on the command line.
        docker_secret = PullThroughCacheSecret.create(
            self, "DockerHubSecret", registry_name="dockerio", username="my-docker-user"
        )
        ghcr_secret = PullThroughCacheSecret.create(
            self, "GhcrSecret", registry_name="ghcr", username="my-github-user"
        )

        self.cache = PullThroughCache(
            self,
            "Cache",
            upstreams=[
                # Keyword arguments build the struct ...
                UpstreamDefinition(
                    registry=UpstreamRegistry.docker_hub(), prefix="dockercache", credentials=docker_secret
                ),
                UpstreamDefinition(
                    registry=UpstreamRegistry.github_container_registry(),
                    prefix="ghcrcache",
                    credentials=ghcr_secret,
                ),
                # ... and so does a plain dict with the Python (snake_case) names.
                {"registry": UpstreamRegistry.kubernetes(), "prefix": "k8scache"},
                UpstreamDefinition(registry=UpstreamRegistry.quay(), prefix="quaycache"),
            ],
            repository_template={"scope": TemplateScope.ANY_PREFIX},
        )

        # A task that pulls images itself (a build runner); ECS pulls a task's own image with the
        # execution role, which container_image() grants (see the Fargate stack below).
        self.puller = iam.Role(
            self,
            "Puller",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="May pull images through the ECR pull-through cache",
        )
        self.cache.grant_pull(self.puller)

        # Pulls and failed upstream syncs per upstream, the account's BatchGetImage rate against its quota.
        self.dashboard = PullThroughCacheDashboard(self, "Dashboard", cache=self.cache)

        # The stack is environment-agnostic, so the URI is a token: `${AWS::AccountId}.dkr.ecr.${AWS::Region}...`.
        self.alpine_uri = self.cache.image_uri("alpine:3")
        cdk.CfnOutput(self, "AlpineImageUri", description="Alpine in the cache", value=self.alpine_uri)
        cdk.CfnOutput(
            self,
            "PullExample",
            description="Pull Alpine through the cache",
            value=f"docker pull {self.alpine_uri}",
        )


class FargateServiceStack(cdk.Stack):
    """An ECS Fargate service whose image is pulled through a cache of the same account and region."""

    def __init__(self, scope: Construct, construct_id: str, *, cache: IPullThroughCache, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # Public subnets only: the tasks reach ECR through the internet gateway, no NAT gateway to pay for.
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
        )
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc)

        self.task_definition = ecs.FargateTaskDefinition(self, "Task", cpu=256, memory_limit_mib=512)
        # nginx:1.27 is docker.io/library/nginx:1.27, pulled as <registry>/dockercache/library/nginx:1.27.
        # Binding the image grants the execution role the pull through that upstream, first pull included.
        self.task_definition.add_container(
            "web",
            image=cache.container_image("nginx:1.27"),
            port_mappings=[ecs.PortMapping(container_port=80)],
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=1,
            assign_public_ip=True,
            # Start the new task before stopping the old one, and roll back a deployment whose tasks fail.
            min_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )


class ConsumerAccountStack(cdk.Stack):
    """A workload account that pulls through the central account's cache, from another region.

    The central account must open the cache to this one (`cross_account_access`, see docs/multi-account.md,
    "Cross-account and organization access"); this side writes its own principals' policies.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, env=CONSUMER, **kwargs)

        # The upstreams as the central stack names them; credentials are neither needed nor checked here.
        self.cache = PullThroughCache.from_pull_through_cache_attributes(
            self,
            "SharedCache",
            account=CENTRAL.account,
            region=CENTRAL.region,
            upstreams=[
                UpstreamAttributes(registry=UpstreamRegistry.docker_hub(), prefix="dockercache"),
                UpstreamAttributes(registry=UpstreamRegistry.quay(), prefix="quaycache"),
            ],
        )

        # EC2 (or EKS) nodes whose containerd pulls through the cache: the script fetches an ECR token
        # from the cache's registry and region with the node role, which therefore needs grant_pull.
        self.node_role = iam.Role(self, "NodeRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
        self.cache.grant_pull(self.node_role)
        user_data = ec2.UserData.for_linux()
        user_data.add_commands(self.cache.containerd_node_script())
        self.launch_template = ec2.LaunchTemplate(
            self,
            "NodeTemplate",
            machine_image=ec2.MachineImage.latest_amazon_linux2023(),
            role=self.node_role,
            user_data=user_data,
        )

        # An ECS task of this account, its image pulled from the central registry.
        self.task_definition = ecs.FargateTaskDefinition(self, "Task", cpu=256, memory_limit_mib=512)
        self.task_definition.add_container("web", image=self.cache.container_image("nginx:1.27"))

        cdk.CfnOutput(self, "NginxImageUri", value=self.cache.image_uri("nginx:1.27"))


class WarmLambdaStack(cdk.Stack):
    """A Lambda function that runs from the pull-through cache: CachedImages pulls the image
    through the cache at deploy, and the function is created afterwards, pinned to the digest of
    the image's linux/arm64 manifest."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, env=WARM_LAMBDA, **kwargs)

        self.cache = PullThroughCache(
            self,
            "LambdaCache",
            upstreams=[UpstreamDefinition(registry=UpstreamRegistry.ecr_public(), prefix="ecrpubliccache")],
            # A repository policy statement that lets this account's functions read the cached images.
            repository_template=RepositoryTemplateOptions(allow_lambda=True),
        )
        self.images = CachedImages(self, "Images", cache=self.cache, images=[LAMBDA_IMAGE], platforms=["linux/arm64"])
        self.function = lambda_.DockerImageFunction(
            self,
            "FromCache",
            architecture=lambda_.Architecture.ARM_64,
            code=self.images.docker_image_code(LAMBDA_IMAGE),
        )
        cdk.CfnOutput(self, "ImageDigest", description="What the tag pointed to at deploy", value=self.images.digest_of(LAMBDA_IMAGE))
        # The same warm image in an ECS task, pinned to its digest (ECS pulls with the execution
        # role, which container_image grants).
        self.task_definition = ecs.FargateTaskDefinition(
            self, "Task", cpu=256, memory_limit_mib=512, runtime_platform=ecs.RuntimePlatform(cpu_architecture=ecs.CpuArchitecture.ARM64),
        )
        self.task_definition.add_container("app", image=self.images.container_image(LAMBDA_IMAGE))


class KubernetesStack(cdk.Stack):
    """Every pod of an EKS cluster pulls through the cache without touching a node: Auto Mode nodes
    and Fargate pods. A MutatingAdmissionPolicy (Kubernetes 1.36 or later) rewrites the images at
    admission; the node role and the pod execution role may pull, first pulls included."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, env=KUBERNETES, **kwargs)

        self.cache = PullThroughCache(
            self,
            "Cache",
            upstreams=[
                UpstreamDefinition(registry=UpstreamRegistry.kubernetes()),
                UpstreamDefinition(registry=UpstreamRegistry.quay()),
                UpstreamDefinition(registry=UpstreamRegistry.ecr_public()),
            ],
        )
        # Auto Mode: EKS manages the nodes; they pull with this role.
        self.node_role = iam.Role(
            self,
            "AutoModeNodeRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonEKSWorkerNodeMinimalPolicy"),
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonEC2ContainerRegistryPullOnly"),
            ],
        )
        self.cluster = eks.Cluster(
            self,
            "Cluster",
            # MutatingAdmissionPolicy is admissionregistration.k8s.io/v1 from Kubernetes 1.36.
            version=eks.KubernetesVersion.of("1.36"),
            compute=eks.ComputeConfig(node_role=self.node_role),
            kubectl_provider_options=eks.KubectlProviderOptions(
                kubectl_layer=lambda_.LayerVersion.from_layer_version_arn(self, "KubectlLayer", KUBECTL_LAYER_ARN),
            ),
        )
        # Fargate: pods of the `apps` namespace run on Fargate, pulling with the pod execution role.
        self.fargate_profile = self.cluster.add_fargate_profile(
            "Apps", selectors=[eks.Selector(namespace="apps")]
        )

        manifests = self.cache.kubernetes_image_rewrite(engine=KubernetesPolicyEngine.MUTATING_ADMISSION_POLICY)
        self.cluster.add_manifest("ImageRewrite", *manifests)
        self.cache.grant_pull(self.node_role)
        self.cache.grant_pull(self.fargate_profile.pod_execution_role)


def build(outdir: str) -> cdk.App:
    app = cdk.App(outdir=outdir)
    reference = ReferenceStack(app, STACK_NAME)
    FargateServiceStack(app, FARGATE_STACK_NAME, cache=reference.cache)
    ConsumerAccountStack(app, CONSUMER_STACK_NAME)
    WarmLambdaStack(app, WARM_LAMBDA_STACK_NAME)
    KubernetesStack(app, KUBERNETES_STACK_NAME)
    return app


def main() -> int:
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "cdk.out")
    assembly = build(outdir).synth()
    template = assembly.get_stack_by_name(STACK_NAME).template

    ref = ImageReference.parse("alpine:3")
    print(f"ImageReference.parse('alpine:3') -> {ref.to_string()} "
          f"(domain={ref.domain}, repository={ref.repository}, tag={ref.tag}, is_docker_hub={ref.is_docker_hub})")

    resources = template["Resources"]
    rules = {r["Properties"]["EcrRepositoryPrefix"]: r["Properties"]["UpstreamRegistryUrl"]
             for r in resources.values() if r["Type"] == "AWS::ECR::PullThroughCacheRule"}
    templates = [r["Properties"]["Prefix"]
                 for r in resources.values() if r["Type"] == "AWS::ECR::RepositoryCreationTemplate"]
    print(f"synthesized {STACK_NAME} to {assembly.directory}: {len(resources)} resources")
    for prefix, url in sorted(rules.items()):
        print(f"  rule {prefix:12} <- {url}")
    print(f"  creation templates: {templates}")
    if rules != EXPECTED_UPSTREAMS or templates != ["ROOT"]:
        print("unexpected rules or templates", file=sys.stderr)
        return 1
    json.dumps(template)  # the template is plain JSON

    for name in (FARGATE_STACK_NAME, CONSUMER_STACK_NAME, WARM_LAMBDA_STACK_NAME, KUBERNETES_STACK_NAME):
        stack = assembly.get_stack_by_name(name)
        types = sorted({r["Type"] for r in stack.template["Resources"].values()})
        print(f"synthesized {name} ({stack.environment.name}): {', '.join(types)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
