// Package stacks composes the constructs into per-region stacks. It decides
// which construct goes in which stack and how stacks depend on each other; it
// holds no resource logic of its own.
//
// Stack names are <app>-<stage>-<region>-<role>, so that
// `cdk deploy 'brokerage-prod-eu-west-2-*'` deploys one region.
package stacks

import (
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/fanout"
	"github.com/brokerage/platform/regions"
)

// removalPolicy keeps every data-bearing resource of prod when its stack
// or the resource leaves the app; other stages clean up after themselves.
func removalPolicy(c *config.Config) awscdk.RemovalPolicy {
	if c.IsProd() {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// Roles of the stacks.
const (
	RoleEdge     = "edge"     // us-east-1: the static site and what CloudFront needs, the global overview
	RoleIngest   = "ingest"   // primary region: broker ingest, redistribution, fan-out topic
	RoleRegional = "regional" // every region: consumer queues
)

// PlatformProps configures the whole platform.
type PlatformProps struct {
	// Config is a validated configuration.
	Config *config.Config
	// Regions selects whose stacks are constructed (us-east-1 selects the
	// edge stack); nil constructs every stack. The CLI synthesizes whatever the
	// app constructs, so selection happens here.
	Regions []string
	// RedistributorCode is the redistributor Lambda's code. Default:
	// fanout.RedistributorCode(), built from this module.
	RedistributorCode awslambda.Code
	// ConsumerCode is the code of a reference consumer's Lambda, by its
	// directory in this module (ReferenceConsumers). Default:
	// fanout.ModuleLambda, which builds it.
	ConsumerCode func(dir string) awslambda.Code
	// Now is when the app is synthesized: the idle alarms' session gates
	// start from it (alarms.Props.Now). Default: time.Now().
	Now time.Time
}

// Platform holds the constructed stacks.
type Platform struct {
	// Stacks in construction order.
	Stacks []awscdk.Stack
	// Edge is the us-east-1 edge stack, nil when not selected.
	Edge awscdk.Stack
	// Ingest is the primary region's ingest stack, nil when not selected.
	Ingest awscdk.Stack
	// Regional stacks by region, for the selected regions.
	Regional map[string]awscdk.Stack

	c        *config.Config
	scope    awscdk.Stage
	alarmsIn map[string]awscdk.Stack // region -> the stack that owns its alarm topic
	now      time.Time
}

// StackName is the name of a region's stack with the given role.
func StackName(c *config.Config, region, role string) string {
	return c.Prefix() + "-" + region + "-" + role
}

// NewPlatform constructs the selected stacks in scope, the app. The stacks
// carry their names explicitly.
//
//	stacks.NewPlatform(app, &stacks.PlatformProps{Config: cfg, Regions: []string{"eu-west-2"}})
func NewPlatform(scope awscdk.Stage, props *PlatformProps) *Platform {
	c := props.Config
	selected := props.Regions
	if selected == nil {
		selected = append([]string{regions.Edge}, c.RegionNames()...)
	}
	p := &Platform{Regional: map[string]awscdk.Stack{}, c: c, scope: scope, alarmsIn: map[string]awscdk.Stack{}, now: props.Now}
	if p.now.IsZero() {
		p.now = time.Now()
	}
	if slices.Contains(selected, regions.Edge) {
		p.Edge = p.newEdge()
	}
	fan := IngestProps(c)
	fan.RedistributorCode = props.RedistributorCode
	consumerCode := props.ConsumerCode
	if consumerCode == nil {
		consumerCode = fanout.ModuleLambda
	}
	if slices.Contains(selected, c.PrimaryRegion) {
		s := p.newStack(c.PrimaryRegion, RoleIngest, "Trade-execution ingest from the broker and fan-out to every region")
		// The ingest carries every market's executions: it watches every session.
		ingest := *fan
		ingest.Alarms = p.alarms(s, c.PrimaryRegion, c.Sessions)
		fanout.NewIngest(s, "Fanout", &ingest)
		// The account concurrency alarm is one per account and region:
		// us-east-1's is the edge stack's.
		if c.PrimaryRegion != regions.Edge {
			ingest.Alarms.WatchAccountConcurrency(ingest.Alarms.Construct)
		}
		p.Ingest = s
	}

	for _, r := range c.Regions {
		if !slices.Contains(selected, r.Name) {
			continue
		}
		s := p.newStack(r.Name, RoleRegional, regionalDescription(r))
		// The subscriptions name the topic and the delivery DLQs by ARN: the
		// ingest stack deploys first, and is destroyed last.
		if p.Ingest != nil {
			s.AddStackDependency(p.Ingest, jsii.String("subscribes to the fan-out topic"))
		}
		al := p.alarms(s, r.Name, c.SessionsOf(r))
		regional := fan.RegionalProps(c.PrimaryRegion)
		regional.Alarms = al
		reg := fanout.NewRegional(s, "Fanout", regional)
		runsFunctions := false
		for i, cons := range c.Fanout.Consumers {
			built := reg.AddConsumer(ConsumerProps(cons, consumerCode))
			if ref, runs := ReferenceConsumers[cons.Handler]; runs {
				built.AddTable(ref.TableID, &ref.Table)
				runsFunctions = true
			}
			blame(built.Queue.Node().Scope(), fmt.Sprintf("fanout.consumers[%d].name", i), cons.Name)
		}
		// The account concurrency alarm of the other regions that run functions.
		if runsFunctions && r.Name != c.PrimaryRegion && r.Name != regions.Edge {
			al.WatchAccountConcurrency(al.Construct)
		}
		addGateways(s, r.Name, al, c)
		al.Dashboard(s, "Dashboard", c.Prefix()+"-"+r.Name, "Alarms in "+r.Name+" ("+r.Market+")")
		p.Regional[r.Name] = s
	}
	return p
}

func (p *Platform) newStack(region, role, description string) awscdk.Stack {
	c := p.c
	name := jsii.String(StackName(c, region, role))
	s := awscdk.NewStack(p.scope, name, &awscdk.StackProps{
		StackName:             name,
		Env:                   &awscdk.Environment{Account: jsii.String(c.Account), Region: jsii.String(region)},
		Description:           jsii.String(description),
		TerminationProtection: jsii.Bool(c.IsProd()),
		Tags:                  &map[string]*string{"app": jsii.String(c.App), "stage": jsii.String(c.Stage)},
	})
	p.Stacks = append(p.Stacks, s)
	return s
}

// alarms gives s, a stack in region, the alarms construct of the region,
// its idle alarms watching sessions. Each region has one alarm topic per
// severity, created by the first stack constructed there; the region's later
// stacks reuse them by their deterministic ARNs and deploy after it.
func (p *Platform) alarms(s awscdk.Stack, region string, sessions []config.Session) *alarms.Alarms {
	c, prefix := p.c, p.c.Prefix()
	props := &alarms.Props{Prefix: prefix, Recipients: map[alarms.Severity]alarms.Recipients{}, Overrides: AlarmOverrides(c), RemovalPolicy: removalPolicy(c),
		Sessions: AlarmSessions(sessions), Now: p.now, CalendarDays: calendarDays(c)}
	for _, sev := range alarms.Severities {
		props.Recipients[sev] = alarms.Recipients(c.Alarms.RecipientsFor(string(sev)))
	}
	if owner, ok := p.alarmsIn[region]; ok {
		props.Topics = map[alarms.Severity]awssns.ITopic{}
		for _, sev := range alarms.Severities {
			arn := s.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sns"), Resource: jsii.String(alarms.TopicName(prefix, sev))})
			props.Topics[sev] = awssns.Topic_FromTopicArn(s, jsii.String("AlarmTopic-"+string(sev)), arn)
		}
		s.AddStackDependency(owner, jsii.String("sends alarms to the region's alarm topics"))
	} else {
		p.alarmsIn[region] = s
	}
	al := alarms.New(s, "Alarms", props)
	// Its topics' subscriptions are the recipients', one per address.
	blame(al, "alarms.emails", fmt.Sprintf("%d addresses", len(c.Alarms.Emails)))
	return al
}

// calendarDays is how far ahead the sessions' holiday calendars must run:
// prod refuses to synthesize a calendar that ends within
// alarms.CalendarWarningDays, so that it cannot run out unnoticed.
func calendarDays(c *config.Config) int {
	if c.IsProd() {
		return alarms.CalendarWarningDays
	}
	return 0
}

// blame names the configuration entry scope was built from, so that a
// problem the checks over the assembly find in its resources (a name taken
// twice, a quota) names that field (awsrules.ConfigFieldMetadata).
func blame(scope constructs.IConstruct, field, value string) {
	scope.Node().AddMetadata(jsii.String(awsrules.ConfigFieldMetadata), map[string]string{"field": field, "value": value}, nil)
}

// AlarmOverrides converts the configuration's alarm overrides.
func AlarmOverrides(c *config.Config) map[string]alarms.Override {
	out := map[string]alarms.Override{}
	for k, o := range c.Alarms.Overrides {
		out[k] = alarms.Override(o)
	}
	return out
}
