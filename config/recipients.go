package config

import (
	"fmt"

	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/valid"
)

// Severities an alarm can have: page wakes the on-call engineer, notify
// tells the team in working hours. The alarms catalogue gives every alarm one.
var Severities = []string{"page", "notify"}

// Recipients are who an alarm topic tells, on ALARM and on OK.
type Recipients struct {
	// Emails, each a plain e-mail address; each must confirm its subscription.
	Emails []string `json:"emails,omitempty"`
	// PagerURL is an https endpoint (a pager or chat integration).
	PagerURL string `json:"pagerUrl,omitempty"`
}

// RecipientsFor returns who is told of alarms of the given severity:
// alarms.recipients[severity], or alarms.emails and alarms.pagerUrl.
func (a *Alarms) RecipientsFor(severity string) Recipients {
	if r, ok := a.Recipients[severity]; ok {
		return r
	}
	return Recipients{Emails: a.Emails, PagerURL: a.PagerURL}
}

// validate checks the addresses and the pager URL, naming them under field f.
func (r Recipients) validate(l *problems.List, f string) {
	for i, e := range r.Emails {
		if !valid.Email(e) {
			l.Add(fmt.Sprintf("%s.emails[%d]", f, i), e, "a plain e-mail address such as ops@example.com")
		}
	}
	if r.PagerURL != "" && !valid.HTTPSURL(r.PagerURL) {
		l.Add(f+".pagerUrl", r.PagerURL, "an https:// URL, or unset")
	}
}
