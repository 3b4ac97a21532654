package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
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

// synthesized holds the template of every stack of the app, by stack name, synthesized once for all tests.
var synthesized map[string]*template

func stackTemplate(t *testing.T, name string) *template {
	t.Helper()
	if synthesized == nil {
		synthesized = map[string]*template{}
		for stack, path := range synth(t.TempDir()) {
			tpl, err := readTemplate(path)
			if err != nil {
				t.Fatal(err)
			}
			synthesized[stack] = tpl
		}
	}
	tpl, ok := synthesized[name]
	if !ok {
		t.Fatalf("no stack %s in the app", name)
	}
	return tpl
}

func referenceTemplate(t *testing.T) *template {
	t.Helper()
	return stackTemplate(t, stackName)
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

// --- the other stacks of the app: ECS Fargate service, consumer account, containerd node script ---

// only returns the properties of the template's one resource of a type.
func only(t *testing.T, tpl *template, cfnType string) map[string]any {
	t.Helper()
	found := tpl.ofType(cfnType)
	if len(found) != 1 {
		t.Fatalf("want one %s, got %d", cfnType, len(found))
	}
	return found[0]
}

// roleStatements returns the statements of the policy attached to the role with that logical ID.
func roleStatements(t *testing.T, tpl *template, roleID string) []map[string]any {
	t.Helper()
	var statements []map[string]any
	for _, policy := range tpl.ofType("AWS::IAM::Policy") {
		if !reflect.DeepEqual(policy["Roles"], []any{map[string]any{"Ref": roleID}}) {
			continue
		}
		for _, s := range policy["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			statements = append(statements, s.(map[string]any))
		}
	}
	if statements == nil {
		t.Fatalf("no policy for role %s", roleID)
	}
	return statements
}

// importStatement returns the one statement that allows ecr:BatchImportUpstreamImage.
func importStatement(t *testing.T, statements []map[string]any) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, s := range statements {
		for _, action := range strings_(s["Action"]) {
			if action == "ecr:BatchImportUpstreamImage" {
				found = append(found, s)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one statement with ecr:BatchImportUpstreamImage, got %v", statements)
	}
	if got := strings.Join(strings_(found[0]["Action"]), ","); got != strings.Join(pullActions, ",") {
		t.Errorf("want the 5 pull actions, got %s", got)
	}
	return found[0]
}

// executionRoleID returns the logical ID of the (only) task definition's execution role.
func executionRoleID(t *testing.T, tpl *template) string {
	t.Helper()
	arn := only(t, tpl, "AWS::ECS::TaskDefinition")["ExecutionRoleArn"].(map[string]any)
	return arn["Fn::GetAtt"].([]any)[0].(string)
}

// image returns the image of the (only) task definition's only container.
func image(t *testing.T, tpl *template) any {
	t.Helper()
	containers := only(t, tpl, "AWS::ECS::TaskDefinition")["ContainerDefinitions"].([]any)
	if len(containers) != 1 {
		t.Fatalf("want one container, got %v", containers)
	}
	return containers[0].(map[string]any)["Image"]
}

func TestOtherStacksLeaveTheReferenceTemplateUnchanged(t *testing.T) {
	// The Fargate stack uses the reference stack's cache; it must not add exports to it.
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	newReferenceStack(app, stackName, nil)
	assembly := app.Synth(nil)
	alone := filepath.Join(*assembly.Directory(), *assembly.GetStackByName(jsii.String(stackName)).TemplateFile())
	withOthers := synth(t.TempDir())[stackName]
	var a, b any
	for path, v := range map[string]*any{alone: &a, withOthers: &b} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the reference template differs when the app has the other stacks")
	}
}

func TestEveryStackSynthesizesWithoutWarnings(t *testing.T) {
	app := newApp(t.TempDir())
	for _, name := range []string{stackName, fargateStackName, consumerStackName, lookupStackName, warmStackName, k8sStackName} {
		stack := awscdk.Stack_Of(app.Node().FindChild(jsii.String(name)))
		// HasNoWarning panics (a jsii error) when the stack has a warning.
		msg := func() (msg any) {
			defer func() { msg = recover() }()
			assertions.Annotations_FromStack(stack).HasNoWarning(jsii.String("*"), assertions.Match_AnyValue())
			return nil
		}()
		if msg != nil {
			t.Errorf("%s: %v", name, msg)
		}
	}
}

func TestFargateServiceRunsTheCacheImage(t *testing.T) {
	tpl := stackTemplate(t, fargateStackName)
	service := only(t, tpl, "AWS::ECS::Service")
	if launchType := service["LaunchType"]; launchType != "FARGATE" {
		t.Errorf("want LaunchType FARGATE, got %v", launchType)
	}
	breaker := service["DeploymentConfiguration"].(map[string]any)["DeploymentCircuitBreaker"]
	if !reflect.DeepEqual(breaker, map[string]any{"Enable": true, "Rollback": true}) {
		t.Errorf("want a circuit breaker with rollback, got %v", breaker)
	}
	only(t, tpl, "AWS::ECS::Cluster")
	only(t, tpl, "AWS::EC2::VPC")
	// Environment-agnostic: ${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/dockercache/...
	want := "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/dockercache/library/nginx:1.27"
	if got := flatten(t, image(t, tpl)); got != want {
		t.Errorf("want image %s, got %s", want, got)
	}
}

func TestFargateExecutionRoleMayImportUpstreamImages(t *testing.T) {
	tpl := stackTemplate(t, fargateStackName)
	pull := importStatement(t, roleStatements(t, tpl, executionRoleID(t, tpl)))
	want := "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/dockercache/*"
	if got := flatten(t, pull["Resource"]); got != want {
		t.Errorf("want Resource %s, got %s", want, got)
	}
}

func TestConsumerAccountStackIsInItsOwnEnvironment(t *testing.T) {
	stack, cache := newConsumerAccountStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())}), "Consumer")
	if *stack.Account() != "444455556666" || *stack.Region() != "eu-central-1" {
		t.Errorf("stack in %s/%s", *stack.Account(), *stack.Region())
	}
	if *cache.Env().Account != "111122223333" || *cache.Env().Region != "eu-west-1" {
		t.Errorf("cache in %s/%s", *cache.Env().Account, *cache.Env().Region)
	}
}

func TestConsumerAccountGrantPointsAtTheCentralRegistry(t *testing.T) {
	tpl := stackTemplate(t, consumerStackName)
	var roleID string
	for id, r := range tpl.Resources {
		if r.Type == "AWS::IAM::Role" && strings.HasPrefix(id, "NodeRole") {
			roleID = id
		}
	}
	pull := importStatement(t, roleStatements(t, tpl, roleID))
	want := []string{
		"arn:aws:ecr:eu-west-1:111122223333:repository/dockercache/*",
		"arn:aws:ecr:eu-west-1:111122223333:repository/quaycache/*",
	}
	if got := strings_(pull["Resource"]); !reflect.DeepEqual(got, want) {
		t.Errorf("want Resource %v, got %v", want, got)
	}
}

func TestConsumerAccountTaskPullsFromTheCentralRegistry(t *testing.T) {
	tpl := stackTemplate(t, consumerStackName)
	want := "111122223333.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/nginx:1.27"
	if got := image(t, tpl); got != want {
		t.Errorf("want image %s, got %v", want, got)
	}
	if got := tpl.Outputs["NginxImageUri"].Value; got != want {
		t.Errorf("want output NginxImageUri %s, got %v", want, got)
	}
	pull := importStatement(t, roleStatements(t, tpl, executionRoleID(t, tpl)))
	if got := pull["Resource"]; got != "arn:aws:ecr:eu-west-1:111122223333:repository/dockercache/*" {
		t.Errorf("execution role: unexpected Resource %v", got)
	}
}

func TestLaunchTemplateRunsTheContainerdNodeScript(t *testing.T) {
	data := only(t, stackTemplate(t, consumerStackName), "AWS::EC2::LaunchTemplate")["LaunchTemplateData"].(map[string]any)
	// Environment-bound stacks: the cache's region and registry id are literals, those of the central
	// account, not the consumer stack's own.
	script, ok := data["UserData"].(map[string]any)["Fn::Base64"].(string)
	if !ok {
		t.Fatalf("want the user data to be a literal string, got %#v", data["UserData"])
	}
	// (the script checks both, then fetches the token with `aws ecr get-authorization-token --region "$region" --registry-ids "$registry_id"`)
	for _, want := range []string{
		"region=$(value region ",
		" 'eu-west-1') || exit 2",
		"registry_id=$(value account ",
		" '111122223333') || exit 2",
		"111122223333.dkr.ecr.eu-west-1.amazonaws.com/v2/dockercache",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the user data does not contain %q", want)
		}
	}
	if strings.Contains(script, "444455556666") || strings.Contains(script, "eu-central-1") {
		t.Errorf("the user data names the consumer account or region")
	}
	if _, ok := data["IamInstanceProfile"]; !ok {
		t.Errorf("the launch template has no instance profile")
	}
}

// --- PullThroughCache_FromLookup: the CDK CLI's part played by the test, Cloud Control's by a fake ---

// centralRules are the central account's pull-through cache rules (prefix -> upstream registry URL):
// the fake stands in for AWS's answers only.
var centralRules = map[string]string{"dockercache": "registry-1.docker.io", "quaycache": "quay.io"}

// cloudControl answers one missing context query as the CDK CLI's Cloud Control provider does:
// `exactIdentifier` is GetResource, `propertyMatch` is ListResources (a listed rule carries its prefix);
// each result has the asked properties and `Identifier`.
func cloudControl(t *testing.T, props map[string]any) []map[string]any {
	t.Helper()
	if props["typeName"] != "AWS::ECR::PullThroughCacheRule" || props["account"] != "111122223333" || props["region"] != "eu-west-1" {
		t.Fatalf("unexpected query: %v", props)
	}
	pick := func(prefix string) map[string]any {
		model := map[string]any{"EcrRepositoryPrefix": prefix, "UpstreamRegistryUrl": centralRules[prefix]}
		result := map[string]any{"Identifier": prefix}
		for _, p := range props["propertiesToReturn"].([]any) {
			value, ok := model[p.(string)]
			if !ok {
				t.Fatalf("rule %s has no property %v", prefix, p)
			}
			result[p.(string)] = value
		}
		return result
	}
	if id, ok := props["exactIdentifier"].(string); ok {
		if _, found := centralRules[id]; !found {
			t.Fatalf("no rule %s", id)
		}
		return []map[string]any{pick(id)}
	}
	var prefixes []string
	for p := range centralRules {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	var results []map[string]any
	for _, p := range prefixes {
		results = append(results, pick(p))
	}
	return results
}

// missingContext is a cloud assembly's missing context, read from its manifest.json as the CDK CLI reads it.
type missingContext struct {
	Key      string         `json:"key"`
	Provider string         `json:"provider"`
	Props    map[string]any `json:"props"`
}

func synthMissing(t *testing.T, app awscdk.App) []missingContext {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(*app.Synth(nil).Directory(), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Missing []missingContext `json:"missing"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	return manifest.Missing
}

// synthWithLookups synthesizes the app as `cdk synth` does: while the cloud assembly reports missing
// context, answer it under the reported key and synthesize again. Returns the last app, the gathered
// context (what cdk.context.json would hold) and the number of syntheses.
func synthWithLookups(t *testing.T) (awscdk.App, map[string]any, int) {
	t.Helper()
	context := map[string]any{}
	for round := 1; round <= 5; round++ {
		app := newAppWithContext(t.TempDir(), context)
		missing := synthMissing(t, app)
		if len(missing) == 0 {
			return app, context, round
		}
		for _, m := range missing {
			if m.Provider != "cc-api-provider" {
				t.Fatalf("unexpected provider %s", m.Provider)
			}
			context[m.Key] = cloudControl(t, m.Props)
		}
	}
	t.Fatal("context still missing after 5 syntheses")
	return nil, nil, 0
}

func lookupStack(t *testing.T, app awscdk.App) (awscdk.Stack, *template) {
	t.Helper()
	stack := awscdk.Stack_Of(app.Node().FindChild(jsii.String(lookupStackName)))
	assembly := app.Synth(nil)
	tpl, err := readTemplate(filepath.Join(*assembly.Directory(), *assembly.GetStackByName(jsii.String(lookupStackName)).TemplateFile()))
	if err != nil {
		t.Fatal(err)
	}
	return stack, tpl
}

func TestLookupFirstPassReportsTheQueryAndStandsIn(t *testing.T) {
	app := newAppWithContext(t.TempDir(), map[string]any{})
	missing := synthMissing(t, app)
	if len(missing) != 1 {
		t.Fatalf("want one missing context query, got %v", missing)
	}
	props := missing[0].Props
	if props["typeName"] != "AWS::ECR::PullThroughCacheRule" || props["lookupRoleArn"] != centralLookupRole {
		t.Errorf("unexpected query: %v", props)
	}
	// The first pass does not fail: the cache stands in with every fixed-URL registry at its default prefix.
	_, tpl := lookupStack(t, app)
	if got := image(t, tpl); got != "111122223333.dkr.ecr.eu-west-1.amazonaws.com/dockercache/library/nginx:1.27" {
		t.Errorf("first pass image: %v", got)
	}
}

func TestLookupAnsweredFindsTheCentralRules(t *testing.T) {
	app, context, syntheses := synthWithLookups(t)
	if syntheses != 3 {
		t.Errorf("want 3 syntheses (list the rules, read each, done), got %d", syntheses)
	}
	stack, tpl := lookupStack(t, app)
	cache := stack.Node().FindChild(jsii.String("SharedCache")).(ptc.IPullThroughCache)
	var prefixes []string
	for _, p := range *cache.Prefixes() {
		prefixes = append(prefixes, *p)
	}
	if got := strings.Join(prefixes, ","); got != "dockercache,quaycache" {
		t.Errorf("prefixes: %s", got)
	}
	if got := tpl.Outputs["PrometheusImageUri"].Value; got != "111122223333.dkr.ecr.eu-west-1.amazonaws.com/quaycache/prometheus/prometheus:v3.1.0" {
		t.Errorf("PrometheusImageUri: %v", got)
	}
	pull := importStatement(t, roleStatements(t, tpl, executionRoleID(t, tpl)))
	if got := pull["Resource"]; got != "arn:aws:ecr:eu-west-1:111122223333:repository/dockercache/*" {
		t.Errorf("execution role: unexpected Resource %v", got)
	}
	// The committed cdk.context.json holds exactly these answers: `go run .` needs no AWS.
	committed := readContext(contextFile)
	got, _ := json.Marshal(context)
	want, _ := json.Marshal(committed)
	var a, b any
	_ = json.Unmarshal(got, &a)
	_ = json.Unmarshal(want, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("cdk.context.json differs from the answers:\n got  %s\n want %s", got, want)
	}
}

func TestLookupWithoutTheCentralLookupRolePanics(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Consumer"), &awscdk.StackProps{Env: consumer})
	msg := mustPanic(t, func() {
		ptc.PullThroughCache_FromLookup(stack, jsii.String("Cache"), &ptc.PullThroughCacheLookupOptions{Account: central.Account, Region: central.Region})
	})
	if !strings.Contains(msg, "PullThroughCache.fromLookup (Python: PullThroughCache.from_lookup)") || !strings.Contains(msg, "--trust-for-lookup") {
		t.Errorf("unexpected panic message: %s", msg)
	}
}

// --- CachedImages: a Lambda function that runs from the cache ---

func TestWarmLambdaFunctionIsPinnedToTheWarmUpDigest(t *testing.T) {
	tpl := stackTemplate(t, warmStackName)
	var warmID string
	for id, r := range tpl.Resources {
		if r.Type == "Custom::CachedImages" {
			warmID = id
		}
	}
	images := only(t, tpl, "Custom::CachedImages")["Images"]
	want := []any{map[string]any{"Reference": lambdaImage, "Repository": "ecrpubliccache/lambda/nodejs", "Tag": "22", "RequiredPlatforms": []any{"linux/arm64"}}}
	if !reflect.DeepEqual(images, want) {
		t.Errorf("images %v", images)
	}
	var fn map[string]any
	for _, f := range tpl.ofType("AWS::Lambda::Function") {
		if f["PackageType"] == "Image" {
			fn = f
		}
	}
	if fn == nil {
		t.Fatal("no image function")
	}
	wantURI := map[string]any{"Fn::Join": []any{"", []any{
		"111122223333.dkr.ecr.us-east-1.amazonaws.com/ecrpubliccache/lambda/nodejs@",
		map[string]any{"Fn::GetAtt": []any{warmID, "Digest0.linux.arm64"}},
	}}}
	if got := fn["Code"].(map[string]any)["ImageUri"]; !reflect.DeepEqual(got, wantURI) {
		t.Errorf("image URI %v, want %v", got, wantURI)
	}
	if !reflect.DeepEqual(fn["Architectures"], []any{"arm64"}) {
		t.Errorf("architectures %v", fn["Architectures"])
	}
}

func TestWarmLambdaEcsTaskIsPinnedToTheWarmUpDigest(t *testing.T) {
	tpl := stackTemplate(t, warmStackName)
	var warmID string
	for id, r := range tpl.Resources {
		if r.Type == "Custom::CachedImages" {
			warmID = id
		}
	}
	containers, _ := only(t, tpl, "AWS::ECS::TaskDefinition")["ContainerDefinitions"].([]any)
	if len(containers) != 1 {
		t.Fatalf("containers %v", containers)
	}
	want := map[string]any{"Fn::Join": []any{"", []any{
		"111122223333.dkr.ecr.us-east-1.amazonaws.com/ecrpubliccache/lambda/nodejs@",
		map[string]any{"Fn::GetAtt": []any{warmID, "Digest0"}},
	}}}
	if got := containers[0].(map[string]any)["Image"]; !reflect.DeepEqual(got, want) {
		t.Errorf("image %v, want %v", got, want)
	}
}

func TestWarmLambdaCacheTemplateLetsLambdaRead(t *testing.T) {
	policy, err := json.Marshal(only(t, stackTemplate(t, warmStackName), "AWS::ECR::RepositoryCreationTemplate")["RepositoryPolicy"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lambda.amazonaws.com", "ecr:GetDownloadUrlForLayer", ":lambda:us-east-1:111122223333:function:*"} {
		if !strings.Contains(string(policy), want) {
			t.Errorf("the repository policy %s lacks %q", policy, want)
		}
	}
}

// --- Kubernetes without node access: EKS Auto Mode and Fargate, images rewritten at admission ---

// kubernetesRegistry is the cache's registry in the manifest's Fn::Join, as json.Marshal spells it: the
// stack is environment-agnostic, so CloudFormation fills in the account, region and URL suffix.
const kubernetesRegistry = `'",{"Ref":"AWS::AccountId"},".dkr.ecr.",{"Ref":"AWS::Region"},".",{"Ref":"AWS::URLSuffix"},"'`

func TestKubernetesClusterIsAutoModeWithAFargateProfile(t *testing.T) {
	tpl := stackTemplate(t, k8sStackName)
	cluster := only(t, tpl, "AWS::EKS::Cluster")
	if got := cluster["ComputeConfig"].(map[string]any)["Enabled"]; got != true {
		t.Errorf("want ComputeConfig.Enabled true (Auto Mode), got %v", got)
	}
	if got := cluster["Version"]; got != "1.36" {
		t.Errorf("want Version 1.36, got %v", got)
	}
	selectors := only(t, tpl, "AWS::EKS::FargateProfile")["Selectors"].([]any)
	if len(selectors) != 1 || selectors[0].(map[string]any)["Namespace"] != "apps" {
		t.Errorf("want one selector of namespace apps, got %v", selectors)
	}
}

func TestKubernetesManifestRewritesImagesToTheCache(t *testing.T) {
	tpl := stackTemplate(t, k8sStackName)
	var rewrites []string
	for _, m := range tpl.ofType("Custom::AWSCDK-EKS-KubernetesResource") {
		body, err := json.Marshal(m["Manifest"])
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(body), "MutatingAdmissionPolicy") {
			rewrites = append(rewrites, string(body))
		}
	}
	if len(rewrites) != 1 {
		t.Fatalf("want one manifest with the MutatingAdmissionPolicy, got %d", len(rewrites))
	}
	// The cache's registry and each upstream's prefix
	// (the CEL program maps the image's domain d and path p to '<prefix>/' + p).
	for _, want := range []string{
		"MutatingAdmissionPolicyBinding",
		kubernetesRegistry,
		"(d in ['registry.k8s.io']) ? ['k8scache/' + p]",
		"(d in ['quay.io']) ? ['quaycache/' + p]",
		"(d in ['public.ecr.aws']) ? ['ecrpubliccache/' + p]",
	} {
		if !strings.Contains(rewrites[0], want) {
			t.Errorf("the manifest does not name %s", want)
		}
	}
}

func TestKubernetesNodeAndPodExecutionRolesMayPull(t *testing.T) {
	tpl := stackTemplate(t, k8sStackName)
	want := []string{
		"arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/ecrpubliccache/*",
		"arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/k8scache/*",
		"arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/quaycache/*",
	}
	var nodeRole string
	for id, r := range tpl.Resources {
		if r.Type == "AWS::IAM::Role" && strings.HasPrefix(id, "AutoModeNodeRole") {
			nodeRole = id
		}
	}
	podRole := only(t, tpl, "AWS::EKS::FargateProfile")["PodExecutionRoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	for _, role := range []string{nodeRole, podRole} {
		pull := importStatement(t, roleStatements(t, tpl, role))
		var got []string
		for _, r := range pull["Resource"].([]any) {
			got = append(got, flatten(t, r))
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: want Resource %v, got %v", role, want, got)
		}
	}
}
