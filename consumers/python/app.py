"""The reference use case of cdk-pull-through-cache, written in Python against the jsii-built wheel.

Docker Hub and GitHub Container Registry with credentials (PullThroughCacheSecret.create), registry.k8s.io
and Quay without, one repository creation template for any prefix, and a role that may pull.

    python app.py [OUTDIR]      synthesizes to OUTDIR (default: ./cdk.out) and prints a summary
"""
import json
import os
import sys

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_pull_through_cache import (
    ImageReference,
    PullThroughCache,
    PullThroughCacheSecret,
    TemplateScope,
    UpstreamDefinition,
    UpstreamRegistry,
)

STACK_NAME = "PullThroughCachePython"

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

        # The secrets hold a placeholder token; put the real one with `aws secretsmanager put-secret-value`.
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

        self.puller = iam.Role(
            self,
            "Puller",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="May pull images through the ECR pull-through cache",
        )
        self.cache.grant_pull(self.puller)

        # The stack is environment-agnostic, so the URI is a token: `${AWS::AccountId}.dkr.ecr.${AWS::Region}...`.
        self.alpine_uri = self.cache.image_uri("alpine:3")
        cdk.CfnOutput(self, "AlpineImageUri", description="Alpine in the cache", value=self.alpine_uri)
        cdk.CfnOutput(
            self,
            "PullExample",
            description="Pull Alpine through the cache",
            value=f"docker pull {self.alpine_uri}",
        )


def build(outdir: str) -> cdk.App:
    app = cdk.App(outdir=outdir)
    ReferenceStack(app, STACK_NAME)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
