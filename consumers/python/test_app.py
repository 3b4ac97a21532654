"""Assertions on the template the Python consumer synthesizes (run with pytest)."""
import json
import re

import pytest

import aws_cdk as cdk
from aws_cdk import assertions

from cdk_pull_through_cache import (
    ImageReference,
    PullThroughCache,
    UpstreamDefinition,
    UpstreamRegistry,
)

import app as consumer

PULL_ACTIONS = {
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchImportUpstreamImage",
    "ecr:CreateRepository",
}


def flatten(value):
    """Render an ARN (a string or an Fn::Join of strings and Refs) as one string."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(flatten(p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "${" + value["Ref"] + "}"
    raise AssertionError(f"unexpected ARN shape: {value!r}")


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    app = consumer.build(str(tmp_path_factory.mktemp("cdk.out")))
    stack = app.node.find_child(consumer.STACK_NAME)
    return assertions.Template.from_stack(stack).to_json()


def of_type(template, cfn_type):
    return [r for r in template["Resources"].values() if r["Type"] == cfn_type]


def test_four_rules_with_urls_and_prefixes(template):
    rules = of_type(template, "AWS::ECR::PullThroughCacheRule")
    assert len(rules) == 4
    assert {r["Properties"]["EcrRepositoryPrefix"]: r["Properties"]["UpstreamRegistryUrl"] for r in rules} \
        == consumer.EXPECTED_UPSTREAMS


def test_credentials_only_where_required(template):
    rules = {r["Properties"]["EcrRepositoryPrefix"]: r["Properties"] for r in of_type(template, "AWS::ECR::PullThroughCacheRule")}
    assert "CredentialArn" in rules["dockercache"] and "CredentialArn" in rules["ghcrcache"]
    assert "CredentialArn" not in rules["k8scache"] and "CredentialArn" not in rules["quaycache"]
    names = sorted(s["Properties"]["Name"] for s in of_type(template, "AWS::SecretsManager::Secret"))
    assert names == ["ecr-pullthroughcache/dockerio", "ecr-pullthroughcache/ghcr"]


def test_one_root_template(template):
    templates = of_type(template, "AWS::ECR::RepositoryCreationTemplate")
    assert len(templates) == 1
    assert templates[0]["Properties"]["Prefix"] == "ROOT"
    assert templates[0]["Properties"]["AppliedFor"] == ["PULL_THROUGH_CACHE"]


def test_grant_pull(template):
    policies = of_type(template, "AWS::IAM::Policy")
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    token = [s for s in statements if as_list(s["Action"]) == ["ecr:GetAuthorizationToken"]]
    assert len(token) == 1 and token[0]["Resource"] == "*"
    pull = [s for s in statements if set(as_list(s["Action"])) == PULL_ACTIONS]
    assert len(pull) == 1
    arns = sorted(flatten(r) for r in as_list(pull[0]["Resource"]))
    assert len(arns) == 4
    for arn, prefix in zip(arns, sorted(consumer.EXPECTED_UPSTREAMS)):
        assert re.search(rf":ecr:.*:repository/{prefix}/\*$", arn), arn


def test_dashboard_of_every_upstream(template):
    # One dashboard; its rules: one per upstream (failed syncs) and two for the totals (syncs, failed syncs).
    [dashboard] = of_type(template, "AWS::CloudWatch::Dashboard")
    body = flatten(dashboard["Properties"]["DashboardBody"])
    for prefix in consumer.EXPECTED_UPSTREAMS:
        assert f"RepositoryName={prefix})" in body, prefix
    assert "SERVICE_QUOTA(calls)" in body
    rules = of_type(template, "AWS::Events::Rule")
    assert len(rules) == len(consumer.EXPECTED_UPSTREAMS) + 2
    assert all("Targets" not in r["Properties"] for r in rules)


def test_image_uri_output(template):
    # The stack is environment-agnostic: the URI is a token, resolved in the template to an Fn::Join.
    value = template["Outputs"]["AlpineImageUri"]["Value"]
    assert "Fn::Join" in value, value
    uri = flatten(value)
    assert uri.endswith(consumer.ALPINE_PATH), uri
    assert ".dkr.ecr." in uri, uri
    assert flatten(template["Outputs"]["PullExample"]["Value"]) == f"docker pull {uri}"


def test_image_uri_is_a_token_in_an_env_agnostic_stack(tmp_path):
    stack = consumer.ReferenceStack(cdk.App(outdir=str(tmp_path)), "Agnostic")
    assert cdk.Token.is_unresolved(stack.alpine_uri)


def test_image_uri_is_literal_in_a_stack_with_an_environment(tmp_path):
    stack = consumer.ReferenceStack(cdk.App(outdir=str(tmp_path)), "Fixed",
                                    env=cdk.Environment(account="123456789012", region="eu-west-1"))
    assert stack.cache.image_uri("alpine:3") == \
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/alpine:3"


def test_image_reference_parse():
    ref = ImageReference.parse("alpine:3")
    assert (ref.domain, ref.repository, ref.tag, ref.digest, ref.is_docker_hub) == \
        ("docker.io", "library/alpine", "3", None, True)
    assert ref.to_string() == "docker.io/library/alpine:3"


def test_bad_prefix_raises_a_python_exception():
    stack = cdk.Stack(cdk.App(), "Bad")
    # jsii surfaces the JavaScript Error as a Python RuntimeError (jsii.errors.JSIIError subclasses it).
    with pytest.raises(RuntimeError, match=r"upstream 'Bad'") as info:
        PullThroughCache(stack, "Cache", upstreams=[UpstreamDefinition(registry=UpstreamRegistry.quay(), prefix="Bad")])
    assert "lowercase" in str(info.value)


def test_bad_image_reference_raises_a_python_exception():
    with pytest.raises(RuntimeError, match=r"Invalid image reference 'Alpine:3'"):
        ImageReference.parse("Alpine:3")


# --- the other stacks of the app: ECS Fargate service, consumer account, containerd node script ---

@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    """The template of every stack of the app, by stack name."""
    app = consumer.build(str(tmp_path_factory.mktemp("cdk.out")))
    return {name: assertions.Template.from_stack(app.node.find_child(name)).to_json()
            for name in (consumer.STACK_NAME, consumer.FARGATE_STACK_NAME, consumer.CONSUMER_STACK_NAME,
                         consumer.WARM_LAMBDA_STACK_NAME, consumer.KUBERNETES_STACK_NAME)}


def only(template, cfn_type):
    found = of_type(template, cfn_type)
    assert len(found) == 1, f"want one {cfn_type}, got {len(found)}"
    return found[0]["Properties"]


def execution_role_statements(template):
    """The statements of the policy attached to the (only) task definition's execution role."""
    role_id = only(template, "AWS::ECS::TaskDefinition")["ExecutionRoleArn"]["Fn::GetAtt"][0]
    policies = [p["Properties"] for p in of_type(template, "AWS::IAM::Policy")
                if {"Ref": role_id} in p["Properties"]["Roles"]]
    assert len(policies) == 1, policies
    return policies[0]["PolicyDocument"]["Statement"]


def test_the_other_stacks_leave_the_reference_template_unchanged(stacks, tmp_path):
    # The Fargate stack uses the reference stack's cache; it must not add exports to it.
    alone = consumer.ReferenceStack(cdk.App(outdir=str(tmp_path)), consumer.STACK_NAME)
    assert stacks[consumer.STACK_NAME] == assertions.Template.from_stack(alone).to_json()


def test_every_stack_synthesizes_without_warnings(tmp_path):
    app = consumer.build(str(tmp_path))
    for name in (consumer.STACK_NAME, consumer.FARGATE_STACK_NAME, consumer.CONSUMER_STACK_NAME,
                 consumer.WARM_LAMBDA_STACK_NAME, consumer.KUBERNETES_STACK_NAME):
        assertions.Annotations.from_stack(app.node.find_child(name)).has_no_warning("*", assertions.Match.any_value())


def test_fargate_service_runs_the_cache_image(stacks):
    template = stacks[consumer.FARGATE_STACK_NAME]
    service = only(template, "AWS::ECS::Service")
    assert service["LaunchType"] == "FARGATE"
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert len(of_type(template, "AWS::ECS::Cluster")) == 1 and len(of_type(template, "AWS::EC2::VPC")) == 1
    [container] = only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    # Environment-agnostic: ${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/dockercache/...
    assert flatten(container["Image"]) == \
        "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/dockercache/library/nginx:1.27"


def test_fargate_execution_role_may_import_upstream_images(stacks):
    statements = execution_role_statements(stacks[consumer.FARGATE_STACK_NAME])
    [pull] = [s for s in statements if "ecr:BatchImportUpstreamImage" in as_list(s["Action"])]
    assert set(as_list(pull["Action"])) == PULL_ACTIONS
    assert [flatten(r) for r in as_list(pull["Resource"])] == \
        ["arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/dockercache/*"]


def test_consumer_account_stack_is_in_its_own_environment(tmp_path):
    stack = consumer.ConsumerAccountStack(cdk.App(outdir=str(tmp_path)), "Consumer")
    assert (stack.account, stack.region) == ("444455556666", "eu-central-1")
    assert (stack.cache.env.account, stack.cache.env.region) == ("111122223333", "eu-west-1")


def test_consumer_account_grant_points_at_the_central_registry(stacks):
    template = stacks[consumer.CONSUMER_STACK_NAME]
    role_id = next(k for k, r in template["Resources"].items()
                   if r["Type"] == "AWS::IAM::Role" and k.startswith("NodeRole"))
    [policy] = [p["Properties"] for p in of_type(template, "AWS::IAM::Policy") if {"Ref": role_id} in p["Properties"]["Roles"]]
    [pull] = [s for s in policy["PolicyDocument"]["Statement"] if set(as_list(s["Action"])) == PULL_ACTIONS]
    assert sorted(pull["Resource"]) == [
        "arn:aws:ecr:eu-west-1:111122223333:repository/dockercache/*",
        "arn:aws:ecr:eu-west-1:111122223333:repository/quaycache/*",
    ]


def test_consumer_account_task_pulls_from_the_central_registry(stacks):
    template = stacks[consumer.CONSUMER_STACK_NAME]
    [container] = only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    assert container["Image"] == "111122223333.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/nginx:1.27"
    assert template["Outputs"]["NginxImageUri"]["Value"] == container["Image"]
    [pull] = [s for s in execution_role_statements(template) if "ecr:BatchImportUpstreamImage" in as_list(s["Action"])]
    assert pull["Resource"] == "arn:aws:ecr:eu-west-1:111122223333:repository/dockercache/*"


def test_launch_template_runs_the_containerd_node_script(stacks):
    template = stacks[consumer.CONSUMER_STACK_NAME]
    data = only(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    script = data["UserData"]["Fn::Base64"]
    # Environment-bound stacks: the cache's region and registry id are literals, those of the central
    # account, not the consumer stack's own.
    assert isinstance(script, str), script
    # (the script checks both, then fetches the token with `aws ecr get-authorization-token --region "$region" --registry-ids "$registry_id"`)
    assert " 'eu-west-1') || exit 2" in script and " '111122223333') || exit 2" in script
    assert "111122223333.dkr.ecr.eu-west-1.amazonaws.com/v2/dockercache" in script
    assert "444455556666" not in script and "eu-central-1" not in script
    assert "IamInstanceProfile" in data


# --- CachedImages: a Lambda function that runs from the cache ---

def test_warm_lambda_function_is_pinned_to_the_warm_up_digest(stacks):
    template = stacks[consumer.WARM_LAMBDA_STACK_NAME]
    [warm_id] = [k for k, r in template["Resources"].items() if r["Type"] == "Custom::CachedImages"]
    warm = template["Resources"][warm_id]["Properties"]
    assert warm["Images"] == [{"Reference": consumer.LAMBDA_IMAGE, "Repository": "ecrpubliccache/lambda/nodejs",
                               "Tag": "22", "RequiredPlatforms": ["linux/arm64"]}]
    [fn] = [r["Properties"] for r in of_type(template, "AWS::Lambda::Function") if r["Properties"].get("PackageType") == "Image"]
    assert fn["Architectures"] == ["arm64"]
    assert fn["Code"]["ImageUri"] == {"Fn::Join": ["", [
        "111122223333.dkr.ecr.us-east-1.amazonaws.com/ecrpubliccache/lambda/nodejs@",
        {"Fn::GetAtt": [warm_id, "Digest0.linux.arm64"]},
    ]]}


def test_warm_lambda_ecs_task_is_pinned_to_the_warm_up_digest(stacks):
    template = stacks[consumer.WARM_LAMBDA_STACK_NAME]
    [warm_id] = [k for k, r in template["Resources"].items() if r["Type"] == "Custom::CachedImages"]
    [container] = only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    assert container["Image"] == {"Fn::Join": ["", [
        "111122223333.dkr.ecr.us-east-1.amazonaws.com/ecrpubliccache/lambda/nodejs@",
        {"Fn::GetAtt": [warm_id, "Digest0"]},
    ]]}


def test_warm_lambda_cache_template_lets_lambda_read(stacks):
    template = stacks[consumer.WARM_LAMBDA_STACK_NAME]
    policy = json.loads(flatten(only(template, "AWS::ECR::RepositoryCreationTemplate")["RepositoryPolicy"]))
    assert policy["Statement"] == [{
        "Sid": "LambdaECRImageRetrievalPolicy",
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Condition": {"StringLike": {"aws:sourceArn": "arn:${AWS::Partition}:lambda:us-east-1:111122223333:function:*"}},
    }]


# --- Kubernetes without node access: EKS Auto Mode and Fargate, images rewritten at admission ---

KUBERNETES_REGISTRY = "111122223333.dkr.ecr.eu-north-1.amazonaws.com"


def role_pull_resources(template, role_logical_id):
    """The repositories the pull statement of a role's policy names (flattened ARNs)."""
    [policy] = [p["Properties"] for p in of_type(template, "AWS::IAM::Policy")
                if {"Ref": role_logical_id} in p["Properties"]["Roles"]]
    [pull] = [s for s in policy["PolicyDocument"]["Statement"] if set(as_list(s["Action"])) == PULL_ACTIONS]
    return sorted(flatten(r) for r in as_list(pull["Resource"]))


def test_kubernetes_cluster_is_auto_mode_with_a_fargate_profile(stacks):
    template = stacks[consumer.KUBERNETES_STACK_NAME]
    cluster = only(template, "AWS::EKS::Cluster")
    assert cluster["ComputeConfig"]["Enabled"] is True
    assert cluster["Version"] == "1.36"
    profile = only(template, "AWS::EKS::FargateProfile")
    assert [sel["Namespace"] for sel in profile["Selectors"]] == ["apps"]


def test_kubernetes_manifest_rewrites_images_to_the_cache(stacks):
    template = stacks[consumer.KUBERNETES_STACK_NAME]
    manifests = [json.dumps(r["Properties"]["Manifest"]) for r in of_type(template, "Custom::AWSCDK-EKS-KubernetesResource")]
    [rewrite] = [m for m in manifests if "MutatingAdmissionPolicy" in m]
    assert "MutatingAdmissionPolicyBinding" in rewrite
    # The cache's registry, a literal in this environment-bound stack, and each upstream's prefix
    # (the CEL program maps the image's domain d and path p to '<prefix>/' + p).
    assert f"'{KUBERNETES_REGISTRY}'" in rewrite
    for upstream, prefix in (("registry.k8s.io", "k8scache"), ("quay.io", "quaycache"), ("public.ecr.aws", "ecrpubliccache")):
        assert f"(d in ['{upstream}']) ? ['{prefix}/' + p]" in rewrite, upstream


def test_kubernetes_node_and_pod_execution_roles_may_pull(stacks):
    template = stacks[consumer.KUBERNETES_STACK_NAME]
    want = [f"arn:${{AWS::Partition}}:ecr:eu-north-1:111122223333:repository/{p}/*" for p in ("ecrpubliccache", "k8scache", "quaycache")]
    node_role = next(k for k, r in template["Resources"].items()
                     if r["Type"] == "AWS::IAM::Role" and k.startswith("AutoModeNodeRole"))
    assert role_pull_resources(template, node_role) == want
    pod_role = only(template, "AWS::EKS::FargateProfile")["PodExecutionRoleArn"]["Fn::GetAtt"][0]
    assert role_pull_resources(template, pod_role) == want
