package alarms

import (
	"slices"
	"testing"
	"time"

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
