package metricmath

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Data is a test's datapoints per metric name, by period start. A metric
// without an entry for a period has no datapoint there.
type Data map[string]map[time.Time]float64

// Alarm is an AWS::CloudWatch::Alarm's properties, as synthesized, that
// decide its state.
type Alarm struct {
	Props map[string]any
}

// breaching evaluates the alarm at instant at: the datapoints of the last
// EvaluationPeriods periods before it, and whether at least
// DatapointsToAlarm of them breach (missing ones count as TreatMissingData
// says: breaching, notBreaching, or neither for missing and ignore).
func (a Alarm) breaching(data Data, at time.Time) (bool, error) {
	p := a.Props
	n := int(num(p["EvaluationPeriods"]))
	m := cmp.Or(int(num(p["DatapointsToAlarm"])), n)
	period := a.period()
	if period == 0 || n == 0 {
		return false, fmt.Errorf("metricmath: alarm without period or evaluation periods: %v", p)
	}
	end := at.Truncate(time.Duration(period) * time.Second)
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = end.Add(-time.Duration((n-i)*period) * time.Second).Unix()
	}
	values, err := a.Values(data, ts)
	if err != nil {
		return false, err
	}
	breaching := 0
	for _, v := range values {
		// A missing value (NaN) compares false with any threshold.
		if compare(p["ComparisonOperator"].(string), v, num(p["Threshold"])) || math.IsNaN(v) && p["TreatMissingData"] == "breaching" {
			breaching++
		}
	}
	return breaching >= m, nil
}

// FirstAlarm is the first minute in [from, to) at which the alarm breaches,
// and whether there is one.
func (a Alarm) FirstAlarm(data Data, from, to time.Time) (time.Time, bool, error) {
	for t := from; t.Before(to); t = t.Add(time.Minute) {
		b, err := a.breaching(data, t)
		if err != nil || b {
			return t, b, err
		}
	}
	return time.Time{}, false, nil
}

func (a Alarm) period() int {
	if p := num(a.Props["Period"]); p > 0 {
		return int(p)
	}
	for _, q := range queries(a.Props) {
		if ms, ok := q["MetricStat"].(map[string]any); ok {
			return int(num(ms["Period"]))
		}
	}
	return 0
}

func queries(p map[string]any) []map[string]any {
	qs, _ := p["Metrics"].([]any)
	out := make([]map[string]any, 0, len(qs))
	for _, q := range qs {
		out = append(out, q.(map[string]any))
	}
	return out
}

// Values is the alarm's time series at the timestamps ts: its metric's, or
// its metric math's ReturnData expression's.
func (a Alarm) Values(data Data, ts []int64) ([]float64, error) {
	series := func(name string) []float64 {
		out := make([]float64, len(ts))
		for i, t := range ts {
			v, ok := data[name][time.Unix(t, 0).UTC()]
			if !ok {
				v = math.NaN()
			}
			out[i] = v
		}
		return out
	}
	if name, ok := a.Props["MetricName"].(string); ok {
		return series(name), nil
	}
	env := Env{Timestamps: ts, Series: map[string][]float64{}}
	var ret string
	var pending []map[string]any // the expressions, in the alarm's order
	for _, q := range queries(a.Props) {
		id := q["Id"].(string)
		if ms, ok := q["MetricStat"].(map[string]any); ok {
			env.Series[id] = series(ms["Metric"].(map[string]any)["MetricName"].(string))
		} else {
			pending = append(pending, q)
		}
		if rd, ok := q["ReturnData"].(bool); !ok || rd {
			ret = id
		}
	}
	// Expressions may name the queries listed after them: evaluate until
	// a pass evaluates none.
	for n := 0; len(pending) > 0 && len(pending) != n; {
		n = len(pending)
		pending = slices.DeleteFunc(pending, func(q map[string]any) bool {
			v, err := Eval(q["Expression"].(string), env)
			if err == nil {
				env.Series[q["Id"].(string)] = v
			}
			return err == nil // else it names an id not evaluated yet
		})
	}
	if len(pending) > 0 {
		_, err := Eval(pending[0]["Expression"].(string), env) // the first left, in the alarm's order
		return nil, fmt.Errorf("metricmath: cannot evaluate the alarm's expressions: %v", err)
	}
	return env.Series[ret], nil
}

func compare(op string, v, t float64) bool {
	switch op {
	case "GreaterThanThreshold":
		return v > t
	case "GreaterThanOrEqualToThreshold":
		return v >= t
	case "LessThanThreshold":
		return v < t
	case "LessThanOrEqualToThreshold":
		return v <= t
	}
	panic("metricmath: comparison " + op)
}

// num is a number of the properties, as encoding/json decodes it, or 0.
func num(v any) float64 {
	f, _ := v.(float64)
	return f
}
