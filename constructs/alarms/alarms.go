// Package alarms gives every resource the platform deploys the CloudWatch
// alarms AWS recommends for it, routed to an encrypted per-region alarm topic
// that notifies people on ALARM and on OK.
//
// Which alarms a resource gets is decided once per Kind in Catalogue, next to
// the reasons for each recommended alarm that does not apply; a test checks
// the catalogue against the AWS reference and every synthesized resource
// against the catalogue.
//
// A metric is named once, as a Metric of a resource's Source (QueueMetrics,
// APIStageMetrics...): the alarms, the dashboards' lines (Graph) and the
// constructs' Metric* methods all take it from there, and Kind.Metric is
// exactly what a kind's alarm evaluates.
package alarms

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/internal/keys"
	"github.com/brokerage/platform/internal/suppress"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/regions"
	"github.com/brokerage/platform/valid"
)

// Override changes one alarm's threshold or M-of-N datapoints.
type Override struct {
	Threshold         *float64
	DatapointsToAlarm int
	EvaluationPeriods int
}

// CheckOverrides reports overrides that name no alarm of the catalogue, a
// negative threshold (the catalogue's metrics are counts, ages and
// ratios), and the evaluation periods and M of N that, merged with the
// catalogue's alarm as the construct merges them, CloudWatch would refuse.
// An alarm whose period follows its target's redelivery (Spec.PeriodOfRedelivery)
// is judged here with the catalogue's period, and again by Watch with its own.
func CheckOverrides(field string, overrides map[string]Override) error {
	l := problems.List{Subject: "configuration"}
	known := map[string]Spec{}
	var names []string
	for _, k := range Kinds() {
		for _, s := range Catalogue[k].Alarms {
			key := OverrideKey(k, s.Metric)
			known[key] = s
			names = append(names, key)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		f, o := field+"["+strconv.Quote(k)+"]", overrides[k]
		s, ok := known[k]
		if !ok {
			l.Add(f, k, "an alarm of the runbook: one of "+strings.Join(names, ", "))
			continue
		}
		if o.Threshold != nil && *o.Threshold < 0 {
			l.Add(f+".threshold", *o.Threshold, "a threshold of at least 0")
		}
		if o.EvaluationPeriods != 0 {
			if want := awsrules.AlarmEvaluationRange(s.PeriodSeconds, o.EvaluationPeriods); want != "" {
				l.Add(f+".evaluationPeriods", o.EvaluationPeriods, want)
			}
		}
		merged := o.apply(s) // a negative value is left out: the one given is judged
		if want := awsrules.AlarmDatapoints(cmp.Or(o.DatapointsToAlarm, merged.DatapointsToAlarm), merged.EvaluationPeriods); want != "" {
			l.Add(f+".datapointsToAlarm", o.DatapointsToAlarm, want)
		}
	}
	return l.Err()
}

// Props configures a region's alarms.
type Props struct {
	// Prefix names the alarm topics and the key's alias and starts every
	// alarm name, e.g. "brokerage-prod". Default: the stack's name, unique
	// in its account and region, as these names must be (one alarms
	// construct per stack then).
	Prefix string
	// Recipients by severity: each severity listed gets a topic that tells
	// them on ALARM and on OK, and needs at least one recipient; notify is
	// required. Unless Topics is set.
	Recipients map[Severity]Recipients
	// Overrides by "<kind>/<metric>". Default: the catalogue's values.
	Overrides map[string]Override
	// Topics reuses the region's alarm topics, by severity, created by
	// another stack of the same region (which must deploy first), such as
	// awssns.Topic_FromTopicArn of their TopicName. Default: new topics and
	// a key.
	Topics map[Severity]awssns.ITopic
	// Sessions the idle alarms watch: each idle alarm's own expression
	// makes it page after its evaluation window of silence inside the
	// sessions' watched windows, on their trading days outside their
	// holidays, and keeps it quiet otherwise (see sessions.go). Default:
	// none; an idle alarm then fires on any silence, day and night.
	Sessions []Session
	// Now is when the app is synthesized: the gate leaves out holidays
	// already past and starts from the time zones' offsets now. Default:
	// time.Now(); tests pin it for reproducible templates.
	Now time.Time
	// CalendarDays refuses Sessions whose holiday calendar ends within that
	// many days of Now (CheckSessions). Default: 0, no such check; the
	// platform sets CalendarWarningDays in prod.
	CalendarDays int
	// RemovalPolicy of the topics' key. Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// Recipients are who an alarm topic tells.
type Recipients struct {
	Emails []string
	// PagerURL is an optional https endpoint (pager or chat) subscribed to the topic.
	PagerURL string
}

var labelPattern = regexp.MustCompile(`[^A-Za-z0-9-]+`)

func (p *Props) validate() error {
	l := problems.List{Subject: "alarms.Props"}
	if _, ok := p.Recipients[SeverityNotify]; !ok && p.Topics == nil {
		l.Add("Recipients["+string(SeverityNotify)+"]", nil, "the recipients of notify alarms (every construct has a notify topic)")
	}
	for _, sev := range Severities {
		f := "Recipients[" + string(sev) + "]"
		r, ok := p.Recipients[sev]
		if ok && p.Topics == nil && len(r.Emails) == 0 && r.PagerURL == "" {
			l.Add(f, "no recipient", "at least one e-mail address or a pager URL")
		}
		for i, e := range r.Emails {
			if !valid.Email(e) {
				l.Add(fmt.Sprintf("%s.Emails[%d]", f, i), e, "a plain e-mail address")
			}
		}
		if r.PagerURL != "" && !valid.HTTPSURL(r.PagerURL) {
			l.Add(f+".PagerURL", r.PagerURL, "an https:// URL")
		}
	}
	if want := CheckGate(p.Sessions, p.Now); want != "" {
		l.Add("Sessions", len(p.Sessions), want)
	}
	return problems.Join(l.Subject, l.Err(), CheckOverrides("Overrides", p.Overrides),
		CheckSessions("Sessions", p.Sessions, p.Now, p.Overrides, p.CalendarDays))
}

// Alarms is a region's alarm topics, one per severity, and the alarms that
// notify them.
//
// Example:
//
//	al := alarms.New(stack, "Alarms", &alarms.Props{
//		Prefix: "brokerage-prod", Recipients: map[alarms.Severity]alarms.Recipients{
//			alarms.SeverityPage:   {PagerURL: "https://pager.example.com/hook"},
//			alarms.SeverityNotify: {Emails: []string{"trading-ops@example.com"}},
//		},
//	})
//	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics(*queue.QueueName())})
type Alarms struct {
	constructs.Construct
	// Topic is the notify topic when this construct created it (its
	// logical ID is the one the region's single alarm topic always had);
	// nil when reused.
	Topic awssns.Topic
	// PageTopic is the page topic when this construct created it; nil when reused.
	PageTopic awssns.Topic
	// Key encrypts both topics; nil when reused.
	Key awskms.Key
	// Topics are where alarms of each severity send ALARM and OK.
	Topics map[Severity]awssns.ITopic
	// Created lists every alarm this construct created, in creation order,
	// for dashboards.
	Created []awscloudwatch.Alarm

	props    Props
	byMetric map[string]awscloudwatch.Alarm // by Metric.key, for AlarmOn
	widgets  []awscloudwatch.IWidget        // for Dashboard
	gates    map[int]*sessionGate           // the idle alarms' gates by period (seconds), once built
}

// AlarmARN is the ARN of the named alarm in region (a region name, whose
// partition the ARN takes): alarm names are deterministic, so dashboards in
// any region can show an alarm without a reference to its stack.
func AlarmARN(region, account, name string) string {
	return "arn:" + regions.Partition(region) + ":cloudwatch:" + region + ":" + account + ":alarm:" + name
}

// AlarmName is the name of an alarm of the platform: "<prefix>-<name>".
func AlarmName(prefix, name string) string { return prefix + "-" + name }

// TopicName is the deterministic name of a region's alarm topic of the
// given severity: "<prefix>-alarms" (notify, the name the region's single
// topic always had) and "<prefix>-alarms-page".
func TopicName(prefix string, sev Severity) string {
	if sev == SeverityNotify {
		return prefix + "-alarms"
	}
	return prefix + "-alarms-" + string(sev)
}

// New creates (or, with Topics, reuses) the region's alarm topics. It
// panics with a *problems.Error listing every invalid prop.
func New(scope constructs.Construct, id string, props *Props) *Alarms {
	p := *props
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	if err := p.validate(); err != nil {
		panic(err)
	}
	p.RemovalPolicy = cmp.Or(p.RemovalPolicy, awscdk.RemovalPolicy_RETAIN)
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	p.Prefix = cmp.Or(p.Prefix, *stack.StackName())
	a := &Alarms{Construct: c, props: p, Topics: map[Severity]awssns.ITopic{}, byMetric: map[string]awscloudwatch.Alarm{}}
	if p.Topics != nil {
		maps.Copy(a.Topics, p.Topics)
		return a
	}
	alarmARNs := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})

	a.Key = keys.New(c, "Key", "alias/"+p.Prefix+"/alarms", "Encrypts the region's alarm topics", p.RemovalPolicy)
	cloudwatch := keys.ServicePrincipals("cloudwatch.amazonaws.com")
	keys.AllowService(a.Key, "AllowCloudWatchAlarms", cloudwatch, "ArnLike", alarmARNs)
	for _, sev := range Severities {
		if _, ok := p.Recipients[sev]; ok {
			a.addTopic(sev, alarmARNs, cloudwatch)
		}
	}
	a.Watch(c, Target{Kind: KindAlarmTopic, Label: "alarm-topic", Metrics: TopicMetrics(*a.Topic.TopicName())})
	if a.PageTopic != nil {
		a.Watch(a.PageTopic, Target{Kind: KindAlarmTopic, Label: "alarm-topic-page", Metrics: TopicMetrics(*a.PageTopic.TopicName())})
	}
	return a
}

// addTopic creates the alarm topic of severity sev, which alarms (alarmARNs)
// may publish to, and subscribes its recipients.
func (a *Alarms) addTopic(sev Severity, alarmARNs *string, cloudwatch *[]awsiam.IPrincipal) {
	c, p := a.Construct, a.props
	// The notify topic keeps the ID "Topic" (and its subscriptions
	// theirs): it is the region's alarm topic from before severities.
	id, sub, display := "Topic", "", p.Prefix+" alarms"
	if sev != SeverityNotify {
		id, sub, display = "PageTopic", "Page", p.Prefix+" alarms ("+string(sev)+")"
	}
	topic := awssns.NewTopic(c, jsii.String(id), &awssns.TopicProps{
		TopicName:        jsii.String(TopicName(p.Prefix, sev)),
		DisplayName:      jsii.String(display),
		MasterKey:        a.Key,
		EnforceSSL:       jsii.Bool(true),
		SignatureVersion: jsii.String("2"),
	})
	topic.ApplyRemovalPolicy(p.RemovalPolicy)
	topicARN := topic.TopicArn()
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarms"),
		Principals: cloudwatch,
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topicARN},
		Conditions: &map[string]any{"ArnLike": map[string]any{"aws:SourceArn": alarmARNs}},
	}))
	a.Topics[sev] = topic
	subscribe := func(id, protocol, endpoint string) {
		s := awssns.NewCfnSubscription(c, jsii.String(id), &awssns.CfnSubscriptionProps{
			TopicArn: topicARN, Protocol: jsii.String(protocol), Endpoint: jsii.String(endpoint),
		})
		suppress.Nag(s, "Serverless-SNSRedrivePolicy", "Notification to people: a dead-letter queue would hold alarms nobody reads; failed deliveries raise the alarm topic's NumberOfNotificationsFailed alarm instead.")
	}
	r := p.Recipients[sev]
	for i, e := range r.Emails {
		subscribe(fmt.Sprintf("%sEmail%d", sub, i), "email", e)
	}
	if r.PagerURL != "" {
		subscribe(sub+"Pager", "https", r.PagerURL)
	}
	if sev == SeverityNotify {
		a.Topic = topic
	} else {
		a.PageTopic = topic
	}
}

// Target is a resource to watch.
type Target struct {
	Kind Kind
	// Label names the resource in alarm names and descriptions, e.g. "holdings".
	Label string
	// Metrics are where the resource's metrics are, of the kind's shape,
	// e.g. QueueMetrics(*queue.QueueName()). Required.
	Metrics Source
	// TimeoutSeconds of a function, for the Duration alarm.
	TimeoutSeconds float64
	// RedeliverySeconds is the visibility timeout of the queue that feeds
	// the target, for alarms with PeriodOfRedelivery.
	RedeliverySeconds float64
}

// Watch creates the kind's alarms for the target under scope, which must be
// in this construct's stack. It panics when the target's metrics are not
// of the kind's shape.
func (a *Alarms) Watch(scope constructs.Construct, t Target) []awscloudwatch.Alarm {
	ks := t.Kind.spec()
	ks.mustHold(t.Kind, t.Metrics)
	var out []awscloudwatch.Alarm
	for _, s := range ks.Alarms {
		key := OverrideKey(t.Kind, s.Metric)
		s = a.props.Overrides[key].apply(s)
		if s.ThresholdOfTimeout > 0 {
			s.Threshold = s.ThresholdOfTimeout * t.TimeoutSeconds * 1000
		}
		if s.PeriodOfRedelivery {
			s.PeriodSeconds = (int(math.Ceil(t.RedeliverySeconds/60)) + 1) * 60
			// CheckOverrides knew only the catalogue's period, not the target's.
			if want := awsrules.AlarmEvaluationRange(s.PeriodSeconds, s.EvaluationPeriods); want != "" {
				l := problems.List{Subject: "alarms.Props"}
				l.Add("Overrides["+strconv.Quote(key)+"].evaluationPeriods", s.EvaluationPeriods, want+" (the period follows the redelivery of "+t.Label+")")
				panic(l.Err())
			}
		}
		out = append(out, a.create(scope, t.Kind, t.Label, s.metricOf(t.Metrics), s))
	}
	return out
}

// WatchAccountConcurrency creates the region's account-level Lambda
// concurrency alarm; call it once per region that runs functions.
func (a *Alarms) WatchAccountConcurrency(scope constructs.Construct) awscloudwatch.Alarm {
	return a.create(scope, KindFunction, "account", AccountConcurrency.metricOf(Source{Namespace: lambdaFunction.Namespace}), AccountConcurrency)
}

// apply merges the override into the catalogue's s: a threshold replaces
// the catalogue's (and its share of a timeout); evaluation periods replace
// the catalogue's and cap its datapoints; datapoints replace the result.
// The zero Override (an alarm nobody overrides) leaves s as it is.
// CheckOverrides merges with it too, so that it judges what is built.
func (o Override) apply(s Spec) Spec {
	if o.Threshold != nil {
		s.Threshold = *o.Threshold
		s.ThresholdOfTimeout = 0
	}
	if o.EvaluationPeriods > 0 {
		s.EvaluationPeriods = o.EvaluationPeriods
		s.DatapointsToAlarm = min(s.DatapointsToAlarm, s.EvaluationPeriods)
	}
	if o.DatapointsToAlarm > 0 {
		s.DatapointsToAlarm = o.DatapointsToAlarm
	}
	return s
}

// notify is the action that notifies the topic of severity sev; it
// panics, naming what, when the construct has no recipients of that
// severity.
func (a *Alarms) notify(sev Severity, what string) awscloudwatch.IAlarmAction {
	topic, ok := a.Topics[sev]
	if !ok {
		panic(fmt.Sprintf("alarms: %s has severity %q, want one of the construct's: %s", what, sev, joinSeverities()))
	}
	return awscloudwatchactions.NewSnsAction(topic)
}

// TargetAlarmName is the name of the alarm on metric of the target labelled
// label: "<prefix>-<label>-<metric>", the label's punctuation made hyphens.
func TargetAlarmName(prefix, label, metric string) string {
	return AlarmName(prefix, labelPattern.ReplaceAllString(label, "-")+"-"+metric)
}

// create makes the alarm s on metric m of the target labelled label.
func (a *Alarms) create(scope constructs.Construct, k Kind, label string, m Metric, s Spec) awscloudwatch.Alarm {
	name := TargetAlarmName(a.props.Prefix, label, s.Metric)
	action := a.notify(s.Severity, fmt.Sprintf("%s alarm %s", k, s.Metric))
	props := &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(name),
		AlarmDescription:   jsii.String(s.Meaning + " First check: " + s.FirstCheck),
		ComparisonOperator: awscloudwatch.ComparisonOperator(member(s.Comparison)),
		Threshold:          jsii.Number(s.Threshold),
		EvaluationPeriods:  jsii.Number(float64(s.EvaluationPeriods)),
		DatapointsToAlarm:  jsii.Number(float64(s.DatapointsToAlarm)),
		TreatMissingData:   awscloudwatch.TreatMissingData(member(s.TreatMissingData)),
	}
	switch {
	case s.Idle() && len(a.props.Sessions) > 0:
		// The silent minutes inside the sessions: missing data there
		// means CloudWatch could not evaluate the gate, which must not
		// hide an outage.
		props.Metric = a.gated(m, s)
		props.ComparisonOperator = awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
		props.Threshold = jsii.Number(1)
		props.TreatMissingData = awscloudwatch.TreatMissingData_BREACHING
	case s.Arrivals:
		props.Metric = arrivals(m)
	default:
		props.Metric = m.CDK()
	}
	alarm := inPlace(scope, "Alarm"+s.Metric, func(scope constructs.Construct, id *string) awscloudwatch.Alarm {
		return awscloudwatch.NewAlarm(scope, id, props)
	})
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	a.Created = append(a.Created, alarm)
	a.byMetric[m.key()] = alarm
	return alarm
}

// member is the aws-cdk-lib enum member of a CloudFormation value the
// catalogue states: GreaterThanThreshold is GREATER_THAN_THRESHOLD,
// notBreaching NOT_BREACHING.
func member(value string) string {
	return strings.ToUpper(camelHump.ReplaceAllString(value, "${1}_${2}"))
}

var camelHump = regexp.MustCompile(`([a-z])([A-Z])`)

// inPlace builds an aws-cdk-lib L2 construct at scope/id whose resource
// keeps the logical ID an L1 resource at scope/id has: the one the
// platform's named alarms and dashboards were deployed with. An L2 puts its
// resource at scope/id/Resource, which CloudFormation would see as a new
// resource of the same name, created before the old one is deleted, and
// the delete takes the named resource with it. The ID is the stack's own
// (Stack.GetLogicalId of a probe at scope/id), not a copy of its algorithm.
func inPlace[T constructs.IConstruct](scope constructs.Construct, id string, build func(scope constructs.Construct, id *string) T) T {
	probe := awscdk.NewCfnResource(scope, jsii.String(id), &awscdk.CfnResourceProps{Type: jsii.String("Probe::Logical::Id")})
	logicalID := awscdk.Stack_Of(scope).GetLogicalId(probe)
	scope.Node().TryRemoveChild(jsii.String(id))
	c := build(scope, jsii.String(id))
	c.Node().DefaultChild().(awscdk.CfnElement).OverrideLogicalId(logicalID)
	return c
}

// AlarmOn is the alarm this construct created on metric m, as Kind.Metric
// names it:
//
//	lost := al.AlarmOn(alarms.KindFanoutTopic.Metric(topic, "NumberOfNotificationsFailedToRedriveToDlq"))
//
// It panics when there is none (the resource is not watched yet): a
// programming error, found when the app is built.
func (a *Alarms) AlarmOn(m Metric) awscloudwatch.Alarm {
	alarm, ok := a.byMetric[m.key()]
	if !ok {
		panic(fmt.Sprintf("alarms: no alarm on %s %s %v (%s): watch the resource first", m.Namespace, m.Name, m.Dimensions, m.Statistic))
	}
	return alarm
}

// gated is the metric of an idle alarm on metric m, gated by the
// construct's sessions: the minutes inside a session in which m was not
// healthy (sessions.go), computed from m and the gate's expressions, which
// every idle alarm of the construct with m's period shares.
func (a *Alarms) gated(m Metric, s Spec) awscloudwatch.MathExpression {
	period := awscdk.Duration_Seconds(jsii.Number(float64(m.PeriodSeconds)))
	g, ok := a.gates[m.PeriodSeconds]
	if !ok {
		g = newSessionGate(a.props.Sessions, a.props.Now, period)
		if a.gates == nil {
			a.gates = map[int]*sessionGate{}
		}
		a.gates[m.PeriodSeconds] = g
	}
	known := maps.Clone(g.queries)
	known["m"] = m.CDK()
	silent := mathExpression(silentExpression(g.open, s.Comparison, s.Threshold), known, period)
	silent.Label = jsii.String(g.label)
	return awscloudwatch.NewMathExpression(silent)
}

// sessionGate is the gate of a construct's idle alarms: its expressions by
// id, the one that says a watched session is open, and the label of the
// silent minutes it makes.
type sessionGate struct {
	queries     map[string]awscloudwatch.IMetric
	open, label string
}

func newSessionGate(sessions []Session, now time.Time, period awscdk.Duration) *sessionGate {
	queries, open := gate(sessions, now)
	g := &sessionGate{queries: map[string]awscloudwatch.IMetric{}, open: open}
	// An expression that reads no metric ("t", the time) carries the
	// period itself: CloudWatch refuses it without one ("Period must not
	// be null", https://github.com/aws/aws-cdk/issues/7155), and the
	// MathExpression writes it for exactly those.
	for _, q := range queries {
		g.queries[q.ID] = awscloudwatch.NewMathExpression(mathExpression(q.Expression, g.queries, period))
	}
	names := make([]string, len(sessions))
	for i, ss := range sessions {
		names[i] = ss.Name
	}
	g.label = "silent minutes in the " + strings.Join(names, ", ") + " sessions"
	return g
}

// mathExpression is expr over the queries of known it names.
func mathExpression(expr string, known map[string]awscloudwatch.IMetric, period awscdk.Duration) *awscloudwatch.MathExpressionProps {
	using := map[string]awscloudwatch.IMetric{}
	for _, id := range identifier.FindAllString(expr, -1) {
		if q, ok := known[id]; ok {
			using[id] = q
		}
	}
	return &awscloudwatch.MathExpressionProps{Expression: jsii.String(expr), UsingMetrics: &using, Period: period}
}

// identifier finds the query ids a metric math expression names (its
// functions are upper case).
var identifier = regexp.MustCompile(`[a-z][A-Za-z0-9_]*`)

// arrivals is the metric of a dead-letter queue's arrival alarm on visible,
// the queue's visible messages: messages visible, sent or received in a
// period, so that a DLQ drained between samples still alarms.
func arrivals(visible Metric) awscloudwatch.MathExpression {
	queue := Source{Namespace: visible.Namespace, Dimensions: visible.Dimensions}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(visible,0)+FILL(sent,0)+FILL(received,0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"visible":  visible.CDK(),
			"sent":     queue.Metric("NumberOfMessagesSent", "Sum").CDK(),
			"received": queue.Metric("NumberOfMessagesReceived", "Sum").CDK(),
		},
		Label:  jsii.String("messages visible, sent or received"),
		Period: awscdk.Duration_Seconds(jsii.Number(float64(visible.PeriodSeconds))),
	})
}
