// Checks kubernetesImageRewrite()'s manifests against the real types and CEL environments:
// a MutatingAdmissionPolicy and its binding are decoded strictly (unknown fields refused) into
// k8s.io/api's admissionregistration.k8s.io/v1 types, and every CEL expression is compiled by
// k8s.io/apiserver's admission compiler in the environment the API server uses for a new policy
// (environment.NewExpressions); a Kyverno MutatingPolicy is decoded strictly into Kyverno's
// policies.kyverno.io/v1 type. Built inside the Kyverno v1.19.1 module (k8s.io/* v0.36.3).
//
// Usage: go run ./ptc-schema <manifests.json>... ; prints "ok <file>" or the problems, exits 1.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	policiesv1 "github.com/kyverno/api/api/policies.kyverno.io/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	"k8s.io/apiserver/pkg/cel/environment"
	sjson "sigs.k8s.io/json"
)

// strict decodes as the API server does: field names case-sensitive, unknown and duplicate fields refused.
func strict(raw json.RawMessage, into any) error {
	strictErrors, err := sjson.UnmarshalStrict(raw, into)
	if err != nil {
		return err
	}
	if len(strictErrors) > 0 {
		return errors.Join(strictErrors...)
	}
	return nil
}

func main() {
	failed := false
	report := func(file string, format string, args ...any) {
		failed = true
		fmt.Printf("FAIL %s: %s\n", file, fmt.Sprintf(format, args...))
	}
	compiler := plugincel.NewCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	opts := plugincel.OptionalVariableDeclarations{HasAuthorizer: true}
	patchOpts := opts
	patchOpts.HasPatchTypes = true
	for _, file := range os.Args[1:] {
		data, err := os.ReadFile(file)
		if err != nil {
			report(file, "%v", err)
			continue
		}
		var manifests []json.RawMessage
		if err := json.Unmarshal(data, &manifests); err != nil {
			report(file, "%v", err)
			continue
		}
		expressions := 0
		for i, raw := range manifests {
			var head struct{ APIVersion, Kind string }
			_ = json.Unmarshal(raw, &head)
			switch head.APIVersion + " " + head.Kind {
			case "admissionregistration.k8s.io/v1 MutatingAdmissionPolicy":
				var policy admissionv1.MutatingAdmissionPolicy
				if err := strict(raw, &policy); err != nil {
					report(file, "manifest %d: %v", i, err)
					continue
				}
				for _, c := range policy.Spec.MatchConditions {
					result := compiler.CompileCELExpression((*matchconditions.MatchCondition)(&c), opts, environment.NewExpressions)
					expressions++
					if result.Error != nil {
						report(file, "matchCondition %s: %v", c.Name, result.Error)
					}
				}
				for j, m := range policy.Spec.Mutations {
					if m.PatchType != admissionv1.PatchTypeJSONPatch || m.JSONPatch == nil {
						report(file, "mutation %d is not a JSONPatch", j)
						continue
					}
					result := compiler.CompileCELExpression(&patch.JSONPatchCondition{Expression: m.JSONPatch.Expression}, patchOpts, environment.NewExpressions)
					expressions++
					if result.Error != nil {
						report(file, "mutation %d: %v", j, result.Error)
					}
				}
			case "admissionregistration.k8s.io/v1 MutatingAdmissionPolicyBinding":
				var binding admissionv1.MutatingAdmissionPolicyBinding
				if err := strict(raw, &binding); err != nil {
					report(file, "manifest %d: %v", i, err)
				}
			case "policies.kyverno.io/v1 MutatingPolicy":
				var policy policiesv1.MutatingPolicy
				if err := strict(raw, &policy); err != nil {
					report(file, "manifest %d: %v", i, err)
				}
			default:
				report(file, "manifest %d: unexpected %s %s", i, head.APIVersion, head.Kind)
			}
		}
		fmt.Printf("checked %s: %d manifests, %d CEL expressions compiled\n", file, len(manifests), expressions)
	}
	if failed {
		os.Exit(1)
	}
}
