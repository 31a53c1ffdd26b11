package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Each case breaks the default configuration's sessions or recipients; the
// error names exactly the broken fields, with the value and what is expected.
func TestValidateRejectsSessionsAndRecipients(t *testing.T) {
	// A session with a bad name is reported at its name and wherever a
	// region names it.
	d := Default()
	badName := []string{"sessions[1].name"}
	for i, r := range d.Regions {
		for j, s := range r.Sessions {
			if s == d.Sessions[1].Name {
				badName = append(badName, fmt.Sprintf("regions[%d].sessions[%d]", i, j))
			}
		}
	}
	tests := []struct {
		name   string
		break_ func(c *Config)
		want   []string
	}{
		{"unknown day", func(c *Config) { c.Sessions[0].Days = []string{"MON", "TUE", "WED", "THU", "FRI", "Saturday", "FRI"} }, []string{"sessions[0].days[5]", "sessions[0].days[6]"}},
		{"no days", func(c *Config) { c.Sessions[0].Days = nil }, []string{"sessions[0].days"}},
		{"window ends before it starts", func(c *Config) { c.Sessions[0].Windows[1].End = "09:00" }, []string{"sessions[0].windows[1].end"}},
		{"windows overlap", func(c *Config) { c.Sessions[0].Windows[1].Start = "09:00" }, []string{"sessions[0].windows[1].start"}},
		{"bad clock time", func(c *Config) { c.Sessions[1].Windows[0].Start = "7am" }, []string{"sessions[1].windows[0].start"}},
		{"hour out of range", func(c *Config) { c.Sessions[1].Windows[2].End = "24:30" }, []string{"sessions[1].windows[2].end"}},
		{"nothing watched", func(c *Config) { c.Sessions[0].Windows[1].Watch = false }, []string{"sessions[0].windows"}},
		{"bad date", func(c *Config) { c.Sessions[0].Holidays[0] = "2026-02-30" }, []string{"sessions[0].holidays[0]"}},
		{"holiday on a weekend", func(c *Config) { c.Sessions[1].Holidays[0] = "2026-04-25" }, []string{"sessions[1].holidays[0]"}},
		{"duplicate holiday", func(c *Config) { c.Sessions[1].Holidays[1] = c.Sessions[1].Holidays[0] }, []string{"sessions[1].holidays[1]"}},
		{"duplicate session", func(c *Config) {
			c.Sessions[1].Name = "us"
			for i := range c.Regions {
				c.Regions[i].Sessions = nil
			}
		}, []string{"sessions[1].name"}},
		// The regions naming it now name no session: each is reported.
		{"session name too long", func(c *Config) { c.Sessions[1].Name = "australian-securities" }, badName},
		{"region names an unknown session", func(c *Config) { c.Regions[1].Sessions = []string{"us", "lse"} }, []string{"regions[1].sessions[1]"}},
		{"unknown severity", func(c *Config) {
			c.Alarms.Recipients["wake-everyone"] = Recipients{Emails: []string{"ops@example.com"}}
		}, []string{`alarms.recipients["wake-everyone"]`}},
		{"page route without a recipient", func(c *Config) { c.Alarms.Recipients["page"] = Recipients{} }, []string{`alarms.recipients["page"]`}},
		{"bad page recipients", func(c *Config) {
			c.Alarms.Recipients["page"] = Recipients{Emails: []string{"oncall"}, PagerURL: "http://pager.example.com"}
		}, []string{`alarms.recipients["page"].emails[0]`, `alarms.recipients["page"].pagerUrl`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.break_(c)
			if diff := cmp.Diff(tc.want, fields(t, c.Validate())); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSessionErrorsSayWhatIsExpected(t *testing.T) {
	c := Default()
	c.Sessions[0].Windows[1].Start = "09:00"
	c.Sessions[1].Holidays[0] = "2026-04-25"
	got := c.Validate().Error()
	for _, want := range []string{
		`sessions[0].windows[1].start: got "09:00", want no earlier than the end of the window before it (pre-market ends at 09:30)`,
		`sessions[1].holidays[0]: got "2026-04-25", want a trading day (MON, TUE, WED, THU, FRI); it is a Saturday`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error lacks %q:\n%s", want, got)
		}
	}
}

func TestRegionsWatchEverySessionByDefault(t *testing.T) {
	c := Default()
	c.Regions[0].Sessions = nil
	c.Regions[1].Sessions = []string{"asx"}
	names := func(ss []Session) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"us", "asx"}, names(c.SessionsOf(c.Regions[0]))); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"asx"}, names(c.SessionsOf(c.Regions[1]))); diff != "" {
		t.Errorf("named (-want +got):\n%s", diff)
	}
}

func TestRecipientsBySeverity(t *testing.T) {
	c := Default()
	if diff := cmp.Diff(Recipients{Emails: []string{"trading-ops-oncall@example.com"}, PagerURL: "https://pager.example.com/integrations/brokerage"}, c.Alarms.RecipientsFor("page")); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Recipients{Emails: []string{"trading-ops@example.com"}}, c.Alarms.RecipientsFor("notify")); diff != "" {
		t.Errorf("notify falls back to alarms.emails (-want +got):\n%s", diff)
	}
}
