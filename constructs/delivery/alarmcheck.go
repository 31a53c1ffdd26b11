// Package delivery holds what the platform adds to CDK Pipelines: the alarm
// check that gates each wave of a delivery, the notifications of failed
// executions and waiting approvals, and the record of why the checkers'
// findings on CDK Pipelines' own resources do not apply.
package delivery

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/regions"
	"github.com/brokerage/platform/valid"
)

// AlarmCheckProps configures the alarm check after a wave.
type AlarmCheckProps struct {
	// Prefix of the stage's alarm names, <app>-<stage>. Required.
	Prefix string
	// Account the wave deployed to. Required.
	Account string
	// PipelineAccount runs the check. When it is not Account, the check
	// reads CloudWatch through Account's CDK bootstrap lookup role
	// (read-only; trusted by `cdk bootstrap --trust`). Default: Account.
	PipelineAccount string
	// Qualifier is the CDK bootstrap qualifier of Account, which the lookup
	// role's name holds: the stage stacks' synthesizer's
	// (IStackSynthesizer.BootstrapQualifier). Default: the CDK's default,
	// awscdk.DefaultStackSynthesizer_DEFAULT_QUALIFIER.
	Qualifier string
	// Regions of the wave. At least one.
	Regions []string
	// BakeMinutes to wait after the deployment before checking, so that a
	// broken change has time to breach its alarms. 0 to 180; 0 checks at once.
	BakeMinutes int
}

// MaxBakeMinutes is the longest bake an alarm check accepts.
const MaxBakeMinutes = 180

// qualifierPattern is what `cdk bootstrap --qualifier` accepts.
var qualifierPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,10}$`)

func (p *AlarmCheckProps) validate() error {
	l := problems.List{Subject: "delivery.AlarmCheckProps"}
	if p.Prefix == "" {
		l.Add("Prefix", p.Prefix, "the stage's alarm name prefix, <app>-<stage>")
	}
	if !valid.AccountID(p.Account) {
		l.Add("Account", p.Account, "a 12-digit AWS account id")
	}
	if p.PipelineAccount != "" && !valid.AccountID(p.PipelineAccount) {
		l.Add("PipelineAccount", p.PipelineAccount, "a 12-digit AWS account id, or empty for Account")
	}
	if p.Qualifier != "" && !qualifierPattern.MatchString(p.Qualifier) {
		l.Add("Qualifier", p.Qualifier, "a CDK bootstrap qualifier (1 to 10 letters, digits, - or _), or empty for the CDK's default")
	}
	if len(p.Regions) == 0 {
		l.Add("Regions", "[]", "at least one region")
	}
	if p.BakeMinutes < 0 || p.BakeMinutes > MaxBakeMinutes {
		l.Add("BakeMinutes", p.BakeMinutes, fmt.Sprintf("0 to %d minutes", MaxBakeMinutes))
	}
	return l.Err()
}

// NewAlarmCheck is the step to run after a wave (pipelines.WaveOptions'
// Post): a CodeBuild step that waits BakeMinutes, then fails, naming them,
// when any of the stage's alarms in the wave's regions is in ALARM
// (alarms.CheckCommand: the idle "nothing flowing" alarms aside). Its role
// may read exactly those alarms, or assume exactly those lookup roles. It
// panics with a *problems.Error on invalid props.
//
//	wave := pipeline.AddWave(jsii.String("prod-canary"), &pipelines.WaveOptions{
//		Post: &[]pipelines.Step{delivery.NewAlarmCheck(&delivery.AlarmCheckProps{
//			Prefix: "brokerage-prod", Account: "333333333333", PipelineAccount: "111111111111",
//			Regions: []string{"eu-west-2"}, BakeMinutes: 15,
//		})},
//	})
func NewAlarmCheck(props *AlarmCheckProps) pipelines.CodeBuildStep {
	if err := props.validate(); err != nil {
		panic(err)
	}
	p := props
	cmds := []string{fmt.Sprintf("echo 'Baking %d min before checking alarms in %s'; sleep %d", p.BakeMinutes, strings.Join(p.Regions, ", "), p.BakeMinutes*60)}
	profile := ""
	if p.PipelineAccount != "" && p.PipelineAccount != p.Account {
		profile = "stage"
	}
	var alarmARNs, roleARNs []string
	for _, r := range p.Regions {
		if profile != "" {
			role := lookupRoleARN(p.Qualifier, p.Account, r)
			roleARNs = append(roleARNs, role)
			cmds = append(cmds, fmt.Sprintf("aws configure set profile.%s.role_arn %s && aws configure set profile.%s.credential_source EcsContainer", profile, role, profile))
		}
		alarmARNs = append(alarmARNs, alarms.AlarmARN(r, p.Account, alarms.AlarmName(p.Prefix, "*")))
		cmds = append(cmds, alarms.CheckCommand(p.Prefix, r, profile))
	}
	statement := &awsiam.PolicyStatementProps{Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: jsii.Strings(alarmARNs...)}
	if profile != "" {
		statement = &awsiam.PolicyStatementProps{Actions: jsii.Strings("sts:AssumeRole"), Resources: jsii.Strings(roleARNs...)}
	}
	return pipelines.NewCodeBuildStep(jsii.String("AlarmCheck"), &pipelines.CodeBuildStepProps{
		Commands:             jsii.Strings(cmds...),
		RolePolicyStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(statement)},
		Timeout:              awscdk.Duration_Minutes(jsii.Number(float64(p.BakeMinutes + 20))),
	})
}

// lookupRoleARN is the ARN of the CDK bootstrap lookup role of account in
// region, named as the CDK names it (DefaultStackSynthesizer's
// DEFAULT_LOOKUP_ROLE_ARN) with qualifier, or the CDK's default qualifier
// when "".
func lookupRoleARN(qualifier, account, region string) string {
	if qualifier == "" {
		qualifier = *awscdk.DefaultStackSynthesizer_DEFAULT_QUALIFIER()
	}
	return strings.NewReplacer(
		"${Qualifier}", qualifier,
		"${AWS::Partition}", regions.Partition(region),
		"${AWS::AccountId}", account,
		"${AWS::Region}", region,
	).Replace(*awscdk.DefaultStackSynthesizer_DEFAULT_LOOKUP_ROLE_ARN())
}
