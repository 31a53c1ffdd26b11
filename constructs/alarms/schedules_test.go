package alarms_test

import (
	"fmt"
	"testing"

	"github.com/brokerage/platform/constructs/alarms"
	"github.com/google/go-cmp/cmp"
)

// DisableAlarmActions and EnableAlarmActions take at most 100 alarm names
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DisableAlarmActions.html):
// 101 idle alarms take two calls at each switch, and each name is in exactly
// one. The calls that must keep their order within a day (on at the open,
// off on a holiday, re-arm after the open) are dropped when not made within
// a minute rather than delivered late.
func TestSchedulesSplitAtOneHundredAlarmsAndKeepTheirOrder(t *testing.T) {
	s := alarms.Session{Name: "us", TimeZone: "America/New_York", Days: []string{"MON", "TUE"},
		Windows:  []alarms.Window{{Name: "regular", Start: 9*60 + 30, End: 16 * 60, Watch: true}},
		Holidays: []string{"2026-12-25"}}
	names := make([]string, 101)
	for i := range names {
		names[i] = fmt.Sprintf("brokerage-dev-q%d-NumberOfMessagesSent", i)
	}
	perAction := map[string]map[string]int{} // action -> alarm -> schedules naming it
	schedules := map[string]int{}            // action -> schedules
	seen := map[string]bool{}
	var maxAge []string
	for _, sc := range s.Schedules("brokerage-dev", "idle", names, 15) {
		if seen[sc.Name] {
			t.Errorf("schedule name %s used twice", sc.Name)
		}
		seen[sc.Name] = true
		if sc.Action != alarms.ActionDisable || sc.Expression[:3] == "at(" {
			// every call but the close keeps its order by its age limit
			maxAge = append(maxAge, fmt.Sprintf("%s %d", sc.Action, sc.MaxAgeSeconds))
		}
		var list []string
		switch v := sc.Input["AlarmNames"].(type) {
		case []string:
			list = v
			if len(v) > 100 {
				t.Errorf("%s names %d alarms, want at most 100", sc.Name, len(v))
			}
		default:
			list = []string{fmt.Sprint(sc.Input["AlarmName"])}
		}
		key := sc.Action
		if sc.Expression[:3] == "at(" {
			key += " holiday"
		}
		schedules[key]++
		if perAction[key] == nil {
			perAction[key] = map[string]int{}
		}
		for _, n := range list {
			perAction[key][n]++
		}
	}
	for key, count := range perAction {
		for _, n := range names {
			if count[n] != 1 {
				t.Errorf("%s: alarm %s is named by %d schedules, want 1", key, n, count[n])
			}
		}
	}
	for _, a := range maxAge {
		if a[len(a)-3:] != " 60" {
			t.Errorf("%s: want the call dropped after 60 s, not delivered late", a)
		}
	}
	want := map[string]int{alarms.ActionEnable: 2, alarms.ActionDisable: 2, alarms.ActionDisable + " holiday": 2, alarms.ActionSetState: len(names)}
	if diff := cmp.Diff(want, schedules); diff != "" {
		t.Errorf("schedules per call (-want +got):\n%s", diff)
	}
}
