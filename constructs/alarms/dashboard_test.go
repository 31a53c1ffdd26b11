package alarms_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
)

// A construct's dashboard shows the state of its alarms, the sessions its
// idle alarms watch, and then what the watched constructs added, in order.
func TestDashboardShowsAlarmsSessionsAndTheWidgetsAdded(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "uk", "eu-west-2")
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "p-dev", Now: cfntest.Now,
		Recipients: map[alarms.Severity]alarms.Recipients{alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}}},
		Sessions: []alarms.Session{{Name: "lse", Market: "LSE", TimeZone: "Europe/London", Days: []string{"MON", "TUE"},
			Windows: []alarms.Window{{Name: "regular", Start: 8 * 60, End: 16*60 + 30, Watch: true}}}},
	})
	q := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
	al.Watch(q, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics("holdings")})
	al.AddWidgets(alarms.Graph("holdings: arrivals", alarms.QueueMetrics("holdings").Metric("NumberOfMessagesSent", "Sum").Line("arrived")))
	al.Dashboard(stack, "Dashboard", "p-dev-eu-west-2", "Alarms in eu-west-2")
	d := cfntest.Get(t, cfn.Synth(app), "uk", "Dashboard/Resource")
	if d.LogicalID != "Dashboard" {
		t.Errorf("logical ID %s, want Dashboard, the one the dashboard had as an L1 resource", d.LogicalID)
	}
	body := cfn.Joined(d.Props["DashboardBody"])
	at := func(s string) int {
		i := strings.Index(body, s)
		if i < 0 {
			t.Fatalf("the dashboard has no %q:\n%s", s, body)
		}
		return i
	}
	if !(at(`"title":"Alarms in eu-west-2"`) < at("regular 08:00-16:30 (watched)") && at("regular 08:00-16:30") < at(`"title":"holdings: arrivals"`)) {
		t.Errorf("want the alarms, the sessions, then the widgets added:\n%s", body)
	}
}
