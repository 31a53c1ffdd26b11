package metricmath

import (
	"math"
	"strings"
	"testing"
	"time"
)

var nan = math.NaN()

func same(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func TestEval(t *testing.T) {
	env := Env{Timestamps: []int64{60, 120, 180}, Series: map[string][]float64{"a": {1, nan, 3}, "b": {nan, 2, 3}}}
	for _, tc := range []struct {
		expr string
		want []float64
	}{
		{"FILL(a,0)+FILL(b,0)", []float64{1, 2, 6}},
		{"FILL(a, b)", []float64{1, 2, 3}},
		{"a+b", []float64{nan, nan, 6}},                // arithmetic keeps the timestamps both have
		{"a <= b", []float64{0, 1, 1}},                 // a comparison takes a missing value as 0
		{"b >= 2", []float64{nan, 1, 1}},               // against a scalar a missing value stays missing
		{"(a > 0) && (b > 0)", []float64{nan, nan, 1}}, // a logical operator does not
		{"FLOOR(EPOCH(a)/120)", []float64{0, 1, 1}},
		{"TIME_SERIES(7)", []float64{7, 7, 7}},
		{"2*(1+2)", []float64{6, 6, 6}},
		{"FILL(a,0) < FILL(b,0)", []float64{0, 1, 0}},
		{"0 || FILL(b,0)", []float64{0, 1, 1}},
		{"FILL(a,0)-FILL(b,0)/2", []float64{1, -1, 1.5}},
	} {
		got, err := Eval(tc.expr, env)
		if err != nil || !same(got, tc.want) {
			t.Errorf("Eval(%q) = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
	for _, expr := range []string{"IF(a, 1, 0)", "a == b", "-a", "FILL(a)", "(a, b)", "c", "a +", "FLOOR(a", "é(1)", "aé"} {
		if _, err := Eval(expr, env); err == nil {
			t.Errorf("Eval(%q) succeeded, want an error for what the evaluator does not know", expr)
		}
	}
}

// An alarm breaches when DatapointsToAlarm (default: EvaluationPeriods) of
// its last EvaluationPeriods datapoints breach, a missing one counting
// only when TreatMissingData is breaching.
func TestAlarmMOfNAndMissingData(t *testing.T) {
	start := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	minute := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	low := Data{"Sent": {minute(-3): 5, minute(-2): 5, minute(-1): 0, minute(0): 5}} // then nothing
	alarm := func(missing string, m float64) Alarm {
		props := map[string]any{"MetricName": "Sent", "Period": 60.0, "EvaluationPeriods": 3.0, "ComparisonOperator": "LessThanThreshold", "Threshold": 1.0, "TreatMissingData": missing}
		if m > 0 {
			props["DatapointsToAlarm"] = m
		}
		return Alarm{Props: props}
	}
	for _, tc := range []struct {
		missing string
		m       float64
		want    string // the first minute it alarms, "" for none in the half hour
	}{
		{"breaching", 0, "12:04"},    // 3 of 3: 12:01, 12:02 and 12:03 missing
		{"breaching", 1, "12:00"},    // 1 of 3: 11:59's 0 is below 1
		{"notBreaching", 0, ""},      // missing never breaches, and one 0 is not 3 of 3
		{"notBreaching", 1, "12:00"}, // but it is 1 of 3
		{"missing", 2, ""},
	} {
		at, ok, err := alarm(tc.missing, tc.m).FirstAlarm(low, start, start.Add(30*time.Minute))
		got := ""
		if ok {
			got = at.Format("15:04")
		}
		if err != nil || got != tc.want {
			t.Errorf("%s, %v of 3: first alarm %q (%v), want %q", tc.missing, tc.m, got, err, tc.want)
		}
	}
}

func TestValuesNamesTheExpressionItCannotEvaluate(t *testing.T) {
	a := Alarm{Props: map[string]any{"Metrics": []any{
		map[string]any{"Id": "m", "MetricStat": map[string]any{"Metric": map[string]any{"MetricName": "Sent"}, "Period": 60.0}, "ReturnData": false},
		map[string]any{"Id": "e", "Expression": "IF(m, 1, 0)"},
		map[string]any{"Id": "f", "Expression": "e+1"}, // fails only because e does
	}}}
	if _, err := a.Values(Data{}, []int64{60}); err == nil || !strings.Contains(err.Error(), "IF") {
		t.Errorf("err = %v, want one naming the unsupported function", err)
	}
}
