package alarms

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Reference is one entry of the AWS recommended alarms.
type Reference struct {
	Service           string   `json:"service"`
	Namespace         string   `json:"namespace"`
	Metric            string   `json:"metric"`
	Dimensions        []string `json:"dimensions"`
	Statistic         string   `json:"statistic"`
	Threshold         *float64 `json:"threshold"`
	Comparison        string   `json:"comparison"`
	DatapointsToAlarm int      `json:"datapoints_to_alarm"`
	EvaluationPeriods int      `json:"evaluation_periods"`
	Intent            string   `json:"intent"`
	ThresholdNote     string   `json:"threshold_note"`
	PeriodSeconds     int      `json:"period_s"`
}

//go:embed recommended-alarms.json
var referenceJSON []byte

// References returns the AWS recommended alarms the catalogue is checked against.
func References() []Reference {
	var refs []Reference
	if err := json.Unmarshal(referenceJSON, &refs); err != nil {
		panic(fmt.Sprintf("recommended-alarms.json: %v", err))
	}
	return refs
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

// CheckSeverities reports every catalogue alarm without exactly one known
// severity.
func CheckSeverities() []string {
	var out []string
	check := func(k string, s Spec) {
		switch s.Severity {
		case SeverityPage, SeverityNotify:
		default:
			out = append(out, fmt.Sprintf("%s: alarm %s has severity %q, want one of %s", k, s.Metric, s.Severity, joinSeverities()))
		}
	}
	for _, k := range Kinds() {
		for _, s := range Catalogue[k].Alarms {
			check(string(k), s)
		}
	}
	check("region", AccountConcurrency)
	return out
}
