module github.com/cdk-pull-through-cache/cdk-pull-through-cache/consumers/go

go 1.25.0

require (
	github.com/aws/aws-cdk-go/awscdk/v2 v2.257.0
	github.com/aws/constructs-go/constructs/v10 v10.5.1
	github.com/aws/jsii-runtime-go v1.140.0
	github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache v0.0.0
)

require (
	github.com/Masterminds/semver/v3 v3.5.0 // indirect
	github.com/cdklabs/awscdk-asset-awscli-go/awscliv1/v2 v2.2.273 // indirect
	github.com/cdklabs/awscdk-asset-node-proxy-agent-go/nodeproxyagentv6/v2 v2.1.3 // indirect
	github.com/cdklabs/cloud-assembly-schema-go/awscdkcloudassemblyschema/v53 v53.28.0 // indirect
)

// The library as jsii-pacmak generates it (`jsii-pacmak --target go --code-only`, run by
// scripts/consumers/go.sh): the module is not published, so it comes from dist/.
replace github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache => ../../dist/go/cdkpullthroughcache

// Versions the Go module proxy reachable here refuses (403 "This module version is not available"),
// replaced by the nearest version it serves. Drop these lines where the proxy serves the originals.
//
// cloud-assembly-schema-go: awscdk v2.257.0 asks for v53.25.0, the generated module for v53.28.0;
// the proxy serves no v53 but v53.0.0. Its Initialize() loads @aws-cdk/cloud-assembly-schema 53.0.0
// into the jsii kernel, which aws-cdk-lib then uses; main_test.go proves the app still synthesizes
// and its cloud assembly is readable.
replace github.com/cdklabs/cloud-assembly-schema-go/awscdkcloudassemblyschema/v53 => github.com/cdklabs/cloud-assembly-schema-go/awscdkcloudassemblyschema/v53 v53.0.0

// awscdk-asset-node-proxy-agent-go: the generated module asks for v2.1.3 (refused); awscdk itself
// needs >= v2.1.1 (aws-cdk-lib: "@aws-cdk/asset-node-proxy-agent-v6": "^2.1.1"); v2.1.2 is served.
replace github.com/cdklabs/awscdk-asset-node-proxy-agent-go/nodeproxyagentv6/v2 => github.com/cdklabs/awscdk-asset-node-proxy-agent-go/nodeproxyagentv6/v2 v2.1.2
