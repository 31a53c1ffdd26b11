// Package diagram draws the architecture from the synthesized templates as
// Graphviz DOT: an overview of regions and stacks with the paths between
// them, and one diagram per stack of its main resources and how they refer
// to each other. Nothing is drawn by hand; `make diagram` renders the DOT
// files to SVG with Graphviz.
package diagram

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/brokerage/platform/internal/cfn"
)

// shown are the resource types drawn, with their short labels; the rest
// (policies, alarms, permissions...) are counted, not drawn.
var shown = map[string]string{
	"AWS::SQS::Queue":               "SQS queue",
	"AWS::SNS::Topic":               "SNS topic",
	"AWS::SNS::Subscription":        "subscription",
	"AWS::Lambda::Function":         "Lambda",
	"AWS::KMS::Key":                 "KMS key",
	"AWS::ApiGateway::RestApi":      "REST API",
	"AWS::CloudFront::Distribution": "CloudFront",
	"AWS::S3::Bucket":               "S3 bucket",
	"AWS::WAFv2::WebACL":            "WAF web ACL",
	"AWS::CloudWatch::Dashboard":    "dashboard",
}

// Overview is the regions, their stacks, and the paths between stacks:
// deploy dependencies and cross-region subscriptions.
func Overview(a *cfn.Assembly) string {
	stacks := slices.SortedFunc(slices.Values(a.Stacks), func(x, y cfn.Stack) int { return strings.Compare(x.Name, y.Name) })
	var b strings.Builder
	b.WriteString("digraph overview {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=Helvetica];\n  edge [fontname=Helvetica, fontsize=10];\n")
	byRegion := map[string][]cfn.Stack{}
	for _, s := range stacks {
		r := s.RegionOrName()
		byRegion[r] = append(byRegion[r], s)
	}
	for _, r := range slices.Sorted(maps.Keys(byRegion)) {
		fmt.Fprintf(&b, "  subgraph \"cluster_%s\" {\n    label=%q;\n", r, r)
		for _, s := range byRegion[r] {
			fmt.Fprintf(&b, "    %q [label=%s];\n", s.Name, label(s.Name, summary(s.Template)))
		}
		b.WriteString("  }\n")
	}
	for _, s := range stacks {
		for _, d := range s.DependsOn {
			fmt.Fprintf(&b, "  %q -> %q [style=dashed, label=\"deploys after\"];\n", s.Name, d)
		}
	}
	// Cross-region subscriptions: the topic's region's ingest stack feeds this stack.
	for _, s := range stacks {
		topics := map[string]bool{}
		for _, sub := range s.Template.Resources("AWS::SNS::Subscription") {
			if arn, ok := sub.Props["TopicArn"].(string); ok && strings.Contains(arn, ":sns:") {
				topics[arn] = true
			}
		}
		for _, arn := range slices.Sorted(maps.Keys(topics)) {
			region := cfn.ARNRegion(arn)
			for _, src := range byRegion[region] {
				if strings.HasSuffix(src.Name, "-ingest") {
					fmt.Fprintf(&b, "  %q -> %q [label=%q, color=blue];\n", src.Name, s.Name, "trade executions")
				}
			}
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// label is a two-line DOT label.
func label(first, second string) string {
	esc := strings.NewReplacer(`"`, `\"`, `\`, `\\`)
	return `"` + esc.Replace(first) + `\n` + esc.Replace(second) + `"`
}

// summary counts a stack's main resources.
func summary(t cfn.Template) string {
	counts := map[string]int{}
	for _, r := range t.Resources("") {
		if l, ok := shown[r.Type]; ok {
			counts[l]++
		} else if r.Type == "AWS::CloudWatch::Alarm" || r.Type == "AWS::CloudWatch::CompositeAlarm" {
			counts["alarm"]++
		}
	}
	keys := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return strings.Join(parts, ", ")
}

// Stack draws one stack's main resources and the references between them.
func Stack(name string, t cfn.Template) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n  label=%q;\n  node [shape=box, style=rounded, fontname=Helvetica];\n", name, name+" (alarms, policies and roles not drawn)")
	drawn := map[string]bool{}
	for _, r := range t.Resources("") {
		l, ok := shown[r.Type]
		if !ok {
			continue
		}
		drawn[r.LogicalID] = true
		fmt.Fprintf(&b, "  %q [label=%s];\n", r.LogicalID, label(l, resourceName(r)))
	}
	var edges []string
	for _, r := range t.Resources("") {
		if !drawn[r.LogicalID] {
			continue
		}
		for _, ref := range refs(r.Props) {
			if drawn[ref] && ref != r.LogicalID {
				edges = append(edges, fmt.Sprintf("  %q -> %q;\n", r.LogicalID, ref))
			}
		}
	}
	// Event source mappings connect a queue to the function that consumes it.
	for _, m := range t.Resources("AWS::Lambda::EventSourceMapping") {
		q, f := cfn.Ref(m.Props["EventSourceArn"]), cfn.Ref(m.Props["FunctionName"])
		if drawn[q] && drawn[f] {
			edges = append(edges, fmt.Sprintf("  %q -> %q [label=\"consumed by\"];\n", q, f))
		}
	}
	slices.Sort(edges)
	for _, e := range slices.Compact(edges) {
		b.WriteString(e)
	}
	b.WriteString("}\n")
	return b.String()
}

func resourceName(r cfn.Resource) string {
	for _, k := range []string{"QueueName", "TopicName", "Name", "DashboardName"} {
		if s, ok := r.Props[k].(string); ok {
			return s
		}
	}
	return r.LogicalID
}

// refs lists the logical IDs a resource's properties refer to.
func refs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if id := cfn.Ref(v); id != "" {
			return []string{id}
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = append(out, refs(v[k])...)
		}
	case []any:
		for _, e := range v {
			out = append(out, refs(e)...)
		}
	}
	return out
}

// Files are every diagram of the assembly, by file name.
func Files(a *cfn.Assembly) map[string]string {
	out := map[string]string{"overview.dot": Overview(a)}
	for _, s := range a.Stacks {
		out[s.Name+".dot"] = Stack(s.Name, s.Template)
	}
	return out
}
