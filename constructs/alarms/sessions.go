package alarms

// Idle alarms ("nothing arrived": missing data is breaching) act only inside
// trading sessions. EventBridge Scheduler turns their actions on and off with
// no code of ours: a schedule's universal target calls a CloudWatch API
// action directly (arn:<partition>:scheduler:::aws-sdk:<service>:<action>, the Input
// being the action's request,
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html),
// cron schedules are evaluated in the market's IANA time zone, daylight
// saving time included, and one-time at() schedules cover holidays; every
// schedule invokes its target within the minute it is due
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
// One call names at most 100 alarms (AlarmNames of EnableAlarmActions and
// DisableAlarmActions,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DisableAlarmActions.html),
// so a stack's idle alarms share one schedule per event; a region holds
// 10,000,000 schedules by default
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/scheduler-quotas.html),
// so a few dozen per stack are far from any limit.
//
// Why not composite alarms with an actions suppressor: the suppressor must
// itself be an alarm that is in ALARM outside the session, and CloudWatch has
// no clock metric to build it from; something (a function of ours, or a
// schedule anyway) would have to publish one. The composite would also
// double every idle alarm (the composite notifies, its child does not) and
// hide a second silent resource behind the first.
//
// The day, for a session's watched window from S to E, with D the longest
// evaluation window of the stack's idle alarms (15 minutes by default):
//
//	S+D    enableAlarmActions                 (cron, trading days)
//	S+D+1  disableAlarmActions on a holiday   (one-time, each holiday)
//	S+D+2  setAlarmState OK, one per alarm    (cron, trading days)
//	E      disableAlarmActions                (cron, trading days)
//
// Actions go on only once the alarms' windows hold nothing from before the
// open, so a morning's first arrivals raise no OK. An alarm that stayed in
// ALARM since the night would never notify (actions run on a change of
// state), so each is set back to OK at S+D+2: if nothing arrived since the
// open, it returns to ALARM at its next evaluation and tells people. On a
// holiday the actions are off again before that. A deployment that updates
// an idle alarm during a session turns its actions off until the next
// session starts (CloudFormation applies ActionsEnabled: false).

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/jsii-runtime-go"
)

// Session is a market's trading session as the alarms need it.
type Session struct {
	Name, Market string
	// TimeZone is an IANA zone; Days are SUN..SAT; Holidays are YYYY-MM-DD.
	TimeZone string
	Days     []string
	Windows  []Window
	Holidays []string
}

// Window is part of a trading day, in minutes after midnight in the
// session's time zone; Watch makes silence in it an outage.
type Window struct {
	Name       string
	Start, End int
	Watch      bool
}

// Watched merges the session's contiguous watched windows into spans.
func (s Session) Watched() [][2]int {
	var out [][2]int
	for _, w := range s.Windows {
		if !w.Watch {
			continue
		}
		if n := len(out); n > 0 && out[n-1][1] == w.Start {
			out[n-1][1] = w.End
			continue
		}
		out = append(out, [2]int{w.Start, w.End})
	}
	return out
}

// Schedule is one EventBridge Scheduler schedule, computed in Go.
type Schedule struct {
	Name, Expression, TimeZone string
	// Action is the CloudWatch API action the universal target calls.
	Action string
	Input  map[string]any
	// MaxAgeSeconds drops a call not made in time (0: Scheduler's default
	// of 24 hours), so that the day's calls keep their order.
	MaxAgeSeconds int
}

// The CloudWatch actions the schedules call.
const (
	ActionEnable   = "enableAlarmActions"
	ActionDisable  = "disableAlarmActions"
	ActionSetState = "setAlarmState"
)

// UniversalTarget is the Scheduler target ARN, in partition, that calls a
// CloudWatch action.
func UniversalTarget(partition, action string) string {
	return "arn:" + partition + ":scheduler:::aws-sdk:cloudwatch:" + action
}

// IAMAction is the IAM action of a CloudWatch API action of the schedules.
func IAMAction(action string) string {
	return "cloudwatch:" + strings.ToUpper(action[:1]) + action[1:]
}

func clock(minutes int) (int, int) { return (minutes / 60) % 24, minutes % 60 }

// Schedules computes the schedules that make the named idle alarms act only
// inside the session: prefix and label name them, armDelay is the longest
// evaluation window of the alarms, in minutes.
func (s Session) Schedules(prefix, label string, alarmNames []string, armDelay int) []Schedule {
	days := strings.Join(s.Days, ",")
	cron := func(minutes int) string {
		h, m := clock(minutes)
		return fmt.Sprintf("cron(%d %d ? * %s *)", m, h, days)
	}
	base := prefix + "-" + s.Name + "-" + label
	var chunks [][]string
	for i := 0; i < len(alarmNames); i += 100 {
		chunks = append(chunks, alarmNames[i:min(i+100, len(alarmNames))])
	}
	var out []Schedule
	for r, span := range s.Watched() {
		name := base
		if r > 0 {
			name = fmt.Sprintf("%s%d", base, r+1)
		}
		arm := span[0] + armDelay
		for c, names := range chunks {
			part := ""
			if c > 0 {
				part = fmt.Sprintf("-%d", c+1)
			}
			in := map[string]any{"AlarmNames": names}
			out = append(out,
				Schedule{Name: name + "-open" + part, Expression: cron(arm), TimeZone: s.TimeZone, Action: ActionEnable, Input: in, MaxAgeSeconds: 60},
				Schedule{Name: name + "-close" + part, Expression: cron(span[1]), TimeZone: s.TimeZone, Action: ActionDisable, Input: in})
			for _, day := range s.Holidays {
				h, m := clock(arm + 1)
				out = append(out, Schedule{Name: name + "-off" + strings.ReplaceAll(day, "-", "") + part, Expression: fmt.Sprintf("at(%sT%02d:%02d:00)", day, h, m), TimeZone: s.TimeZone, Action: ActionDisable, Input: in, MaxAgeSeconds: 60})
			}
		}
		for i, alarm := range alarmNames {
			out = append(out, Schedule{Name: fmt.Sprintf("%s-rearm%d", name, i+1), Expression: cron(arm + 2), TimeZone: s.TimeZone, Action: ActionSetState, MaxAgeSeconds: 60, Input: map[string]any{
				"AlarmName": alarm, "StateValue": "OK",
				"StateReason": "Re-armed at the start of the " + s.Name + " session: it returns to ALARM if nothing arrived since the open.",
			}})
		}
	}
	return out
}

// ScheduleIdleAlarms creates the schedules that turn this construct's idle
// alarms on and off with the sessions (Props.Sessions), and the role they
// run as, which may call exactly those actions on exactly those alarms.
// Call it once all alarms are watched; it returns the schedules' names.
func (a *Alarms) ScheduleIdleAlarms() []string {
	if len(a.props.Sessions) == 0 || len(a.IdleAlarmNames) == 0 {
		return nil
	}
	role := awsiam.NewRole(a.Construct, jsii.String("SessionSchedulerRole"), &awsiam.RoleProps{
		Description: jsii.String("EventBridge Scheduler turns the idle alarms' actions on and off with the trading sessions"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": a.account}},
		}),
	})
	arns := make([]string, len(a.IdleAlarmNames))
	for i, n := range a.IdleAlarmNames {
		arns[i] = alarmARN(a.partition, a.region, a.account, n)
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(IAMAction(ActionEnable), IAMAction(ActionDisable), IAMAction(ActionSetState)),
		Resources: jsii.Strings(arns...),
	}))
	roleARN := role.RoleArn() // one round trip, not one per schedule
	var names []string
	for _, s := range a.props.Sessions {
		for _, sc := range s.Schedules(a.props.Prefix, a.props.Label, a.IdleAlarmNames, a.armDelayMinutes) {
			if len(sc.Name) > 64 {
				panic(fmt.Sprintf("alarms: schedule name %q is longer than 64 characters; shorten the prefix, session name or label", sc.Name))
			}
			input, _ := json.Marshal(sc.Input)
			target := &awsscheduler.CfnSchedule_TargetProperty{Arn: jsii.String(UniversalTarget(a.partition, sc.Action)), RoleArn: roleARN, Input: jsii.String(string(input))}
			if sc.MaxAgeSeconds > 0 {
				target.RetryPolicy = &awsscheduler.CfnSchedule_RetryPolicyProperty{MaximumEventAgeInSeconds: jsii.Number(float64(sc.MaxAgeSeconds)), MaximumRetryAttempts: jsii.Number(5)}
			}
			awsscheduler.NewCfnSchedule(a.Construct, jsii.String("Schedule-"+strings.TrimPrefix(sc.Name, a.props.Prefix+"-")), &awsscheduler.CfnScheduleProps{
				Name:                       jsii.String(sc.Name),
				Description:                jsii.String(fmt.Sprintf("%s the idle alarms, %s session (%s)", sc.Action, s.Name, s.Market)),
				ScheduleExpression:         jsii.String(sc.Expression),
				ScheduleExpressionTimezone: jsii.String(sc.TimeZone),
				FlexibleTimeWindow:         &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
				Target:                     target,
			})
			names = append(names, sc.Name)
		}
	}
	sort.Strings(names)
	return names
}
