package stacks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/problems"
)

// Load reads the configuration at path (the embedded default when "") for
// stage and validates it as the app builds it: every problem at once, the
// file's shape and the rules on what of it decodes, each at its line in the
// file. main and scripts/delivery load it so.
func Load(path, stage string, now time.Time) (*config.Config, error) {
	c, shape := config.Load(path, stage)
	if c == nil {
		return nil, shape
	}
	if err := c.Locate(config.WithoutShapeEchoes(shape, Validate(c, now))); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks a whole configuration for what the app builds from it:
// the configuration's own rules, the constructs' props (site, gateways,
// alarm overrides) and AWS's rules and quotas (CheckConfig), and reports
// every problem at once (Load runs it).
func Validate(c *config.Config, now time.Time) error {
	ingest := IngestProps(c)
	errs := []error{c.Validate(), ingest.Validate("fanout."), alarms.CheckOverrides("alarms.overrides", AlarmOverrides(c)), SiteProps(c).Validate("site."), validateSessions(c, now)}
	regional := ingest.RegionalProps(c.PrimaryRegion)
	handlers := problems.List{Subject: "configuration"}
	for i, cons := range c.Fanout.Consumers {
		prefix := fmt.Sprintf("fanout.consumers[%d].", i)
		if _, ok := ReferenceConsumers[cons.Handler]; !ok && cons.Handler != "" {
			handlers.Add(prefix+"handler", cons.Handler, "one of: "+strings.Join(slices.Sorted(maps.Keys(ReferenceConsumers)), ", ")+", or absent (another team's code reads the queue)")
		}
		props := ConsumerProps(cons, nil)
		if cons.Handler != "" {
			props.Handler = namedHandler{} // the rules need only know there is one
		}
		errs = append(errs, regional.ValidateConsumer(prefix, props))
	}
	errs = append(errs, handlers.Err(), ValidateAPI(c), CheckConfig(c))
	return problems.Join("configuration", errs...)
}

// namedHandler stands for a consumer's handler where the rules need only
// know there is one: nothing is built, no jsii call made.
type namedHandler struct{ awslambda.Code }

// validateSessions checks the sessions as the idle alarms' gates need them
// (alarms.CheckSessions), and that the gate of every stack's alarms fits
// one CloudWatch alarm: the ingest stack's watches every session, a
// regional stack's those of its region.
func validateSessions(c *config.Config, now time.Time) error {
	l := problems.List{Subject: "configuration"}
	if len(c.Sessions) > 0 {
		if want := alarms.CheckGate(AlarmSessions(c.Sessions), now); want != "" {
			l.Add("sessions", fmt.Sprintf("%d sessions (the primary region's ingest watches all)", len(c.Sessions)), want)
		}
	}
	for i, r := range c.Regions {
		if ss := c.SessionsOf(r); len(r.Sessions) > 0 {
			if want := alarms.CheckGate(AlarmSessions(ss), now); want != "" {
				l.Add(fmt.Sprintf("regions[%d].sessions", i), r.Sessions, want)
			}
		}
	}
	return problems.Join("configuration", l.Err(), alarms.CheckSessions("sessions", AlarmSessions(c.Sessions), now, AlarmOverrides(c), calendarDays(c)))
}

// CheckConfig applies AWS's rules and quotas to what the configuration
// will make the app build, before any construct exists.
func CheckConfig(c *config.Config) error {
	l := problems.List{Subject: "configuration"}
	// What the regions and consumers together take of SNS's limits; the
	// fan-out's own values are the construct's to check.
	if c.Fanout.Ordering == config.OrderingFIFO {
		if want := awsrules.SNSFIFOSubscriptions(len(c.Regions), len(c.Fanout.Consumers)); want != "" {
			l.Add("fanout.consumers", fmt.Sprintf("%d consumers", len(c.Fanout.Consumers)), want)
		}
	}
	for i, r := range c.Regions {
		if want := awsrules.SNSOptInForwarding(c.PrimaryRegion, r.Name); want != "" {
			l.Add(fmt.Sprintf("regions[%d].name", i), r.Name, want)
		}
		if want := awsrules.StackDescription(regionalDescription(r)); want != "" {
			l.Add(fmt.Sprintf("regions[%d].market", i), awsrules.Truncate(r.Market), fmt.Sprintf("a market name of at most %d bytes: it goes into the regional stack's description, and %s", awsrules.StackDescriptionBytes-len(regionalDescription(config.Region{})), want))
		}
	}
	// What the gateways together take of a template's limits; each
	// gateway's own values are the api construct's to check
	// (api.Props.Validate). Each usage plan's key value is a
	// {{resolve:secretsmanager:...}} in every regional stack, which holds
	// every gateway.
	plans := 0
	for _, g := range c.API.Gateways {
		plans += len(g.UsagePlans)
	}
	if want := awsrules.TemplateDynamicReferences(plans); want != "" {
		l.Add("api.gateways", fmt.Sprintf("%d usage plans", plans), fmt.Sprintf("at most %d usage plans across the gateways: each plan's API key resolves its secret in every regional stack, and %s", awsrules.DynamicReferences, want))
	}
	return l.Err()
}

// regionalDescription is a regional stack's description, which CheckConfig
// holds to CloudFormation's limit.
func regionalDescription(r config.Region) string { return "Trade-execution consumers for " + r.Market }
