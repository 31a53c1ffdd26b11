package delivery

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/guard/suppress"
	"github.com/brokerage/platform/constructs/keys"
	"github.com/brokerage/platform/problems"
)

// NotificationsProps configures a pipeline's notifications.
type NotificationsProps struct {
	// Prefix names the topic (<prefix>-alarms) and the rules (<prefix>-failed,
	// <prefix>-approval). Required.
	Prefix string
	// Emails and PagerURL are told, as by the alarms construct (alarms.Props).
	// At least one e-mail address.
	Emails   []string
	PagerURL string
	// Pipeline whose executions and approvals are reported. Required.
	Pipeline awscodepipeline.IPipeline
	// RemovalPolicy of the topic and its key. Default: retain.
	RemovalPolicy awscdk.RemovalPolicy
}

// Notifications tells people when a delivery stops and when it waits for them.
type Notifications struct {
	constructs.Construct
	// Alarms holds the encrypted topic (Alarms.Topic) and its own alarms.
	Alarms *alarms.Alarms
	// Rules are the EventBridge rules: the failed execution, the waiting
	// approval; each has a FailedInvocations alarm on the topic.
	Rules []awsevents.CfnRule
}

func (p *NotificationsProps) validate() error {
	l := problems.List{Subject: "delivery.NotificationsProps"}
	if p.Prefix == "" {
		l.Add("Prefix", p.Prefix, "a name prefix such as brokerage-delivery")
	}
	if p.Pipeline == nil {
		l.Add("Pipeline", "nil", "the pipeline to report on")
	}
	return l.Err()
}

// rule is one notification: which pipeline events, and the message, whose
// <placeholders> are filled from the event.
type rule struct {
	id, suffix, detailType, text string
	detail                       map[string]any
}

var rules = []rule{
	{"ExecutionFailed", "-failed", "CodePipeline Pipeline Execution State Change",
		"Delivery stopped: execution <id> of <pipeline> failed. The failed stage (a deployment, or the alarm check after a wave) is in the CodePipeline console.",
		map[string]any{"state": []string{"FAILED"}}},
	{"ApprovalWaiting", "-approval", "CodePipeline Action Execution State Change",
		"Approval waiting: <action> in <stage> of <pipeline> needs a person before the change goes on.",
		map[string]any{"state": []string{"STARTED"}, "type": map[string]any{"category": []string{"Approval"}}}},
}

var eventPaths = map[string]string{"id": "$.detail.execution-id", "pipeline": "$.detail.pipeline", "stage": "$.detail.stage", "action": "$.detail.action"}

// NewNotifications tells the recipients when an execution of the pipeline
// fails (a deployment, or an alarm check after a wave) and when an approval
// waits for them, through an encrypted topic of its own, watched like every
// alarm topic. EventBridge may publish to the topic, and use its key, for
// these rules only: the rules are L1 because aws-cdk-lib's SNS target would
// let any rule do both. It panics with a *problems.Error on invalid props.
//
//	delivery.NewNotifications(stack, "Notifications", &delivery.NotificationsProps{
//		Prefix: "brokerage-delivery", Emails: []string{"trading-ops@example.com"}, Pipeline: pipeline.Pipeline(),
//	})
func NewNotifications(scope constructs.Construct, id string, props *NotificationsProps) *Notifications {
	if err := props.validate(); err != nil {
		panic(err)
	}
	p := *props
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	n := &Notifications{Construct: c}
	n.Alarms = alarms.New(c, "Alarms", &alarms.Props{Prefix: p.Prefix, RemovalPolicy: p.RemovalPolicy,
		// The pipeline's own alarms all notify: a stopped delivery waits for working hours.
		Recipients: map[alarms.Severity]alarms.Recipients{alarms.SeverityNotify: {Emails: p.Emails, PagerURL: p.PagerURL}}})
	for _, r := range rules {
		inputs := map[string]any{}
		for k, path := range eventPaths {
			if strings.Contains(r.text, "<"+k+">") {
				inputs[k] = path
			}
		}
		// A quoted string with <placeholders> as they are: no HTML escaping.
		var template strings.Builder
		enc := json.NewEncoder(&template)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(r.text)
		cr := awsevents.NewCfnRule(c, jsii.String(r.id), &awsevents.CfnRuleProps{
			Name:        jsii.String(p.Prefix + r.suffix),
			Description: jsii.String(strings.SplitN(r.text, ":", 2)[0] + " (" + p.Prefix + ")"),
			State:       jsii.String("ENABLED"),
			EventPattern: map[string]any{
				"source":      []string{"aws.codepipeline"},
				"detail-type": []string{r.detailType},
				"resources":   []*string{p.Pipeline.PipelineArn()},
				"detail":      r.detail,
			},
			Targets: &[]any{&awsevents.CfnRule_TargetProperty{
				Id:  jsii.String("Notifications"),
				Arn: n.Alarms.TopicARNs[alarms.SeverityNotify],
				InputTransformer: &awsevents.CfnRule_InputTransformerProperty{
					InputPathsMap: &inputs,
					InputTemplate: jsii.String(strings.TrimSpace(template.String())),
				},
			}},
		})
		// A notification EventBridge cannot deliver shows only in this metric.
		n.Alarms.Watch(cr, alarms.Target{Kind: alarms.KindEventRule, Label: "rule" + r.suffix, Metrics: alarms.EventRuleMetrics(p.Prefix + r.suffix)})
		suppress.Nag(cr, "Serverless-EventBusDLQ", "A notification to people about the pipeline's state, which CodePipeline keeps in its execution history: EventBridge retries delivery for 24 hours, and a dead-letter queue would hold messages nobody reads.")
		n.Rules = append(n.Rules, cr)
	}
	ruleARNs := awscdk.Stack_Of(c).FormatArn(&awscdk.ArnComponents{Service: jsii.String("events"), Resource: jsii.String("rule"), ResourceName: jsii.String(p.Prefix + "-*")})
	// EventBridge's use of the topic's key carries no aws:SourceArn or
	// aws:SourceAccount: SNS documents those conditions as unsupported in
	// the key policy for EventBridge, and with them every notification
	// would be refused. The topic policy below pins the rules instead.
	// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
	keys.AllowServiceWithoutSource(n.Alarms.Key, "AllowEventBridgeRules", []string{"events.amazonaws.com"})
	n.Alarms.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeRules"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{n.Alarms.TopicARNs[alarms.SeverityNotify]},
		Conditions: &map[string]any{"ArnLike": map[string]any{"aws:SourceArn": ruleARNs}},
	}))
	return n
}
