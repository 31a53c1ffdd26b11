package alarms

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/brokerage/platform/internal/cfn"
)

// Namespaces maps the CloudFormation types the reference has alarms for to
// their CloudWatch namespace. A template resource of one of these types must
// classify to a kind, or CheckCoverage reports it.
var Namespaces = map[string]string{
	"AWS::SQS::Queue":               "AWS/SQS",
	"AWS::SNS::Topic":               "AWS/SNS",
	"AWS::Lambda::Function":         "AWS/Lambda",
	"AWS::ApiGateway::Stage":        "AWS/ApiGateway",
	"AWS::ApiGatewayV2::Stage":      "AWS/ApiGateway",
	"AWS::CloudFront::Distribution": "AWS/CloudFront",
	"AWS::S3::Bucket":               "AWS/S3",
}

// CheckCatalogue reports reference alarms that no kind of the catalogue
// decided on (neither created nor exempted with a reason), and catalogue
// alarms that are not in the reference.
func CheckCatalogue(refs []Reference) []string {
	var out []string
	for _, k := range Kinds() {
		ks := Catalogue[k]
		decided := map[string]bool{}
		for _, s := range ks.Alarms {
			decided[s.Metric] = true
		}
		for m, why := range ks.Exempt {
			if strings.TrimSpace(why) == "" {
				out = append(out, fmt.Sprintf("%s: exemption of %s has no reason", k, m))
			}
			decided[m] = true
		}
		inRef := map[string]bool{}
		for _, r := range refs {
			if r.Namespace != ks.Namespace && !(k == KindFunction && r.Namespace == "LambdaInsights") {
				continue
			}
			if !appliesTo(r, ks) {
				continue
			}
			inRef[r.Metric] = true
			if !decided[r.Metric] && !(k == KindFunction && r.Metric == AccountConcurrency.Metric) {
				out = append(out, fmt.Sprintf("%s: recommended alarm %s %s%v is neither created nor exempted", k, r.Namespace, r.Metric, r.Dimensions))
			}
		}
		for _, s := range ks.Alarms {
			if !inRef[s.Metric] && strings.TrimSpace(s.Beyond) == "" {
				out = append(out, fmt.Sprintf("%s: alarm %s is not in the reference and says not why it is created (Beyond)", k, s.Metric))
			}
		}
	}
	return out
}

// appliesTo: a reference alarm applies to a kind when its dimensions, less
// the kind's fixed ones, are the kind's dimensions (a per-resource alarm;
// for Lambda Insights in its lower-case spelling), or none (account-level).
func appliesTo(r Reference, ks KindSpec) bool {
	fixed := map[string]bool{}
	for i := 0; i < len(ks.Fixed); i += 2 {
		fixed[ks.Fixed[i]] = true
	}
	var ds []string
	for _, d := range r.Dimensions {
		if !strings.Contains(d, "=") && !fixed[d] {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return len(r.Dimensions) == 0 // account-level
	}
	if len(ds) != len(ks.Dimensions) {
		return false
	}
	for _, d := range ds {
		named := func(k string) bool { return strings.EqualFold(strings.ReplaceAll(d, "_", ""), k) }
		if !slices.ContainsFunc(ks.Dimensions, named) {
			return false
		}
	}
	return true
}

type alarmInfo struct {
	stack   string
	id      string
	metrics map[string]bool // metric names it evaluates
	targets map[string]bool // logical IDs (or literal names) its dimensions point to
	actions bool
}

// CheckCoverage walks synthesized templates and reports every resource that
// lacks an alarm its kind requires, every resource of an alarmed type that
// classifies to no kind, every alarm without ALARM and OK actions or
// without exactly one severity, and every broken session schedule
// (checkRouting).
func CheckCoverage(templates map[string]cfn.Template) []string {
	stackNames := slices.Sorted(maps.Keys(templates))
	cv := &coverage{alarmTopics: map[string]bool{}, dlqs: map[string]bool{}, logBuckets: map[string]bool{}}
	var out []string
	for _, name := range stackNames {
		out = append(out, cv.readAlarms(name, templates[name])...)
		cv.readTargets(templates[name])
	}
	regionsWithFunctions := map[string]bool{}
	regionsWithConcurrencyAlarm := map[string]bool{}
	for _, name := range stackNames {
		found, functions := cv.checkStack(name, templates[name])
		out = append(out, found...)
		if functions {
			regionsWithFunctions[regionOf(name)] = true
		}
		for _, a := range cv.alarms {
			if a.stack == name && a.metrics[AccountConcurrency.Metric] {
				regionsWithConcurrencyAlarm[regionOf(name)] = true
			}
		}
	}
	for r := range regionsWithFunctions {
		if !regionsWithConcurrencyAlarm[r] {
			out = append(out, fmt.Sprintf("region %s runs functions but has no %s alarm", r, AccountConcurrency.Metric))
		}
	}
	out = append(out, checkRouting(templates)...)
	sort.Strings(out)
	return out
}

// coverage is what CheckCoverage learns from every template before it
// checks any resource.
type coverage struct {
	alarms      []alarmInfo
	alarmTopics map[string]bool // logical IDs and ARNs used as alarm actions
	dlqs        map[string]bool // logical IDs and queue names targeted by a redrive policy
	logBuckets  map[string]bool // buckets that receive S3 access logs or CloudFront logs
}

// readAlarms records the alarms of stack and reports those without both
// ALARM and OK actions.
func (cv *coverage) readAlarms(stack string, t cfn.Template) []string {
	var out []string
	for _, r := range t.Resources("AWS::CloudWatch::Alarm") {
		a := alarmInfo{stack: stack, id: r.LogicalID, metrics: map[string]bool{}, targets: map[string]bool{}}
		acts, _ := r.Props["AlarmActions"].([]any)
		oks, _ := r.Props["OKActions"].([]any)
		a.actions = len(acts) > 0 && len(oks) > 0
		for _, act := range acts {
			cv.alarmTopics[cfn.Ref(act)] = true
		}
		a.addMetric(r.Props)
		qs, _ := r.Props["Metrics"].([]any)
		for _, q := range qs {
			if ms, ok := q.(map[string]any)["MetricStat"].(map[string]any); ok {
				a.addMetric(ms["Metric"].(map[string]any))
			}
		}
		if !a.actions {
			out = append(out, fmt.Sprintf("%s: alarm %s has no ALARM and OK actions", stack, r.LogicalID))
		}
		cv.alarms = append(cv.alarms, a)
	}
	return out
}

// addMetric records the metric name and dimension values of m, an alarm's
// properties or one of its metric queries' metric.
func (a *alarmInfo) addMetric(m map[string]any) {
	if n, ok := m["MetricName"].(string); ok {
		a.metrics[n] = true
	}
	dims, _ := m["Dimensions"].([]any)
	for _, d := range dims {
		v := d.(map[string]any)["Value"]
		if id := cfn.Ref(v); id != "" {
			a.targets[id] = true
		} else if s, ok := v.(string); ok {
			a.targets[s] = true
		}
	}
}

// readTargets records the log buckets and dead-letter queues of t.
func (cv *coverage) readTargets(t cfn.Template) {
	for _, r := range t.Resources("") {
		if lc, ok := r.Props["LoggingConfiguration"].(map[string]any); ok {
			cv.logBuckets[cfn.Ref(lc["DestinationBucketName"])] = true
		}
		if dc, ok := r.Props["DistributionConfig"].(map[string]any); ok {
			if lg, ok := dc["Logging"].(map[string]any); ok {
				cv.logBuckets[cfn.Ref(lg["Bucket"])] = true
			}
		}
		if rp, ok := r.Props["RedrivePolicy"].(map[string]any); ok {
			target := rp["deadLetterTargetArn"]
			if id := cfn.Ref(target); id != "" {
				cv.dlqs[id] = true
			} else if s := cfn.ARN(target); s != "" {
				// By ARN, possibly joined with a partition token: its name.
				cv.dlqs[s[strings.LastIndex(s, ":")+1:]] = true
			}
		}
	}
}

// covered tells whether an alarm of stack evaluates metric for target id.
func (cv *coverage) covered(stack, id, metric string) bool {
	for _, a := range cv.alarms {
		if a.stack == stack && a.targets[id] && a.metrics[metric] {
			return true
		}
	}
	return false
}

// checkStack reports every watched resource of stack that misses an alarm
// of its kind, and whether the stack runs functions.
func (cv *coverage) checkStack(name string, t cfn.Template) (out []string, functions bool) {
	for _, r := range t.Resources("") {
		if _, ok := Namespaces[r.Type]; !ok {
			continue
		}
		kind := classify(r, cv.dlqs, cv.alarmTopics, cv.logBuckets)
		if kind == "" {
			out = append(out, fmt.Sprintf("%s: %s %s has no alarm decisions (no kind in the alarms catalogue)", name, r.Type, r.LogicalID))
			continue
		}
		functions = functions || kind == KindFunction
		target := r.LogicalID
		if r.Type == "AWS::ApiGateway::Stage" {
			// API Gateway's metrics name the API, not the stage resource.
			if api, err := t.Resource(cfn.Ref(r.Props["RestApiId"])); err == nil {
				target, _ = api.Props["Name"].(string)
			}
		}
		for _, s := range Catalogue[kind].Alarms {
			if !cv.covered(name, target, s.Metric) {
				out = append(out, fmt.Sprintf("%s: %s %s (%s) has no %s alarm", name, r.Type, r.LogicalID, kind, s.Metric))
			}
		}
	}
	return out, functions
}

// classify decides a resource's kind from the template alone.
func classify(r cfn.Resource, dlqs, alarmTopics, logBuckets map[string]bool) Kind {
	switch r.Type {
	case "AWS::SQS::Queue":
		name, _ := r.Props["QueueName"].(string)
		if dlqs[r.LogicalID] || (name != "" && dlqs[name]) || r.Ordering() == cfn.OrderingParking {
			return KindDLQ
		}
		// The ingest and consumer queues get the same alarms (with their own
		// thresholds); coverage checks the set.
		return KindConsumerQueue
	case "AWS::SNS::Topic":
		if alarmTopics[r.LogicalID] {
			return KindAlarmTopic
		}
		return KindFanoutTopic
	case "AWS::Lambda::Function":
		return KindFunction
	case "AWS::CloudFront::Distribution":
		return KindDistribution
	case "AWS::ApiGateway::Stage":
		return KindAPIStage
	case "AWS::S3::Bucket":
		if logBuckets[r.LogicalID] {
			return KindLogBucket
		}
		return KindSiteBucket
	}
	return ""
}

// regionOf reads the region out of a "<app>-<stage>-<region>-<role>" stack
// name; other names count as their own region.
func regionOf(stack string) string {
	parts := strings.Split(stack, "-")
	if len(parts) < 5 {
		return stack
	}
	return strings.Join(parts[2:len(parts)-1], "-")
}
