// The reference use case of cdk-pull-through-cache, written in Go against the jsii-generated module.
//
// Docker Hub and GitHub Container Registry with credentials (PullThroughCacheSecret_Create), registry.k8s.io
// and Quay without, one repository creation template for any prefix, and a role that may pull.
//
//	go run . [OUTDIR]    synthesizes to OUTDIR (default: ./cdk.out) and prints a summary
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

const stackName = "PullThroughCacheGo"

// alpinePath is what cache.ImageUri("alpine:3") maps Alpine to, after the registry domain.
const alpinePath = "/dockercache/library/alpine:3"

// expectedUpstreams maps each prefix to its upstream registry URL, as the reference use case configures them.
var expectedUpstreams = map[string]string{
	"dockercache": "registry-1.docker.io",
	"ghcrcache":   "ghcr.io",
	"k8scache":    "registry.k8s.io",
	"quaycache":   "quay.io",
}

// newReferenceStack builds the reference use case and returns the stack and its cache.
func newReferenceStack(scope constructs.Construct, id string, props *awscdk.StackProps) (awscdk.Stack, ptc.PullThroughCache) {
	stack := awscdk.NewStack(scope, jsii.String(id), props)

	// The secrets hold a placeholder token; put the real one with `aws secretsmanager put-secret-value`.
	dockerSecret := ptc.PullThroughCacheSecret_Create(stack, jsii.String("DockerHubSecret"), &ptc.PullThroughCacheSecretProps{
		RegistryName: jsii.String("dockerio"),
		Username:     jsii.String("my-docker-user"),
	})
	ghcrSecret := ptc.PullThroughCacheSecret_Create(stack, jsii.String("GhcrSecret"), &ptc.PullThroughCacheSecretProps{
		RegistryName: jsii.String("ghcr"),
		Username:     jsii.String("my-github-user"),
	})

	cache := ptc.NewPullThroughCache(stack, jsii.String("Cache"), &ptc.PullThroughCacheProps{
		Upstreams: &[]*ptc.UpstreamDefinition{
			{Registry: ptc.UpstreamRegistry_DockerHub(), Prefix: jsii.String("dockercache"), Credentials: dockerSecret},
			{Registry: ptc.UpstreamRegistry_GithubContainerRegistry(), Prefix: jsii.String("ghcrcache"), Credentials: ghcrSecret},
			{Registry: ptc.UpstreamRegistry_Kubernetes(), Prefix: jsii.String("k8scache")},
			{Registry: ptc.UpstreamRegistry_Quay(), Prefix: jsii.String("quaycache")},
		},
		RepositoryTemplate: &ptc.RepositoryTemplateOptions{Scope: ptc.TemplateScope_ANY_PREFIX},
	})

	puller := awsiam.NewRole(stack, jsii.String("Puller"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("May pull images through the ECR pull-through cache"),
	})
	cache.GrantPull(puller)

	// The stack is environment-agnostic, so the URI is a token: `${AWS::AccountId}.dkr.ecr.${AWS::Region}...`.
	alpineURI := cache.ImageUri(jsii.String("alpine:3"))
	awscdk.NewCfnOutput(stack, jsii.String("AlpineImageUri"), &awscdk.CfnOutputProps{
		Description: jsii.String("Alpine in the cache"),
		Value:       alpineURI,
	})
	awscdk.NewCfnOutput(stack, jsii.String("PullExample"), &awscdk.CfnOutputProps{
		Description: jsii.String("Pull Alpine through the cache"),
		Value:       jsii.String("docker pull " + *alpineURI),
	})
	return stack, cache
}

// synth synthesizes the app into outdir and returns the path of the stack's template.
func synth(outdir string) string {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	newReferenceStack(app, stackName, nil)
	assembly := app.Synth(nil)
	return filepath.Join(*assembly.Directory(), *assembly.GetStackByName(jsii.String(stackName)).TemplateFile())
}

// template is the part of a CloudFormation template the summary and the tests read.
type template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
	} `json:"Resources"`
	Outputs map[string]struct {
		Value any `json:"Value"`
	} `json:"Outputs"`
}

func readTemplate(path string) (*template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// ofType returns the properties of the template's resources of a type.
func (t *template) ofType(cfnType string) []map[string]any {
	var found []map[string]any
	for _, r := range t.Resources {
		if r.Type == cfnType {
			found = append(found, r.Properties)
		}
	}
	return found
}

func main() {
	outdir := "cdk.out"
	if len(os.Args) > 1 {
		outdir = os.Args[1]
	}
	defer jsii.Close()

	ref := ptc.ImageReference_Parse(jsii.String("alpine:3"))
	fmt.Printf("ImageReference_Parse(\"alpine:3\") -> %s (domain=%s, repository=%s, tag=%s, isDockerHub=%t)\n",
		*ref.ToString(), *ref.Domain(), *ref.Repository(), *ref.Tag(), *ref.IsDockerHub())

	path := synth(outdir)
	t, err := readTemplate(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("synthesized %s to %s: %d resources\n", stackName, path, len(t.Resources))
	rules := t.ofType("AWS::ECR::PullThroughCacheRule")
	sort.Slice(rules, func(i, j int) bool {
		return fmt.Sprint(rules[i]["EcrRepositoryPrefix"]) < fmt.Sprint(rules[j]["EcrRepositoryPrefix"])
	})
	for _, rule := range rules {
		fmt.Printf("  rule %-12v <- %v\n", rule["EcrRepositoryPrefix"], rule["UpstreamRegistryUrl"])
	}
	var prefixes []any
	for _, tpl := range t.ofType("AWS::ECR::RepositoryCreationTemplate") {
		prefixes = append(prefixes, tpl["Prefix"])
	}
	fmt.Printf("  creation templates: %v\n", prefixes)
	if len(rules) != len(expectedUpstreams) || len(prefixes) != 1 || prefixes[0] != "ROOT" {
		fmt.Fprintln(os.Stderr, "unexpected rules or templates")
		os.Exit(1)
	}
}
