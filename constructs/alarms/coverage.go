package alarms

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/brokerage/platform/internal/cfn"
)

// Gap is what a coverage finding says is missing or wrong.
type Gap string

// The gaps CheckCoverage finds.
const (
	// GapMissingAlarm: a resource lacks an alarm its kind requires.
	GapMissingAlarm Gap = "missing-alarm"
	// GapUnclassified: a resource of an alarmed type has no kind in the
	// catalogue, so nothing decides its alarms.
	GapUnclassified Gap = "unclassified"
	// GapAccountAlarm: a region runs functions but has no account-level
	// concurrency alarm.
	GapAccountAlarm Gap = "account-alarm"
	// GapNoActions: an alarm lacks ALARM or OK actions.
	GapNoActions Gap = "no-actions"
	// GapSeverity: an alarm does not act on exactly one severity's topic.
	GapSeverity Gap = "severity"
	// GapActionsOff: an alarm has its actions off.
	GapActionsOff Gap = "actions-off"
)

// Finding is one gap in the alarms of an app.
type Finding struct {
	Gap Gap
	// Stack is the stack the finding is in, "" for a region's finding.
	Stack string
	// Region is the stack's region, or the region a region's finding is
	// about (a stack without a region stands for its own).
	Region string
	// LogicalID and Type are the resource concerned (the resource without
	// an alarm, the alarm, the schedule); "" for a region's finding.
	LogicalID, Type string
	// Kind is the resource's kind, when it has one; Metric the metric of
	// the missing alarm.
	Kind   Kind
	Metric string
	// Message says what is wrong, for a person.
	Message string
}

// String is the finding as one line: "<stack>: <message>", or the message
// alone for a region's finding.
func (f Finding) String() string {
	if f.Stack == "" {
		return f.Message
	}
	return f.Stack + ": " + f.Message
}

func findingOn(s cfn.Stack, r cfn.Resource, gap Gap, message string) Finding {
	return Finding{Gap: gap, Stack: s.Name, Region: s.Region, LogicalID: r.LogicalID, Type: r.Type, Message: message}
}

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
			withFunctions[s.RegionOrName()] = true
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
	evaluatedIn set // and by region (its stack's RegionOrName)
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
	cv.evaluatedIn[scoped{s.RegionOrName(), key}] = true
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
		here := scoped{s.Name, r.LogicalID}
		kind, alarmed := classify(r, cv.dlqs.Has(s.Name, r), cv.alarmTopics[here], cv.logBuckets[here])
		if !alarmed {
			continue
		}
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
// alarmed says whether the reference has alarms for its type: such a
// resource without a kind is a gap (GapUnclassified).
func classify(r cfn.Resource, dlq, alarmTopic, logBucket bool) (kind Kind, alarmed bool) {
	switch r.Type {
	case "AWS::SQS::Queue":
		if dlq || r.Ordering() == cfn.OrderingParking {
			return KindDLQ, true
		}
		// The ingest and consumer queues get the same alarms (with their own
		// thresholds); coverage checks the set.
		return KindConsumerQueue, true
	case "AWS::SNS::Topic":
		if alarmTopic {
			return KindAlarmTopic, true
		}
		return KindFanoutTopic, true
	case "AWS::Lambda::Function":
		return KindFunction, true
	case "AWS::CloudFront::Distribution":
		return KindDistribution, true
	case "AWS::ApiGateway::Stage":
		return KindAPIStage, true
	case "AWS::ApiGatewayV2::Stage":
		return "", true // alarmed by the reference, no kind of the catalogue
	case "AWS::S3::Bucket":
		if logBucket {
			return KindLogBucket, true
		}
		return KindSiteBucket, true
	}
	return "", false
}

// checkAlarmSeverities reports the alarms of s that do not act on exactly
// one severity's topic, and those with their actions off: an alarm that
// should be quiet at times (idle alarms outside their sessions) says so in
// its own expression, never by switching its actions off.
func checkAlarmSeverities(s cfn.Stack) (out []Finding) {
	topics := map[string]string{} // the template's topics' names, by logical ID
	for _, r := range s.Template.Resources("AWS::SNS::Topic") {
		topics[r.LogicalID], _ = r.Props["TopicName"].(string)
	}
	// An action is a topic of the template (a reference) or an ARN; an
	// alarm topic's name (TopicName) ends in its severity's suffix.
	severityOf := func(v any) (Severity, bool) {
		name := topics[cfn.Ref(v)]
		if arn := cfn.ARN(v); arn != "" {
			name = cfn.ARNName(arn)
		}
		for _, sev := range Severities {
			if strings.HasSuffix(name, TopicName("", sev)) {
				return sev, true
			}
		}
		return "", false
	}
	for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"} {
		for _, r := range s.Template.Resources(typ) {
			sevs := map[Severity]bool{}
			var unknown []string
			for _, key := range []string{"AlarmActions", "OKActions"} {
				acts, _ := r.Props[key].([]any)
				for _, a := range acts {
					if sev, ok := severityOf(a); ok {
						sevs[sev] = true
					} else {
						unknown = append(unknown, fmt.Sprint(a))
					}
				}
			}
			if len(sevs) != 1 || len(unknown) > 0 {
				got := slices.Sorted(maps.Keys(sevs))
				out = append(out, findingOn(s, r, GapSeverity, fmt.Sprintf("alarm %s has severities %v (actions on other topics: %d), want exactly one of %s", r.LogicalID, got, len(unknown), joinSeverities())))
			}
			if r.Props["ActionsEnabled"] == false {
				out = append(out, findingOn(s, r, GapActionsOff, fmt.Sprintf("alarm %s has its actions off: every alarm acts, and an idle alarm is quiet outside its sessions by its own expression", r.LogicalID)))
			}
		}
	}
	return out
}
