package alarms

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/brokerage/platform/internal/metricmath"
)

// Where clocks skip midnight (America/Santiago on the first Sunday of
// September), a holiday starts at the end of the gap: the whole local day,
// and no minute of the day before, is closed.
func TestHolidayOnADayWithoutMidnight(t *testing.T) {
	for _, holiday := range []string{"2027-09-04", "2027-09-05"} {
		t.Run(holiday, func(t *testing.T) { checkSantiagoHoliday(t, holiday) })
	}
}

func checkSantiagoHoliday(t *testing.T, holiday string) {
	s := Session{Name: "cl", TimeZone: "America/Santiago", Days: weekdays,
		Windows: []Window{{Name: "all", Start: 1, End: 24*60 - 1, Watch: true}}, Holidays: []string{holiday}}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	queries, open := gate([]Session{s}, now)
	loc, _ := time.LoadLocation(s.TimeZone)
	from := time.Date(2027, 9, 2, 0, 0, 0, 0, time.UTC)
	ts := make([]int64, 5*24*60)
	for i := range ts {
		ts[i] = from.Add(time.Duration(i) * time.Minute).Unix()
	}
	env := metricmath.Env{Timestamps: ts, Series: map[string][]float64{}}
	for _, q := range queries {
		v, err := metricmath.Eval(q.Expression, env)
		if err != nil {
			t.Fatal(err)
		}
		env.Series[q.ID] = v
	}
	got, err := metricmath.Eval(open, env)
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i, v := range got {
		lt := time.Unix(ts[i], 0).In(loc)
		m := lt.Hour()*60 + lt.Minute()
		want := !slices.Contains(s.Holidays, lt.Format("2006-01-02")) && m >= 1 && m < 24*60-1
		if (v == 1) != want {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d minutes around Santiago's September transition are wrongly open or closed", wrong)
	}
}

// Idle alarms share the gate of their period: a second alarm of the same
// period reuses its expressions, and one of another period gets a gate
// whose expressions carry that period (a metric-less expression must).
func TestIdleAlarmsShareTheGateOfTheirPeriod(t *testing.T) {
	s := Session{Name: "uk", TimeZone: "Europe/London", Days: weekdays, Windows: []Window{{Name: "regular", Start: 8 * 60, End: 16*60 + 30, Watch: true}}}
	a := &Alarms{props: Props{Sessions: []Session{s}, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}}
	spec := Spec{Comparison: "LessThanThreshold", Threshold: 1}
	metric := func(period int) Metric {
		return Metric{Namespace: "AWS/SQS", Name: "NumberOfMessagesSent", Statistic: "Sum", PeriodSeconds: period}
	}
	a.gated(metric(60), spec)
	first := a.gates[60]
	a.gated(metric(60), spec)
	a.gated(metric(300), spec)
	if a.gates[60] != first || len(a.gates) != 2 {
		t.Fatalf("gates = %v, want the 60 s gate kept and one for 300 s", a.gates)
	}
	for period, g := range a.gates {
		for id, q := range g.queries {
			if got := *q.(awscloudwatch.MathExpression).Period().ToSeconds(nil); got != float64(period) {
				t.Errorf("gate of %d s: query %s has period %v s", period, id, got)
			}
		}
	}
}
