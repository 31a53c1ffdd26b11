// Package suppress records, next to a resource, that a generic checker's rule
// does not apply to it and why: cdk-nag suppressions and checkov skips.
//
// Each call here is a round trip to the jsii kernel. A resource with several
// findings gathers them with Resource (or Subtree) and records them with one
// call per checker.
package suppress

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Nag records that the cdk-nag rule does not apply to the construct (and its
// children), for the reason given. appliesTo narrows it to findings such as
// "Resource::*" or "Action::kms:GenerateDataKey*".
func Nag(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	Subtree(c).Nag(rule, reason, appliesTo...).Record()
}

// Checkov records, in the template metadata of c's resource (Resource)
// where checkov reads it, that the checkov check does not apply, for the
// reason given.
func Checkov(c constructs.IConstruct, check, reason string) {
	Resource(c).Checkov(check, reason).Record()
}

// checkovSkips by resource; jsii hands back the same Go value for the same
// object. Metadata is written whole, so a later record keeps the earlier skips.
var checkovSkips = map[awscdk.CfnResource][]any{}

// Findings are the rules of the generic checkers that do not apply to one
// construct, gathered to be recorded together (Record).
//
//	suppress.Resource(fn).
//		Nag("Serverless-LambdaDLQ", "Invoked synchronously by its event source mapping.").
//		Checkov("CKV_AWS_116", "Invoked synchronously by its event source mapping.").
//		CfnLint("W3005").
//		Record()
type Findings struct {
	c        constructs.IConstruct
	children bool
	nag      []*cdknag.NagPackSuppression
	checkov  []any
	cfnLint  []string
	// checkers in the order of their first finding: the order of the
	// resource's metadata keys, as if each finding were recorded on its own.
	checkers []string
}

// Resource gathers the findings of c's CloudFormation resource: c itself
// when it is one, else its default child (the resource of an L2 such as a
// queue). cdk-nag's suppressions go on that resource only, not on c's other
// children.
func Resource(c constructs.IConstruct) *Findings { return &Findings{c: c} }

// Subtree gathers findings like Resource, except that cdk-nag's
// suppressions apply to c and every resource under it (an L2's policies,
// an API's methods).
func Subtree(c constructs.IConstruct) *Findings { return &Findings{c: c, children: true} }

// uses notes that the findings include checker's.
func (f *Findings) uses(checker string) {
	if !slices.Contains(f.checkers, checker) {
		f.checkers = append(f.checkers, checker)
	}
}

// Nag adds a cdk-nag rule that does not apply, for the reason given.
// appliesTo narrows it to findings such as "Resource::*" or
// "Action::kms:GenerateDataKey*".
func (f *Findings) Nag(rule, reason string, appliesTo ...string) *Findings {
	f.uses("cdk-nag")
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]any, len(appliesTo))
		for i, a := range appliesTo {
			list[i] = a
		}
		s.AppliesTo = &list
	}
	f.nag = append(f.nag, s)
	return f
}

// Checkov adds a checkov check that does not apply, for the reason given.
func (f *Findings) Checkov(check, reason string) *Findings {
	f.uses("checkov")
	f.checkov = append(f.checkov, map[string]any{"id": check, "comment": reason})
	return f
}

// CfnLint adds cfn-lint rules that do not apply. cfn-lint's metadata has no
// place for a reason: give it in a comment at the call.
func (f *Findings) CfnLint(rules ...string) *Findings {
	f.uses("cfn-lint")
	f.cfnLint = append(f.cfnLint, rules...)
	return f
}

// Record records the findings: one call per checker that has any.
func (f *Findings) Record() {
	// checkov's and cfn-lint's metadata go on c's resource; cdk-nag needs none.
	r, isResource := f.c.(awscdk.CfnResource)
	if !isResource && slices.ContainsFunc(f.checkers, func(c string) bool { return c != "cdk-nag" }) {
		r = f.c.Node().DefaultChild().(awscdk.CfnResource)
	}
	for _, checker := range f.checkers {
		switch checker {
		case "cdk-nag":
			// Without children, cdk-nag suppresses on the construct's
			// default child when it has one: its resource.
			cdknag.NagSuppressions_AddResourceSuppressions(f.c, &f.nag, jsii.Bool(f.children))
		case "checkov":
			skips := append(checkovSkips[r], f.checkov...)
			checkovSkips[r] = skips
			r.AddMetadata(jsii.String("checkov"), map[string]any{"skip": skips})
		case "cfn-lint":
			r.AddMetadata(jsii.String("cfn-lint"), map[string]any{"config": map[string]any{"ignore_checks": f.cfnLint}})
		}
	}
}
