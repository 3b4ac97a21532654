package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

var pullActions = []string{
	"ecr:BatchCheckLayerAvailability",
	"ecr:BatchGetImage",
	"ecr:BatchImportUpstreamImage",
	"ecr:CreateRepository",
	"ecr:GetDownloadUrlForLayer",
}

// synthesized is the template of the reference app, synthesized once for all tests.
var synthesized *template

func referenceTemplate(t *testing.T) *template {
	t.Helper()
	if synthesized == nil {
		tpl, err := readTemplate(synth(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		synthesized = tpl
	}
	return synthesized
}

// flatten renders an ARN (a string, or an Fn::Join of strings and Refs) as one string.
func flatten(t *testing.T, v any) string {
	t.Helper()
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if join, ok := x["Fn::Join"].([]any); ok {
			var parts []string
			for _, p := range join[1].([]any) {
				parts = append(parts, flatten(t, p))
			}
			return strings.Join(parts, join[0].(string))
		}
		if ref, ok := x["Ref"].(string); ok {
			return "${" + ref + "}"
		}
	}
	t.Fatalf("unexpected ARN shape: %#v", v)
	return ""
}

func strings_(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, s := range x {
			out = append(out, fmt.Sprint(s))
		}
		sort.Strings(out)
		return out
	}
	return nil
}

func TestFourRulesWithURLsAndPrefixes(t *testing.T) {
	rules := referenceTemplate(t).ofType("AWS::ECR::PullThroughCacheRule")
	if len(rules) != 4 {
		t.Fatalf("want 4 AWS::ECR::PullThroughCacheRule, got %d", len(rules))
	}
	got := map[string]string{}
	for _, r := range rules {
		got[fmt.Sprint(r["EcrRepositoryPrefix"])] = fmt.Sprint(r["UpstreamRegistryUrl"])
	}
	for prefix, url := range expectedUpstreams {
		if got[prefix] != url {
			t.Errorf("rule %q: want UpstreamRegistryUrl %q, got %q (all: %v)", prefix, url, got[prefix], got)
		}
	}
}

func TestCredentialsOnlyWhereRequired(t *testing.T) {
	for _, r := range referenceTemplate(t).ofType("AWS::ECR::PullThroughCacheRule") {
		prefix := r["EcrRepositoryPrefix"]
		_, has := r["CredentialArn"]
		want := prefix == "dockercache" || prefix == "ghcrcache"
		if has != want {
			t.Errorf("rule %v: CredentialArn present=%t, want %t", prefix, has, want)
		}
	}
	var names []string
	for _, s := range referenceTemplate(t).ofType("AWS::SecretsManager::Secret") {
		names = append(names, fmt.Sprint(s["Name"]))
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "ecr-pullthroughcache/dockerio,ecr-pullthroughcache/ghcr" {
		t.Errorf("secret names: %v", names)
	}
}

func TestOneRootTemplate(t *testing.T) {
	templates := referenceTemplate(t).ofType("AWS::ECR::RepositoryCreationTemplate")
	if len(templates) != 1 {
		t.Fatalf("want 1 AWS::ECR::RepositoryCreationTemplate, got %d", len(templates))
	}
	if templates[0]["Prefix"] != "ROOT" {
		t.Errorf("want Prefix ROOT, got %v", templates[0]["Prefix"])
	}
	if fmt.Sprint(templates[0]["AppliedFor"]) != "[PULL_THROUGH_CACHE]" {
		t.Errorf("want AppliedFor [PULL_THROUGH_CACHE], got %v", templates[0]["AppliedFor"])
	}
}

func TestGrantPull(t *testing.T) {
	policies := referenceTemplate(t).ofType("AWS::IAM::Policy")
	if len(policies) != 1 {
		t.Fatalf("want 1 AWS::IAM::Policy, got %d", len(policies))
	}
	statements := policies[0]["PolicyDocument"].(map[string]any)["Statement"].([]any)
	var token, pull []map[string]any
	for _, s := range statements {
		st := s.(map[string]any)
		switch actions := strings.Join(strings_(st["Action"]), ","); actions {
		case "ecr:GetAuthorizationToken":
			token = append(token, st)
		case strings.Join(pullActions, ","):
			pull = append(pull, st)
		}
	}
	if len(token) != 1 || token[0]["Resource"] != "*" {
		t.Errorf("want one ecr:GetAuthorizationToken statement on *, got %v", token)
	}
	if len(pull) != 1 {
		t.Fatalf("want one statement with the 5 pull actions, got %v", statements)
	}
	var arns []string
	for _, r := range pull[0]["Resource"].([]any) {
		arns = append(arns, flatten(t, r))
	}
	sort.Strings(arns)
	var prefixes []string
	for p := range expectedUpstreams {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	if len(arns) != len(prefixes) {
		t.Fatalf("want %d repository ARNs, got %v", len(prefixes), arns)
	}
	for i, prefix := range prefixes {
		if !regexp.MustCompile(`:ecr:.*:repository/` + regexp.QuoteMeta(prefix) + `/\*$`).MatchString(arns[i]) {
			t.Errorf("ARN %q does not cover repository/%s/*", arns[i], prefix)
		}
	}
}

func TestImageURIOutput(t *testing.T) {
	// The stack is environment-agnostic: the URI is a token, resolved in the template to an Fn::Join.
	outputs := referenceTemplate(t).Outputs
	value := outputs["AlpineImageUri"].Value
	if _, ok := value.(map[string]any)["Fn::Join"]; !ok {
		t.Fatalf("want AlpineImageUri to be an Fn::Join, got %#v", value)
	}
	uri := flatten(t, value)
	if !strings.HasSuffix(uri, alpinePath) || !strings.Contains(uri, ".dkr.ecr.") {
		t.Errorf("AlpineImageUri %q does not end with %s", uri, alpinePath)
	}
	if pull := flatten(t, outputs["PullExample"].Value); pull != "docker pull "+uri {
		t.Errorf("PullExample %q is not docker pull %s", pull, uri)
	}
}

func TestImageURIIsATokenInAnEnvAgnosticStack(t *testing.T) {
	_, cache := newReferenceStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())}), "Agnostic", nil)
	if uri := cache.ImageUri(jsii.String("alpine:3")); !*awscdk.Token_IsUnresolved(uri) {
		t.Errorf("want a token, got %q", *uri)
	}
}

func TestImageURIIsLiteralInAStackWithAnEnvironment(t *testing.T) {
	_, cache := newReferenceStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())}), "Fixed", &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
	want := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/alpine:3"
	if uri := *cache.ImageUri(jsii.String("alpine:3")); uri != want {
		t.Errorf("want %q, got %q", want, uri)
	}
}

func TestImageReferenceParse(t *testing.T) {
	ref := ptc.ImageReference_Parse(jsii.String("alpine:3"))
	if *ref.Domain() != "docker.io" || *ref.Repository() != "library/alpine" || *ref.Tag() != "3" ||
		ref.Digest() != nil || !*ref.IsDockerHub() || *ref.ToString() != "docker.io/library/alpine:3" {
		t.Errorf("unexpected parse of alpine:3: %s", *ref.ToString())
	}
}

// mustPanic runs f and returns the message of the panic it raises (jsii turns JavaScript errors into panics).
func mustPanic(t *testing.T, f func()) (message string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("want a panic, got none")
		}
		message = fmt.Sprint(r)
	}()
	f()
	return ""
}

func TestBadPrefixPanics(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Bad"), nil)
	msg := mustPanic(t, func() {
		ptc.NewPullThroughCache(stack, jsii.String("Cache"), &ptc.PullThroughCacheProps{
			Upstreams: &[]*ptc.UpstreamDefinition{{Registry: ptc.UpstreamRegistry_Quay(), Prefix: jsii.String("Bad")}},
		})
	})
	if !strings.Contains(msg, "upstream 'Bad'") {
		t.Errorf("panic message does not name upstream 'Bad': %s", msg)
	}
}

func TestBadImageReferencePanics(t *testing.T) {
	msg := mustPanic(t, func() { ptc.ImageReference_Parse(jsii.String("Alpine:3")) })
	if !strings.Contains(msg, "Invalid image reference 'Alpine:3'") {
		t.Errorf("unexpected panic message: %s", msg)
	}
}
