package guard

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
)

// Plugin runs the rules as an aws-cdk-lib validation plugin: after every
// synthesis the CDK hands it the templates, and any violation fails the
// synthesis (the CLI exits non-zero, nothing is deployable).
//
// Example:
//
//	awscdk.Validations_Of(app).AddPlugins(guard.NewPlugin())
type Plugin struct{}

// NewPlugin returns the plugin.
func NewPlugin() *Plugin { return &Plugin{} }

// Name implements awscdk.IPolicyValidationPlugin.
func (*Plugin) Name() *string { return jsii.String("nothing-lost") }

// Version implements awscdk.IPolicyValidationPlugin.
func (*Plugin) Version() *string { return jsii.String("1") }

// RuleIds implements awscdk.IPolicyValidationPlugin.
func (*Plugin) RuleIds() *[]*string {
	ids := make([]*string, len(Rules))
	for i, r := range Rules {
		ids[i] = jsii.String(r.ID)
	}
	return &ids
}

// Validate implements awscdk.IPolicyValidationPlugin.
func (*Plugin) Validate(ctx awscdk.IPolicyValidationContext) *awscdk.PolicyValidationPluginReport {
	var stacks []Stack
	paths := map[string]string{}
	// The assembly's manifest, written before the plugins run, gives each
	// template, its stack and region without a round trip to the jsii kernel
	// (the context's StackTemplates cost one per field of every stack).
	byPath := map[string]cfn.Stack{}
	for _, p := range *ctx.TemplatePaths() {
		path := *p
		s, read := byPath[path]
		if !read {
			asm, err := cfn.ReadAssembly(filepath.Dir(path))
			if err != nil {
				panic(err)
			}
			for _, st := range asm.Stacks {
				byPath[st.TemplatePath] = st
			}
			if s, read = byPath[path]; !read {
				panic(fmt.Errorf("%s: not a stack of the cloud assembly in its folder", path))
			}
		}
		name := strings.TrimSuffix(filepath.Base(path), ".template.json")
		paths[name] = path
		stacks = append(stacks, Stack{Name: name, Region: s.Region, Template: s.Template})
	}
	violations := []*awscdk.PolicyViolation{}
	descriptions := map[string]string{}
	for _, r := range Rules {
		descriptions[r.ID] = r.Description
	}
	for _, v := range Check(stacks) {
		res := &awscdk.PolicyViolatingResource{Locations: &[]*string{jsii.String("Resources/" + v.LogicalID)}, TemplatePath: jsii.String(paths[v.Stack])}
		if v.LogicalID != "" {
			res.ResourceLogicalId = jsii.String(v.LogicalID)
		}
		violations = append(violations, &awscdk.PolicyViolation{
			RuleName:           jsii.String(v.Rule),
			Description:        jsii.String(descriptions[v.Rule] + " " + v.Message),
			Severity:           jsii.String("error"),
			ViolatingResources: &[]*awscdk.PolicyViolatingResource{res},
		})
	}
	return &awscdk.PolicyValidationPluginReport{Success: jsii.Bool(len(violations) == 0), Violations: &violations}
}

var installed sync.Map // app node addresses

// Install adds the plugin to the app scope belongs to, once per app: each
// construct whose guarantees the rules check calls it, so that they apply
// wherever it is used. Outside an app (a bare stack in a test) it does
// nothing.
func Install(scope constructs.IConstruct) {
	root := scope.Node().Root()
	if !*awscdk.App_IsApp(root) {
		return
	}
	if _, done := installed.LoadOrStore(*root.Node().Addr(), true); !done {
		awscdk.Validations_Of(root).AddPlugins(NewPlugin())
	}
}
