package alarms

import (
	"fmt"
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
// the kind's fixed ones, are the kind's dimension (a per-resource alarm; for
// Lambda Insights in its lower-case spelling), or none (account-level).
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
	return len(ds) == 1 && strings.EqualFold(strings.ReplaceAll(ds[0], "_", ""), ks.Dimension)
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
	var out []string
	var alarms []alarmInfo
	alarmTopics := map[string]bool{} // logical IDs and ARNs used as alarm actions
	dlqs := map[string]bool{}        // logical IDs and queue names targeted by a redrive policy
	logBuckets := map[string]bool{}  // buckets that receive S3 access logs or CloudFront logs
	stackNames := make([]string, 0, len(templates))
	for name := range templates {
		stackNames = append(stackNames, name)
	}
	sort.Strings(stackNames)

	for _, name := range stackNames {
		t := templates[name]
		for _, r := range t.Resources("AWS::CloudWatch::Alarm") {
			a := alarmInfo{stack: name, id: r.LogicalID, metrics: map[string]bool{}, targets: map[string]bool{}}
			acts, _ := r.Props["AlarmActions"].([]any)
			oks, _ := r.Props["OKActions"].([]any)
			a.actions = len(acts) > 0 && len(oks) > 0
			for _, act := range acts {
				alarmTopics[cfn.Ref(act)] = true
			}
			addMetric := func(m map[string]any) {
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
			addMetric(r.Props)
			qs, _ := r.Props["Metrics"].([]any)
			for _, q := range qs {
				if ms, ok := q.(map[string]any)["MetricStat"].(map[string]any); ok {
					addMetric(ms["Metric"].(map[string]any))
				}
			}
			if !a.actions {
				out = append(out, fmt.Sprintf("%s: alarm %s has no ALARM and OK actions", name, r.LogicalID))
			}
			alarms = append(alarms, a)
		}
		for _, r := range t.Resources("") {
			if lc, ok := r.Props["LoggingConfiguration"].(map[string]any); ok {
				logBuckets[cfn.Ref(lc["DestinationBucketName"])] = true
			}
			if dc, ok := r.Props["DistributionConfig"].(map[string]any); ok {
				if lg, ok := dc["Logging"].(map[string]any); ok {
					logBuckets[cfn.Ref(lg["Bucket"])] = true
				}
			}
			if rp, ok := r.Props["RedrivePolicy"].(map[string]any); ok {
				target := rp["deadLetterTargetArn"]
				if id := cfn.Ref(target); id != "" {
					dlqs[id] = true
				} else if s := cfn.ARN(target); s != "" {
					// By ARN, possibly joined with a partition token: its name.
					dlqs[s[strings.LastIndex(s, ":")+1:]] = true
				}
			}
		}
	}

	covered := func(stack, id, metric string) bool {
		for _, a := range alarms {
			if a.stack == stack && a.targets[id] && a.metrics[metric] {
				return true
			}
		}
		return false
	}
	regionsWithFunctions := map[string]bool{}
	regionsWithConcurrencyAlarm := map[string]bool{}
	for _, name := range stackNames {
		t := templates[name]
		for _, r := range t.Resources("") {
			if _, ok := Namespaces[r.Type]; !ok {
				continue
			}
			kind := classify(r, dlqs, alarmTopics, logBuckets)
			if kind == "" {
				out = append(out, fmt.Sprintf("%s: %s %s has no alarm decisions (no kind in the alarms catalogue)", name, r.Type, r.LogicalID))
				continue
			}
			if kind == KindFunction {
				regionsWithFunctions[regionOf(name)] = true
			}
			target := r.LogicalID
			if r.Type == "AWS::ApiGateway::Stage" {
				// API Gateway's metrics name the API, not the stage resource.
				if api, err := t.Resource(cfn.Ref(r.Props["RestApiId"])); err == nil {
					target, _ = api.Props["Name"].(string)
				}
			}
			for _, s := range Catalogue[kind].Alarms {
				if !covered(name, target, s.Metric) {
					out = append(out, fmt.Sprintf("%s: %s %s (%s) has no %s alarm", name, r.Type, r.LogicalID, kind, s.Metric))
				}
			}
		}
		for _, a := range alarms {
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
