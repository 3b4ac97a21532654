"""Assertions on the template the Python consumer synthesizes (run with pytest)."""
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
