// Package cfn reads synthesized CloudFormation templates from the cloud
// assembly's files: after the one synthesis, everything is plain Go on maps.
package cfn

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Template is a synthesized template as decoded JSON.
type Template map[string]any

// Resource is one resource of a template.
type Resource struct {
	LogicalID string
	Type      string
	Props     map[string]any
	Raw       map[string]any // the whole resource, with DeletionPolicy, DependsOn, Metadata
}

// NewApp returns an app for tests that synthesizes as `cdk synth` does: with
// the feature flags of the project's cdk.json and the construct path recorded
// on every resource (so that tests find resources with ByPath), writing to
// outdir, without stack traces.
func NewApp(outdir string) awscdk.App {
	ctx := projectContext()
	ctx["aws:cdk:enable-path-metadata"] = true
	ctx["aws:cdk:enable-asset-metadata"] = true
	return awscdk.NewApp(&awscdk.AppProps{
		Outdir:      &outdir,
		StackTraces: jsii.Bool(false),
		Context:     &ctx,
	})
}

// projectContext reads the "context" of the nearest cdk.json above the
// working directory (go test runs in the package's directory).
func projectContext() map[string]any {
	dir, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "cdk.json"))
		if err == nil {
			var f struct {
				Context map[string]any `json:"context"`
			}
			if err := json.Unmarshal(b, &f); err != nil {
				panic(fmt.Sprintf("%s: %v", filepath.Join(dir, "cdk.json"), err))
			}
			return f.Context
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("no cdk.json above the working directory")
		}
		dir = parent
	}
}

// SynthOrViolations synthesizes like Synth; when synthesis fails validation
// (error annotations, such as cdk-nag errors, fail it), it returns the
// violations from outdir's validation report instead of panicking.
func SynthOrViolations(app awscdk.App, outdir string) (asm *Assembly, violations []string) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if !strings.Contains(fmt.Sprint(r), "ValidationFailed") {
			panic(r)
		}
		b, err := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
		if err != nil {
			panic(fmt.Sprintf("%v (and no report: %v)", r, err))
		}
		var report struct {
			PluginReports []struct {
				Violations []struct {
					Description         string `json:"description"`
					ViolatingConstructs []struct {
						ConstructPath string `json:"constructPath"`
					} `json:"violatingConstructs"`
				} `json:"violations"`
			} `json:"pluginReports"`
		}
		if err := json.Unmarshal(b, &report); err != nil {
			panic(err)
		}
		for _, p := range report.PluginReports {
			for _, v := range p.Violations {
				for _, c := range v.ViolatingConstructs {
					violations = append(violations, c.ConstructPath+": "+strings.TrimSpace(v.Description))
				}
			}
		}
		asm = nil
	}()
	return Synth(app), nil
}

// Synth synthesizes the app once and reads every stack (ReadAssembly).
func Synth(app awscdk.App) *Assembly {
	out, err := ReadAssembly(*app.Synth(nil).Directory())
	if err != nil {
		panic(err)
	}
	return out
}

// Stack returns the stack named name. It panics when the assembly has
// none: a misspelled name would otherwise read as an empty stack.
func (a *Assembly) Stack(name string) Stack {
	i := slices.IndexFunc(a.Stacks, func(s Stack) bool { return s.Name == name })
	if i < 0 {
		panic(fmt.Sprintf("cfn: the assembly has no stack %q", name))
	}
	return a.Stacks[i]
}

// Resources returns every resource of the given type (all when typ is ""),
// sorted by logical ID.
func (t Template) Resources(typ string) []Resource {
	res, _ := t["Resources"].(map[string]any)
	var out []Resource
	for id, v := range res {
		r := v.(map[string]any)
		if typ != "" && r["Type"] != typ {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		out = append(out, Resource{LogicalID: id, Type: r["Type"].(string), Props: props, Raw: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// Resource returns the resource with the logical ID, or fails.
func (t Template) Resource(id string) (Resource, error) {
	for _, r := range t.Resources("") {
		if r.LogicalID == id {
			return r, nil
		}
	}
	return Resource{}, fmt.Errorf("no resource %q", id)
}

// ByPath returns the resource whose aws:cdk:path ends with the construct path
// suffix (e.g. "Fanout/holdings/Queue/Resource"), so tests name constructs,
// not generated logical IDs.
func (t Template) ByPath(suffix string) (Resource, error) {
	var found []Resource
	for _, r := range t.Resources("") {
		md, _ := r.Raw["Metadata"].(map[string]any)
		p, _ := md["aws:cdk:path"].(string)
		if strings.HasSuffix(p, "/"+suffix) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return Resource{}, fmt.Errorf("%d resources at construct path */%s, want 1", len(found), suffix)
	}
	return found[0], nil
}

// Ref is the logical ID a {"Ref": id} or {"Fn::GetAtt": [id, ...]} points to, or "".
func Ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		id, _ := ga[0].(string)
		return id
	}
	return ""
}

// ARNName is the last field of an ARN: a queue's or a topic's name.
func ARNName(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// ARNRegion is the region field of an ARN; "" when arn has fewer than an
// ARN's six fields.
func ARNRegion(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 {
		return ""
	}
	return parts[3]
}

// DeadLetterQueue is the dead-letter queue the resource's RedrivePolicy
// names: id when it refers to a resource of the template, else the name
// its ARN ends with (ARN); both "" when it names none.
func (r Resource) DeadLetterQueue() (id, name string) {
	rp, _ := r.Props["RedrivePolicy"].(map[string]any)
	if id := Ref(rp["deadLetterTargetArn"]); id != "" {
		return id, ""
	}
	return "", ARNName(ARN(rp["deadLetterTargetArn"]))
}

// DeadLetterQueues are the queues an app names as a dead-letter queue (in
// a queue's or a subscription's redrive policy): by logical ID within the
// stack that names them, by queue name across stacks.
type DeadLetterQueues struct {
	byID   map[string]map[string]bool // stack name -> logical IDs
	byName map[string]bool
}

// FindDeadLetterQueues collects the dead-letter queues stacks name.
func FindDeadLetterQueues(stacks []Stack) DeadLetterQueues {
	d := DeadLetterQueues{byID: map[string]map[string]bool{}, byName: map[string]bool{}}
	for _, s := range stacks {
		d.byID[s.Name] = map[string]bool{}
		for _, r := range s.Template.Resources("") {
			if id, name := r.DeadLetterQueue(); id != "" {
				d.byID[s.Name][id] = true
			} else if name != "" {
				d.byName[name] = true
			}
		}
	}
	return d
}

// Has reports whether q, a queue of the stack named stack, is one of them.
func (d DeadLetterQueues) Has(stack string, q Resource) bool {
	name, _ := q.Props["QueueName"].(string)
	return d.byID[stack][q.LogicalID] || name != "" && d.byName[name]
}

// Statements returns the Statement list of a policy document property.
func Statements(doc any) []map[string]any {
	d, _ := doc.(map[string]any)
	list, _ := d["Statement"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, s := range list {
		out = append(out, s.(map[string]any))
	}
	return out
}

// Strings turns a string or a list of strings (as IAM writes either) into a list.
func Strings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, s := range v {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

// ARN is an ARN given as a string or as a {"Fn::Join": ["", [...]]} of
// strings and tokens (a partition or account reference), with each token
// written as "*"; "" for anything else.
func ARN(v any) string {
	return join(v, func(any) string { return "*" })
}

// Joined is a string given as a string or as a {"Fn::Join": [sep, [...]]}
// of strings and references, each reference written as ${id} or
// ${id.attribute}: a dashboard body, with the tokens it holds.
func Joined(v any) string {
	return join(v, func(ref any) string { return "${" + reference(ref) + "}" })
}

// NagName is v, a string or an Fn::Join as Stack.Resolve gives it, as
// cdk-nag's findings (and so appliesTo) write it: each reference as <id>
// or <id.attribute>.
func NagName(v any) string {
	return join(v, func(ref any) string { return "<" + reference(ref) + ">" })
}

// reference is the id, or id.attribute, that a Ref or Fn::GetAtt names.
func reference(ref any) string {
	if ga, ok := ref.(map[string]any)["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		return fmt.Sprintf("%v.%v", ga[0], ga[1])
	}
	return Ref(ref)
}

// join is v as a string, an Fn::Join's tokens written by token; "" when v
// is neither a string nor an Fn::Join.
func join(v any, token func(any) string) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		j, ok := v["Fn::Join"].([]any)
		if !ok || len(j) != 2 {
			return ""
		}
		sep, _ := j[0].(string)
		parts, _ := j[1].([]any)
		out := make([]string, len(parts))
		for i, p := range parts {
			if s, ok := p.(string); ok {
				out[i] = s
			} else {
				out[i] = token(p)
			}
		}
		return strings.Join(out, sep)
	}
	return ""
}

// OrderingMetadata is the resource metadata key in which a queue declares an
// ordering policy that replaces a dead-letter queue. The guard rules and the
// alarm coverage check read it, so that a queue without a redrive policy is
// accepted only when it says why.
const OrderingMetadata = "brokerage:ordering"

// Ordering policies a queue can declare in OrderingMetadata.
const (
	// OrderingStall: the queue keeps a failing message (and the rest of its
	// message group) until it succeeds or an operator moves it, rather than
	// dead-letter it and let later messages of its group overtake it. Its
	// age alarm tells operations; the runbook says how to unblock it.
	OrderingStall = "stall"
	// OrderingParking: a queue nothing redrives into automatically, where an
	// operator parks a message taken out of a stalled queue. It is alarmed
	// like a dead-letter queue.
	OrderingParking = "parking"
)

// Ordering is the ordering policy a resource declares, or "".
func (r Resource) Ordering() string {
	md, _ := r.Raw["Metadata"].(map[string]any)
	s, _ := md[OrderingMetadata].(string)
	return s
}
