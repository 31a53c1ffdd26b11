// Package alarmstest gives tests the alarms construct a stack's constructs
// report to.
package alarmstest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/brokerage/platform/constructs/alarms"
)

// New is an alarms construct ("Alarms") in stack, named after prefix, with
// a page and a notify recipient.
func New(stack awscdk.Stack, prefix string) *alarms.Alarms {
	return alarms.New(stack, "Alarms", &alarms.Props{Prefix: prefix, Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage:   {Emails: []string{"page@example.com"}},
		alarms.SeverityNotify: {Emails: []string{"notify@example.com"}},
	}})
}
