// Package alarms gives every resource the platform deploys the CloudWatch
// alarms AWS recommends for it, routed to an encrypted per-region alarm topic
// that notifies people on ALARM and on OK.
//
// Which alarms a resource gets is decided once per Kind in Catalogue, next to
// the reasons for each recommended alarm that does not apply; a test checks
// the catalogue against the AWS reference and every synthesized resource
// against the catalogue.
package alarms

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/guard/suppress"
	"github.com/brokerage/platform/constructs/keys"
	"github.com/brokerage/platform/problems"
)

// Override changes one alarm's threshold or M-of-N datapoints.
type Override struct {
	Threshold         *float64
	DatapointsToAlarm int
	EvaluationPeriods int
}

// CheckOverrides reports overrides that name no alarm of the catalogue.
func CheckOverrides(field string, overrides map[string]Override) error {
	l := problems.List{Subject: "configuration"}
	known := map[string]bool{}
	var names []string
	for _, k := range Kinds() {
		for _, s := range Catalogue[k].Alarms {
			key := OverrideKey(k, s.Metric)
			known[key] = true
			names = append(names, key)
		}
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			l.Add(field+"["+strconv.Quote(k)+"]", k, "an alarm of the runbook: one of "+strings.Join(names, ", "))
		}
	}
	return l.Err()
}

// Props configures a region's alarms.
type Props struct {
	// Prefix names the alarm topic and starts every alarm name, e.g.
	// "brokerage-prod". Required.
	Prefix string
	// Emails receive ALARM and OK notifications. At least one, unless TopicARN is set.
	Emails []string
	// PagerURL is an optional https endpoint (chat or pager) subscribed to the topic.
	PagerURL string
	// Overrides by "<kind>/<metric>". Default: the catalogue's values.
	Overrides map[string]Override
	// TopicARN reuses the region's alarm topic created by another stack of the
	// same region (which must deploy first). Default: a new topic and key.
	TopicARN *string
	// RemovalPolicy of the topic's key. Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

var labelPattern = regexp.MustCompile(`[^A-Za-z0-9-]+`)

func (p *Props) validate() error {
	l := problems.List{Subject: "alarms.Props"}
	if p.Prefix == "" {
		l.Add("Prefix", p.Prefix, "a name prefix such as brokerage-prod")
	}
	if p.TopicARN == nil && len(p.Emails) == 0 {
		l.Add("Emails", "[]", "at least one e-mail address")
	}
	for i, e := range p.Emails {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			l.Add(fmt.Sprintf("Emails[%d]", i), e, "a plain e-mail address")
		}
	}
	if p.PagerURL != "" {
		if u, err := url.Parse(p.PagerURL); err != nil || u.Scheme != "https" {
			l.Add("PagerURL", p.PagerURL, "an https:// URL")
		}
	}
	if err := CheckOverrides("Overrides", p.Overrides); err != nil {
		for _, pr := range err.(*problems.Error).Problems {
			l.Add(pr.Field, pr.Value, pr.Want)
		}
	}
	return l.Err()
}

// Alarms is a region's alarm topic and the alarms that notify it.
//
// Example:
//
//	al := alarms.New(stack, "Alarms", &alarms.Props{
//		Prefix: "brokerage-prod", Emails: []string{"trading-ops@example.com"},
//	})
//	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Dimension: queue.QueueName()})
type Alarms struct {
	constructs.Construct
	// Topic is the alarm topic when this construct created it; nil when reused.
	Topic awssns.Topic
	// Key encrypts Topic; nil when reused.
	Key awskms.Key
	// TopicARN is where every alarm sends ALARM and OK.
	TopicARN *string
	// AlarmARNs lists every alarm this construct created, in creation order,
	// for dashboards.
	AlarmARNs []string

	props           Props
	region, account string
}

// AlarmARN is the ARN of the named alarm: alarm names are deterministic, so
// dashboards in any region can show an alarm without a reference to its stack.
func AlarmARN(region, account, name string) string {
	return "arn:aws:cloudwatch:" + region + ":" + account + ":alarm:" + name
}

// AlarmName is the name of an alarm of the platform: "<prefix>-<name>".
func AlarmName(prefix, name string) string { return prefix + "-" + name }

// TopicName is the deterministic name of a region's alarm topic.
func TopicName(prefix string) string { return prefix + "-alarms" }

// New creates (or, with TopicARN, reuses) the region's alarm topic. It panics
// with a *problems.Error listing every invalid prop.
func New(scope constructs.Construct, id string, props *Props) *Alarms {
	if err := props.validate(); err != nil {
		panic(err)
	}
	p := *props
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	a := &Alarms{Construct: c, props: p, TopicARN: p.TopicARN, region: *stack.Region(), account: *stack.Account()}
	if p.TopicARN != nil {
		return a
	}
	alarmARNs := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
	cloudwatch := &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)}

	a.Key = keys.New(c, "Key", "alias/"+p.Prefix+"/alarms", "Encrypts the region's alarm topic", p.RemovalPolicy)
	keys.AllowService(a.Key, "AllowCloudWatchAlarms", []string{"cloudwatch.amazonaws.com"}, "ArnLike", alarmARNs)
	a.Topic = awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		TopicName:        jsii.String(TopicName(p.Prefix)),
		DisplayName:      jsii.String(p.Prefix + " alarms"),
		MasterKey:        a.Key,
		EnforceSSL:       jsii.Bool(true),
		SignatureVersion: jsii.String("2"),
	})
	a.Topic.ApplyRemovalPolicy(p.RemovalPolicy)
	a.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarms"),
		Principals: cloudwatch,
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{a.Topic.TopicArn()},
		Conditions: &map[string]any{"ArnLike": map[string]any{"aws:SourceArn": alarmARNs}},
	}))
	a.TopicARN = a.Topic.TopicArn()
	subscribe := func(id, protocol, endpoint string) {
		sub := awssns.NewCfnSubscription(c, jsii.String(id), &awssns.CfnSubscriptionProps{
			TopicArn: a.TopicARN, Protocol: jsii.String(protocol), Endpoint: jsii.String(endpoint),
		})
		suppress.Nag(sub, "Serverless-SNSRedrivePolicy", "Notification to people: a dead-letter queue would hold alarms nobody reads; failed deliveries raise the alarm topic's NumberOfNotificationsFailed alarm instead.")
	}
	for i, e := range p.Emails {
		subscribe(fmt.Sprintf("Email%d", i), "email", e)
	}
	if p.PagerURL != "" {
		subscribe("Pager", "https", p.PagerURL)
	}
	a.Watch(c, Target{Kind: KindAlarmTopic, Label: "alarm-topic", Dimension: a.Topic.TopicName()})
	return a
}

// Target is a resource to watch.
type Target struct {
	Kind Kind
	// Label names the resource in alarm names and descriptions, e.g. "holdings".
	Label string
	// Dimension is the value of the kind's dimension (QueueName, TopicName,
	// FunctionName), usually a token of the resource.
	Dimension *string
	// TimeoutSeconds of a function, for the Duration alarm.
	TimeoutSeconds float64
}

// Watch creates the kind's alarms for the target under scope, which must be
// in this construct's stack.
func (a *Alarms) Watch(scope constructs.Construct, t Target) []awscloudwatch.CfnAlarm {
	ks, ok := Catalogue[t.Kind]
	if !ok {
		panic(fmt.Sprintf("alarms: unknown kind %q", t.Kind))
	}
	var out []awscloudwatch.CfnAlarm
	for _, s := range ks.Alarms {
		s = a.applyOverride(t.Kind, s)
		if s.ThresholdOfTimeout > 0 {
			s.Threshold = s.ThresholdOfTimeout * t.TimeoutSeconds * 1000
		}
		dims := []any{&awscloudwatch.CfnAlarm_DimensionProperty{Name: jsii.String(ks.Dimension), Value: t.Dimension}}
		for i := 0; i+1 < len(ks.Fixed); i += 2 {
			dims = append(dims, &awscloudwatch.CfnAlarm_DimensionProperty{Name: jsii.String(ks.Fixed[i]), Value: jsii.String(ks.Fixed[i+1])})
		}
		alarm := a.create(scope, t.Kind, t.Label, ks.Namespace, dims, s)
		out = append(out, alarm)
	}
	return out
}

// WatchAccountConcurrency creates the region's account-level Lambda
// concurrency alarm; call it once per region that runs functions.
func (a *Alarms) WatchAccountConcurrency(scope constructs.Construct) awscloudwatch.CfnAlarm {
	return a.create(scope, KindFunction, "account", "AWS/Lambda", nil, AccountConcurrency)
}

func (a *Alarms) applyOverride(k Kind, s Spec) Spec {
	o, ok := a.props.Overrides[OverrideKey(k, s.Metric)]
	if !ok {
		return s
	}
	if o.Threshold != nil {
		s.Threshold = *o.Threshold
		s.ThresholdOfTimeout = 0
	}
	if o.EvaluationPeriods > 0 {
		s.EvaluationPeriods = o.EvaluationPeriods
		if s.DatapointsToAlarm > s.EvaluationPeriods {
			s.DatapointsToAlarm = s.EvaluationPeriods
		}
	}
	if o.DatapointsToAlarm > 0 {
		s.DatapointsToAlarm = o.DatapointsToAlarm
	}
	return s
}

func (a *Alarms) create(scope constructs.Construct, k Kind, label, namespace string, dims []any, s Spec) awscloudwatch.CfnAlarm {
	name := AlarmName(a.props.Prefix, labelPattern.ReplaceAllString(label, "-")+"-"+s.Metric)
	props := &awscloudwatch.CfnAlarmProps{
		AlarmName:          jsii.String(name),
		AlarmDescription:   jsii.String(s.Meaning + " First check: " + s.FirstCheck),
		ComparisonOperator: jsii.String(s.Comparison),
		Threshold:          jsii.Number(s.Threshold),
		EvaluationPeriods:  jsii.Number(float64(s.EvaluationPeriods)),
		DatapointsToAlarm:  jsii.Number(float64(s.DatapointsToAlarm)),
		TreatMissingData:   jsii.String(s.TreatMissingData),
		AlarmActions:       &[]any{a.TopicARN},
		OkActions:          &[]any{a.TopicARN},
	}
	if s.Arrivals {
		stat := func(id, metric, stat string) any {
			return &awscloudwatch.CfnAlarm_MetricDataQueryProperty{Id: jsii.String(id), ReturnData: jsii.Bool(false), MetricStat: &awscloudwatch.CfnAlarm_MetricStatProperty{
				Metric: &awscloudwatch.CfnAlarm_MetricProperty{Namespace: jsii.String(namespace), MetricName: jsii.String(metric), Dimensions: dims},
				Period: jsii.Number(float64(s.PeriodSeconds)), Stat: jsii.String(stat)}}
		}
		props.Metrics = []any{
			stat("visible", "ApproximateNumberOfMessagesVisible", "Maximum"),
			stat("sent", "NumberOfMessagesSent", "Sum"),
			stat("received", "NumberOfMessagesReceived", "Sum"),
			&awscloudwatch.CfnAlarm_MetricDataQueryProperty{Id: jsii.String("arrivals"), ReturnData: jsii.Bool(true), Label: jsii.String("messages visible, sent or received"),
				Expression: jsii.String("FILL(visible,0)+FILL(sent,0)+FILL(received,0)")},
		}
	} else {
		props.Namespace = jsii.String(namespace)
		props.MetricName = jsii.String(s.Metric)
		props.Period = jsii.Number(float64(s.PeriodSeconds))
		if dims != nil {
			props.Dimensions = dims
		}
		if strings.HasPrefix(s.Statistic, "p") {
			props.ExtendedStatistic = jsii.String(s.Statistic)
		} else {
			props.Statistic = jsii.String(s.Statistic)
		}
	}
	alarm := awscloudwatch.NewCfnAlarm(scope, jsii.String("Alarm"+s.Metric), props)
	a.AlarmARNs = append(a.AlarmARNs, AlarmARN(a.region, a.account, name))
	return alarm
}
