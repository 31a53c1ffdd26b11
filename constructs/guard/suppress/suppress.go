// Package suppress records, next to a resource, that a generic checker's rule
// does not apply to it and why: cdk-nag suppressions and checkov skips.
package suppress

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Nag records that the cdk-nag rule does not apply to the construct (and its
// children), for the reason given. appliesTo narrows it to findings such as
// "Resource::*" or "Action::kms:GenerateDataKey*".
func Nag(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]any, len(appliesTo))
		for i, a := range appliesTo {
			list[i] = a
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// Checkov records, in the resource's template metadata where checkov reads
// it, that the checkov check does not apply, for the reason given.
func Checkov(r awscdk.CfnResource, check, reason string) {
	// The skips so far are kept on the Go side: one round trip per call.
	skips := append(checkovSkips[r], map[string]any{"id": check, "comment": reason})
	checkovSkips[r] = skips
	r.AddMetadata(jsii.String("checkov"), map[string]any{"skip": skips})
}

// checkovSkips by resource; jsii hands back the same Go value for the same object.
var checkovSkips = map[awscdk.CfnResource][]any{}

// CfnLint records, in the resource's template metadata where cfn-lint reads
// it, that the cfn-lint rules do not apply to the resource. cfn-lint's
// metadata has no place for a reason: give it in a comment at the call.
func CfnLint(r awscdk.CfnResource, rules ...string) {
	r.AddMetadata(jsii.String("cfn-lint"), map[string]any{"config": map[string]any{"ignore_checks": rules}})
}
