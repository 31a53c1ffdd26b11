package stacks

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/config/configtest"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/problems"
)

// The sessions' time zones and windows are judged by what the idle alarms'
// gates make of them (alarms.CheckSessions), and reported with the
// configuration's field names; prod refuses a holiday calendar that runs
// out within 60 days.
func TestValidateReportsSessionsTheGateCannotFollow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(c *config.Config)
		fields []string
	}{
		{"unknown time zone", func(c *config.Config) { c.Sessions[0].TimeZone = "America/Gotham" }, []string{"sessions[0].timeZone"}},
		{"time zone left empty", func(c *config.Config) { c.Sessions[1].TimeZone = "" }, []string{"sessions[1].timeZone"}},
		{"legacy abbreviation without daylight saving", func(c *config.Config) { c.Sessions[0].TimeZone = "EST" }, []string{"sessions[0].timeZone"}},
		{"right/ variant", func(c *config.Config) { c.Sessions[1].TimeZone = "right/Australia/Sydney" }, []string{"sessions[1].timeZone"}},
		{"watched window shorter than the idle alarms' 15 minutes", func(c *config.Config) {
			c.Sessions[1].Windows[1].Start, c.Sessions[1].Windows[1].End = "15:50", "16:00"
		}, []string{"sessions[1].windows"}},
		{"prod with a calendar that ends within 60 days", func(c *config.Config) {
			c.Stage = "prod"
			configtest.RealIDs(c)
			c.Sessions[0].Holidays = []string{"2026-12-25"}
		}, []string{"sessions[0].holidays"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.Site.ContentDir = "../web"
			tc.edit(c)
			perr, ok := Validate(c, cfntest.Now).(*problems.Error)
			if !ok {
				t.Fatalf("Validate() passed, want problems with %v", tc.fields)
			}
			if got := perr.Fields(); !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v:\n%v", got, tc.fields, perr)
			}
		})
	}
}

// A consumer's own values, the broker accounts and the ingest queue's
// maxReceiveCount are the fanout construct's to judge
// (fanout.RegionalProps.ValidateConsumer, fanout.IngestProps.Validate), reported at
// the configuration's fields.
func TestValidateReportsFanoutValuesAtTheirFields(t *testing.T) {
	c := config.Default()
	c.Site.ContentDir = "../web"
	c.Fanout.BrokerAccounts = []string{"2222", "333333333333", "333333333333"}
	c.Fanout.MaxReceiveCount = 1001
	c.Fanout.Consumers[0].MaxReceiveCount = -1
	c.Fanout.Consumers[0].TimeoutSeconds = 901
	c.Fanout.Consumers[1].Name = "Holdings!"
	perr, ok := Validate(c, cfntest.Now).(*problems.Error)
	if !ok {
		t.Fatal("Validate() passed, want the consumers' problems")
	}
	// The default role is of 222222222222, no longer a broker account.
	want := []string{"fanout.brokerAccounts[0]", "fanout.brokerAccounts[2]", "fanout.brokerRoles[0]", "fanout.maxReceiveCount",
		"fanout.consumers[0].timeoutSeconds", "fanout.consumers[0].maxReceiveCount", "fanout.consumers[1].name"}
	if got := perr.Fields(); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v:\n%v", got, want, perr)
	}
}

// The configuration names the severities the alarms construct has: the
// recipients it validates by name are the ones the stacks route.
func TestConfigurationSeveritiesAreTheConstructs(t *testing.T) {
	var got []string
	for _, s := range alarms.Severities {
		got = append(got, string(s))
	}
	if !slices.Equal(got, config.Severities) {
		t.Errorf("alarms.Severities %v, config.Severities %v: want the same", got, config.Severities)
	}
}

// An alarm override is the alarms construct's to judge
// (alarms.CheckOverrides), against the catalogue alarm it changes, each
// problem once, at its configuration field.
func TestValidateReportsAlarmOverridesAtTheirFields(t *testing.T) {
	c := config.Default()
	c.Site.ContentDir = "../web"
	neg := -1.0
	c.Alarms.Overrides = map[string]config.AlarmOverride{
		"consumer-queue/ApproximateAgeOfOldestMessage":      {Threshold: &neg, DatapointsToAlarm: 6, EvaluationPeriods: 5},
		"consumer-queue/ApproximateNumberOfMessagesVisible": {DatapointsToAlarm: -1},
		// Five-minute periods: 1,000 of them is more than the day CloudWatch evaluates.
		"redistributor/ReceiveCount": {EvaluationPeriods: 1000},
		"function/Errors":            {EvaluationPeriods: 1440}, // a day of one-minute periods is fine
	}
	perr, ok := Validate(c, cfntest.Now).(*problems.Error)
	if !ok {
		t.Fatal("Validate() passed, want the overrides' problems")
	}
	f := func(key, field string) string { return `alarms.overrides["` + key + `"].` + field }
	want := []string{f("consumer-queue/ApproximateAgeOfOldestMessage", "threshold"), f("consumer-queue/ApproximateAgeOfOldestMessage", "datapointsToAlarm"),
		f("consumer-queue/ApproximateNumberOfMessagesVisible", "datapointsToAlarm"), f("redistributor/ReceiveCount", "evaluationPeriods")}
	if got := perr.Fields(); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v:\n%v", got, want, perr)
	}
}

// A consumer's handler must name a reference consumer, run on a FIFO
// fan-out, and only a handler can be paused; each problem at its field,
// all at once, with the value and what is expected.
func TestValidateReportsHandlerProblemsAtTheirFields(t *testing.T) {
	c := config.Default()
	c.Site.ContentDir = "../web"
	c.Fanout.Consumers[0].Paused = true
	c.Fanout.Consumers[1].Handler = "holding"
	perr, ok := Validate(c, cfntest.Now).(*problems.Error)
	if !ok {
		t.Fatal("Validate() passed, want the handlers' problems")
	}
	cfntest.Check(t, "fields", []string{"fanout.consumers[0].paused", "fanout.consumers[1].handler"}, perr.Fields())
	if msg := perr.Error(); !strings.Contains(msg, `fanout.consumers[1].handler: got "holding", want one of: buying-power, holdings, or absent`) {
		t.Errorf("message %s: want the value and the handlers there are", msg)
	}

	c = config.Default()
	c.Site.ContentDir = "../web"
	c.Fanout.Ordering = config.OrderingStandard
	perr, ok = Validate(c, cfntest.Now).(*problems.Error)
	if !ok {
		t.Fatal("Validate() passed, want the handlers on a standard fan-out refused")
	}
	var handlers []string
	for i, cons := range c.Fanout.Consumers {
		if cons.Handler != "" {
			handlers = append(handlers, fmt.Sprintf("fanout.consumers[%d].handler", i))
		}
	}
	cfntest.Check(t, "standard fan-out", handlers, perr.Fields())
}

// A region value given but empty is the api construct's to refuse, at the
// region's entry, before anything is built; a bad value filled per region
// ({region}) is reported once.
func TestValidateReportsEmptyRegionValuesAndEachFieldOnce(t *testing.T) {
	c := config.Default()
	c.Site.ContentDir = "../web"
	c.Regions[0].VPCLinks["services"] = ""
	c.API.Gateways[1].Services[1].Backend.URL = "ftp://{region}.example.com"
	perr, ok := Validate(c, cfntest.Now).(*problems.Error)
	if !ok {
		t.Fatal("Validate() passed, want problems")
	}
	want := []string{`regions[0].vpcLinks["services"]`, "api.gateways[1].services[1].backend.url"}
	if got := perr.Fields(); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v:\n%v", got, want, perr)
	}
	// Each of a field's problems, once: a burst below 0 with a fraction
	// is both.
	c = config.Default()
	c.Site.ContentDir = "../web"
	c.API.Gateways[1].BurstLimit = -0.5
	perr, _ = Validate(c, cfntest.Now).(*problems.Error)
	want = []string{"api.gateways[1].burstLimit", "api.gateways[1].burstLimit"}
	if got := perr.Fields(); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v:\n%v", got, want, perr)
	}
}
