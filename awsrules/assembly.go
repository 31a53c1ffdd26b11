package awsrules

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/problems"
)

// ConfigFieldMetadata is the construct metadata that blames a
// configuration entry for the problems of the construct's resources.
const ConfigFieldMetadata = cfn.ConfigFieldMetadata

// CheckAssembly applies the name and quota rules to every stack of the
// synthesized assembly in dir, grouped by account and region: the names
// and sizes the code produced, whatever the configuration said.
func CheckAssembly(dir string) error {
	a, err := cfn.ReadAssembly(dir)
	if err != nil {
		return err
	}
	return CheckStacks(a.Stacks)
}

type resource struct {
	stack, id, typ string
	props          map[string]any
	// blame is the configuration entry the resource was built from, if
	// the composition named one (ConfigFieldMetadata).
	blame *cfn.ConfigField
}

// owner is who a problem of the resource is reported at: the configuration
// field it was built from, or its stack and construct path.
func (r resource) owner() string {
	if r.blame != nil {
		return r.blame.Field
	}
	return r.stack + "/" + r.id
}

// add reports a problem of the resource's property (suffix: "" for the
// resource itself) at its owner. A configuration field is the owner of what
// every stack built from it holds, so the value names the stack: one
// problem per stack, each saying where.
func (r resource) add(l *problems.List, property string, value any, want string) {
	field := r.owner()
	if property != "" {
		field += " " + property
	}
	if r.blame != nil {
		value = fmt.Sprintf("%v in %s", value, r.stack)
	}
	l.Add(field, value, want)
}

// blameOf is the configuration entry of the construct at path
// ("/<stack>/...") or its nearest ancestor, or nil.
func blameOf(fields map[string]cfn.ConfigField, path string) *cfn.ConfigField {
	for p := path; p != ""; p = p[:max(strings.LastIndex(p, "/"), 0)] {
		if f, ok := fields[p]; ok {
			return &f
		}
	}
	return nil
}

// CheckStacks applies the rules to synthesized stacks; see CheckAssembly.
func CheckStacks(stacks []cfn.Stack) error {
	l := problems.List{Subject: "app: AWS would refuse it"}
	var names []Name
	configured := map[string]string{}      // configuration field -> the value it holds
	subscriptions := map[string][]string{} // FIFO topic ARN (as JSON) -> subscribing resources
	var topics []string
	for _, s := range stacks {
		res := s.Template.Resources("")
		families := map[string]int{} // configuration list (fanout.consumers) -> its resources in the stack
		if b, err := json.Marshal(s.Template); err == nil {
			n := strings.Count(string(b), "{{resolve:")
			if want := TemplateDynamicReferences(n); want != "" {
				l.Add(s.Name, fmt.Sprintf("%d dynamic references", n), want)
			}
		}
		description, _ := s.Template["Description"].(string)
		if want := StackDescription(description); want != "" {
			l.Add(s.Name+" Description", description, want)
		}
		for _, cr := range res {
			r := resource{stack: s.Name, id: cr.LogicalID, typ: cr.Type, props: cr.Props}
			if path := s.Paths[cr.LogicalID]; path != "" {
				r.id = strings.TrimPrefix(path, "/"+s.Name+"/")
				r.blame = blameOf(s.ConfigFields, path)
			}
			if prop, ok := NameProperty[r.typ]; ok {
				if name, ok := r.props[prop].(string); ok {
					scope, _ := r.props["Scope"].(string)
					names = append(names, Name{Kind: r.typ, Account: s.Account, Region: s.Region, Scope: scope, Name: name, Owner: r.owner()})
					if r.blame != nil {
						configured[r.blame.Field] = r.blame.Value
					}
				}
			}
			if r.blame != nil {
				family, _, _ := strings.Cut(r.blame.Field, "[")
				families[family]++
			}
			checkResource(&l, r)
			if r.typ == "AWS::SNS::Subscription" {
				arnJSON, _ := json.Marshal(r.props["TopicArn"])
				if topic := string(arnJSON); strings.Contains(topic, ".fifo") {
					if _, ok := subscriptions[topic]; !ok {
						topics = append(topics, topic)
					}
					subscriptions[topic] = append(subscriptions[topic], r.owner())
				}
			}
		}
		if want := StackResourceCount(len(res)); want != "" {
			field, value := s.Name, fmt.Sprintf("%d resources", len(res))
			if len(families) > 0 {
				// The configuration list with the most resources; the first by name of those.
				family := slices.MaxFunc(slices.Sorted(maps.Keys(families)), func(a, b string) int { return cmp.Compare(families[a], families[b]) })
				field, value = family, fmt.Sprintf("%d of the %d resources of %s", families[family], len(res), s.Name)
			}
			l.Add(field, value, want)
		}
	}
	reportCollisions(&l, names, configured)
	for _, t := range topics {
		if want := SNSFIFOTopicSubscriptions(len(subscriptions[t])); want != "" {
			l.Add("subscriptions to "+t, len(subscriptions[t]), want)
		}
	}
	return l.Err()
}

// reportCollisions reports each physical name taken twice in its
// namespace, once per owner that takes an earlier owner's name: the
// platform's own resources (reported by construct path) before the
// configuration entries, and entries in configuration order, so that the
// entry that reproduces an existing name is blamed. An entry is reported
// once, however many of its resources collide, with its configured value.
func reportCollisions(l *problems.List, names []Name, configured map[string]string) {
	var owners []string
	taken := map[string][]Collision{}
	for _, col := range Collisions(names) {
		sort.SliceStable(col.Owners, func(i, j int) bool { return ownerBefore(col.Owners[i], col.Owners[j], configured) })
		first := col.Owners[0]
		blamed := slices.DeleteFunc(slices.Clone(col.Owners[1:]), func(o string) bool { return o == first })
		if len(blamed) == 0 {
			blamed = col.Owners[:1] // every owner is the same entry: its own resources collide
		}
		for _, o := range blamed {
			if len(taken[o]) == 0 {
				owners = append(owners, o)
			}
			taken[o] = append(taken[o], col)
		}
	}
	for _, o := range owners {
		want := taken[o][0].Want()
		if n := len(taken[o]); n > 1 {
			want += fmt.Sprintf(" (and %d more of its names are taken)", n-1)
		}
		value, ok := configured[o]
		if !ok {
			value = taken[o][0].Name
		}
		l.Add(o, value, want)
	}
}

// ownerBefore orders collision owners: construct paths (the platform's own
// resources) first, then configuration fields in configuration order.
func ownerBefore(a, b string, configured map[string]string) bool {
	_, fa := configured[a]
	_, fb := configured[b]
	if fa != fb {
		return !fa
	}
	return fa && naturalLess(a, b) // construct paths keep the assembly's order
}

// naturalLess compares field paths with their list indexes as numbers:
// consumers[9] before consumers[10].
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		ia, ib := strings.IndexAny(a, "0123456789"), strings.IndexAny(b, "0123456789")
		if ia < 0 || ib < 0 || a[:ia] != b[:ib] {
			return a < b
		}
		a, b = a[ia:], b[ib:]
		na, nb := len(a)-len(strings.TrimLeft(a, "0123456789")), len(b)-len(strings.TrimLeft(b, "0123456789"))
		if na != nb {
			return na < nb
		}
		if a[:na] != b[:nb] {
			return a[:na] < b[:nb]
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) < len(b)
}

func checkResource(l *problems.List, r resource) {
	switch r.typ {
	case "AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm":
		checkAlarm(l, r)
	case "AWS::SQS::QueuePolicy":
		checkQueuePolicy(l, r)
	case "AWS::ApiGateway::UsagePlan":
		r.whole(l, "Throttle.BurstLimit", r.props["Throttle"], "BurstLimit", "a usage plan's BurstLimit")
		r.whole(l, "Quota.Limit", r.props["Quota"], "Limit", "a usage plan's quota")
	case "AWS::ApiGateway::Stage":
		settings, _ := r.props["MethodSettings"].([]any)
		for i, s := range settings {
			r.whole(l, fmt.Sprintf("MethodSettings[%d].ThrottlingBurstLimit", i), s, "ThrottlingBurstLimit", "a stage's ThrottlingBurstLimit")
		}
	case "AWS::WAFv2::WebACL":
		checkWebACL(l, r)
	case "AWS::ApiGateway::RestApi":
		if p, ok := r.props["Policy"]; ok {
			b, _ := json.Marshal(p)
			if want := RestAPIPolicy(len(b)); want != "" {
				r.add(l, "", fmt.Sprintf("a resource policy of %d characters", len(b)), want)
			}
		}
	case "AWS::CloudFront::ResponseHeadersPolicy":
		cfg, _ := r.props["ResponseHeadersPolicyConfig"].(map[string]any)
		sec, _ := cfg["SecurityHeadersConfig"].(map[string]any)
		csp, _ := sec["ContentSecurityPolicy"].(map[string]any)
		if v, ok := csp["ContentSecurityPolicy"].(string); ok {
			if want := ContentSecurityPolicy(v); want != "" {
				r.add(l, "ContentSecurityPolicy", len(v), want)
			}
		}
	}
}

func checkAlarm(l *problems.List, r resource) {
	p := r.props
	if name, ok := p["AlarmName"].(string); ok {
		if want := AlarmName(name); want != "" {
			r.add(l, "AlarmName", len(name), want)
		}
	}
	dp, okD := p["DatapointsToAlarm"].(float64)
	ep, okE := p["EvaluationPeriods"].(float64)
	if okD && okE {
		if want := AlarmDatapoints(int(dp), int(ep)); want != "" {
			r.add(l, "DatapointsToAlarm", int(dp), want)
		}
	}
	if period := alarmPeriod(p); okE && period > 0 {
		if want := AlarmEvaluationRange(period, int(ep)); want != "" {
			r.add(l, "EvaluationPeriods", int(ep), want)
		}
	}
}

// alarmPeriod is an alarm's period in seconds: its own, or the longest of
// its metric queries' (a metric-math alarm states it per query); 0 if none.
func alarmPeriod(p map[string]any) int {
	period, _ := p["Period"].(float64)
	qs, _ := p["Metrics"].([]any)
	for _, q := range qs {
		qm, _ := q.(map[string]any)
		ms, _ := qm["MetricStat"].(map[string]any)
		for _, v := range []any{qm["Period"], ms["Period"]} {
			if f, ok := v.(float64); ok {
				period = max(period, f)
			}
		}
	}
	return int(period)
}

func checkQueuePolicy(l *problems.List, r resource) {
	doc, _ := r.props["PolicyDocument"].(map[string]any)
	stmts := cfn.Statements(doc)
	principals := 0
	for _, st := range stmts {
		principals += countPrincipals(st["Principal"])
	}
	b, _ := json.Marshal(doc)
	for _, want := range SQSPolicy(principals, len(stmts), len(b)) {
		r.add(l, "", fmt.Sprintf("%d principals, %d statements, %d bytes", principals, len(stmts), len(b)), want)
	}
}

// whole reports the number at key of the object obj (a usage plan's
// throttle or quota, a stage's method setting) at property when it is not a
// whole number, which API Gateway needs.
func (r resource) whole(l *problems.List, property string, obj any, key, what string) {
	m, _ := obj.(map[string]any)
	if v, ok := m[key].(float64); ok {
		if want := WholeNumber(v, what); want != "" {
			r.add(l, property, v, want)
		}
	}
}

func checkWebACL(l *problems.List, r resource) {
	check := func(field string, vc any) {
		m, _ := vc.(map[string]any)
		if name, ok := m["MetricName"].(string); ok {
			if want := WAFMetricName(name); want != "" {
				r.add(l, field, name, want)
			}
		}
	}
	check("VisibilityConfig.MetricName", r.props["VisibilityConfig"])
	rules, _ := r.props["Rules"].([]any)
	for i, rule := range rules {
		m, _ := rule.(map[string]any)
		check(fmt.Sprintf("Rules[%d].VisibilityConfig.MetricName", i), m["VisibilityConfig"])
	}
}

// countPrincipals counts the principals of a policy statement: "*" is one,
// each AWS, Service or Federated entry another.
func countPrincipals(p any) int {
	switch v := p.(type) {
	case string:
		return 1
	case map[string]any:
		n := 0
		for _, entries := range v {
			if list, ok := entries.([]any); ok {
				n += len(list)
			} else {
				n++
			}
		}
		return n
	}
	return 0
}
