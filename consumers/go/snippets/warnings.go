package snippets

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	ptc "github.com/cdk-pull-through-cache/cdk-pull-through-cache-go/cdkpullthroughcache"
)

// AcknowledgingAWarning is docs/limits.md's "Acknowledging a warning".
//
// ts-sha256: efe334d544fe016d
func AcknowledgingAWarning(this awscdk.Stack) {
	var cache ptc.PullThroughCache

	awscdk.Annotations_Of(awscdk.Stack_Of(cache)).AcknowledgeWarning(jsii.String("cdk-pull-through-cache:immutableTags"), jsii.String("Tags are pinned on purpose"))
}
