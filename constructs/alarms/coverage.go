package alarms

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/brokerage/platform/internal/cfn"
)

// alarmedTypes are the CloudFormation types the reference has alarms for:
// a template resource of one of them must classify to a kind, or
// CheckCoverage reports it.
var alarmedTypes = []string{"AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::Lambda::Function", "AWS::ApiGateway::Stage",
	"AWS::ApiGatewayV2::Stage", "AWS::CloudFront::Distribution", "AWS::S3::Bucket"}

// metricKey identifies a CloudWatch metric by its namespace, name and
// dimensions, in any order. A dimension's value is the logical ID a
// reference points to, or the literal value.
func metricKey(namespace, name string, dimensions map[string]string) string {
	key := namespace + "\x00" + name
	for _, d := range slices.Sorted(maps.Keys(dimensions)) {
		key += "\x00" + d + "\x00" + dimensions[d]
	}
	return key
}

// CheckCoverage walks the synthesized stacks of an app and reports every
// gap (the Gap constants) it finds, sorted by their lines.
func CheckCoverage(stacks []cfn.Stack) []Finding {
	stacks = slices.SortedFunc(slices.Values(stacks), func(a, b cfn.Stack) int { return strings.Compare(a.Name, b.Name) })
	cv := &coverage{evaluated: set{}, evaluatedIn: set{}, alarmTopics: set{}, dlqs: cfn.FindDeadLetterQueues(stacks), logBuckets: set{}}
	var out []Finding
	for _, s := range stacks {
		out = append(out, cv.readAlarms(s)...)
		out = append(out, checkAlarmSeverities(s)...)
		cv.readLogBuckets(s)
	}
	withFunctions := map[string]bool{} // regions that run functions
	for _, s := range stacks {
		found, functions := cv.checkStack(s)
		out = append(out, found...)
		if functions {
			withFunctions[regionOf(s)] = true
		}
	}
	out = append(out, cv.checkAccountAlarms(withFunctions)...)
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// coverage is what CheckCoverage learns from every template before it
// checks any resource.
type coverage struct {
	evaluated   set // the metricKey of every metric an alarm evaluates, by stack
	evaluatedIn set // and by region (regionOf its stack)
	alarmTopics set // topics referenced as alarm actions, by stack
	dlqs        cfn.DeadLetterQueues
	logBuckets  set // buckets that receive S3 access logs or CloudFront logs, by stack
}

// scoped is a name where it holds: a logical ID in its stack (it means a
// resource of its own stack only), a metricKey in a stack or a region.
type scoped struct{ scope, name string }

type set map[scoped]bool

// readAlarms records the alarms of s and reports those without both ALARM
// and OK actions.
func (cv *coverage) readAlarms(s cfn.Stack) []Finding {
	var out []Finding
	for _, r := range s.Template.Resources("AWS::CloudWatch::Alarm") {
		acts, _ := r.Props["AlarmActions"].([]any)
		oks, _ := r.Props["OKActions"].([]any)
		for _, act := range acts {
			cv.alarmTopics[scoped{s.Name, cfn.Ref(act)}] = true
		}
		cv.addMetric(s, r.Props)
		qs, _ := r.Props["Metrics"].([]any)
		for _, q := range qs {
			if ms, ok := q.(map[string]any)["MetricStat"].(map[string]any); ok {
				cv.addMetric(s, ms["Metric"].(map[string]any))
			}
		}
		if len(acts) == 0 || len(oks) == 0 {
			out = append(out, findingOn(s, r, GapNoActions, fmt.Sprintf("alarm %s has no ALARM and OK actions", r.LogicalID)))
		}
	}
	return out
}

func (cv *coverage) checkAccountAlarms(withFunctions map[string]bool) []Finding {
	account := metricKey(Catalogue[KindFunction].Namespace, AccountConcurrency.Metric, nil)
	var out []Finding
	for _, r := range slices.Sorted(maps.Keys(withFunctions)) {
		if !cv.evaluatedIn[scoped{r, account}] {
			out = append(out, Finding{Gap: GapAccountAlarm, Region: r, Kind: KindFunction, Metric: AccountConcurrency.Metric,
				Message: fmt.Sprintf("region %s runs functions but has no %s alarm", r, AccountConcurrency.Metric)})
		}
	}
	return out
}

// addMetric records the metric of m, the properties of an alarm of s or
// one of its metric queries' metric; a metric-math alarm's properties name
// none.
func (cv *coverage) addMetric(s cfn.Stack, m map[string]any) {
	namespace, _ := m["Namespace"].(string)
	metric, _ := m["MetricName"].(string)
	if metric == "" {
		return
	}
	dimensions := map[string]string{}
	dims, _ := m["Dimensions"].([]any)
	for _, d := range dims {
		dm, _ := d.(map[string]any)
		name, _ := dm["Name"].(string)
		value, _ := dm["Value"].(string)
		dimensions[name] = cmp.Or(cfn.Ref(dm["Value"]), value)
	}
	key := metricKey(namespace, metric, dimensions)
	cv.evaluated[scoped{s.Name, key}] = true
	cv.evaluatedIn[scoped{regionOf(s), key}] = true
}

// readLogBuckets records the buckets s sends access logs to.
func (cv *coverage) readLogBuckets(s cfn.Stack) {
	for _, r := range s.Template.Resources("") {
		if lc, ok := r.Props["LoggingConfiguration"].(map[string]any); ok {
			cv.logBuckets[scoped{s.Name, cfn.Ref(lc["DestinationBucketName"])}] = true
		}
		if dc, ok := r.Props["DistributionConfig"].(map[string]any); ok {
			if lg, ok := dc["Logging"].(map[string]any); ok {
				cv.logBuckets[scoped{s.Name, cfn.Ref(lg["Bucket"])}] = true
			}
		}
	}
}

// checkStack reports every watched resource of s that misses an alarm of
// its kind, and whether the stack runs functions.
func (cv *coverage) checkStack(s cfn.Stack) (out []Finding, functions bool) {
	for _, r := range s.Template.Resources("") {
		if !slices.Contains(alarmedTypes, r.Type) {
			continue
		}
		here := scoped{s.Name, r.LogicalID}
		kind := classify(r, cv.dlqs.Has(s.Name, r), cv.alarmTopics[here], cv.logBuckets[here])
		if kind == "" {
			out = append(out, findingOn(s, r, GapUnclassified, fmt.Sprintf("%s %s has no alarm decisions (no kind in the alarms catalogue)", r.Type, r.LogicalID)))
			continue
		}
		functions = functions || kind == KindFunction
		ks := Catalogue[kind]
		dims := targetDimensions(s.Template, r, ks)
		for _, spec := range ks.Alarms {
			if !cv.evaluated[scoped{s.Name, metricKey(ks.Namespace, spec.Metric, dims)}] {
				f := findingOn(s, r, GapMissingAlarm, fmt.Sprintf("%s %s (%s) has no %s alarm", r.Type, r.LogicalID, kind, spec.Metric))
				f.Kind, f.Metric = kind, spec.Metric
				out = append(out, f)
			}
		}
	}
	return out, functions
}

// targetDimensions are the dimensions of the metrics of resource r, of kind
// ks: the kind's first dimension naming r, and the kind's fixed ones.
func targetDimensions(t cfn.Template, r cfn.Resource, ks KindSpec) map[string]string {
	dims := map[string]string{ks.Dimensions[0]: r.LogicalID}
	for i := 0; i+1 < len(ks.Fixed); i += 2 {
		dims[ks.Fixed[i]] = ks.Fixed[i+1]
	}
	if r.Type == "AWS::ApiGateway::Stage" {
		// API Gateway's metrics name the API, not the stage resource, and
		// the stage by its name.
		if api, err := t.Resource(cfn.Ref(r.Props["RestApiId"])); err == nil {
			dims["ApiName"], _ = api.Props["Name"].(string)
		}
		if stage, ok := r.Props["StageName"].(string); ok {
			dims["Stage"] = stage
		}
	}
	return dims
}

// classify decides a resource's kind from the templates: whether the app
// names it as a dead-letter queue, an alarm action or a log bucket.
func classify(r cfn.Resource, dlq, alarmTopic, logBucket bool) Kind {
	switch r.Type {
	case "AWS::SQS::Queue":
		if dlq || r.Ordering() == cfn.OrderingParking {
			return KindDLQ
		}
		// The ingest and consumer queues get the same alarms (with their own
		// thresholds); coverage checks the set.
		return KindConsumerQueue
	case "AWS::SNS::Topic":
		if alarmTopic {
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
		if logBucket {
			return KindLogBucket
		}
		return KindSiteBucket
	}
	return ""
}

// regionOf is the stack's region, from its environment; a stack without
// one counts as its own region.
func regionOf(s cfn.Stack) string { return cmp.Or(s.Region, s.Name) }
