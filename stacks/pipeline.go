package stacks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/guard"
	"github.com/brokerage/platform/constructs/guard/suppress"
	"github.com/brokerage/platform/constructs/keys"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The CDK CLI the pipeline's self-mutation installs and the asset publisher
// its asset steps install: the versions package.json pins for everyone else.
const (
	CLIVersion       = "2.1148.1"
	AssetsCLIVersion = "4.7.3"
)

// PipelineProps configures the delivery pipeline.
type PipelineProps struct {
	// Config is a validated configuration with the pipeline enabled.
	Config *config.Config
	// ConfigPath is the configuration file the pipeline synthesizes with,
	// relative to the repository root; "" for the embedded default.
	ConfigPath string
	// RedistributorCode returns the compiled redistributor Lambda: a new Code
	// for every stage, as a Code belongs to one stack.
	RedistributorCode func() awslambda.Code
}

// Pipeline is the constructed pipeline stack and what it deploys.
type Pipeline struct {
	Stack    awscdk.Stack
	Pipeline pipelines.CodePipeline
	// Waves in deployment order, named <stage>-<wave>.
	Waves []pipelines.Wave
}

// PipelineStackName is the pipeline stack's name: <app>-pipeline.
func PipelineStackName(c *config.Config) string { return c.App + "-pipeline" }

// NewPipeline constructs the delivery pipeline: a self-mutating CDK Pipelines
// pipeline in the pipeline account's primary region that follows the
// configured branch, synthesizes this app (`make synth PIPELINE=true`), and
// deploys every configured stage in order, each in the waves of
// config.Waves: the edge (us-east-1) and the primary region, then the canary
// region alone, then the remaining regions, each wave's regions in parallel.
// A manual approval comes before prod. After every wave a CodeBuild step
// waits pipeline.bakeMinutes and fails, stopping the pipeline, when any of
// the wave's regions has an alarm in ALARM (alarms.CheckCommand).
//
// Each (stage, region) is one CDK stage holding the stacks `cdk deploy -c
// regions=<region>` would deploy, with the same stack names.
//
//	stacks.NewPipeline(app, &stacks.PipelineProps{Config: cfg, RedistributorCode: func() awslambda.Code {
//		return awslambda.Code_FromAsset(jsii.String("build/redistributor"), nil)
//	}})
func NewPipeline(app awscdk.App, props *PipelineProps) *Pipeline {
	c := props.Config
	awscdk.Validations_Of(app).AddPlugins(guard.NewPlugin())
	s := awscdk.NewStack(app, jsii.String(PipelineStackName(c)), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String(c.PipelineAccount()), Region: jsii.String(c.PrimaryRegion)},
		Description:           jsii.String("Delivery pipeline: every stage and region of the platform, in waves"),
		TerminationProtection: jsii.Bool(true),
		Tags:                  &map[string]*string{"app": jsii.String(c.App)},
	})
	p := &Pipeline{Stack: s}

	synthCmd := "make synth PIPELINE=true OUT=cdk.out"
	if props.ConfigPath != "" {
		synthCmd += " CONFIG=" + props.ConfigPath
	}
	build := &awscodebuild.BuildEnvironment{
		BuildImage:  awscodebuild.LinuxBuildImage_STANDARD_7_0(),
		ComputeType: awscodebuild.ComputeType_MEDIUM,
	}
	p.Pipeline = pipelines.NewCodePipeline(s, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		PipelineName:        jsii.String(c.App + "-delivery"),
		PipelineType:        awscodepipeline.PipelineType_V2,
		CrossAccountKeys:    jsii.Bool(true),
		EnableKeyRotation:   jsii.Bool(true),
		SelfMutation:        jsii.Bool(true),
		CliVersion:          jsii.String(CLIVersion),
		CdkAssetsCliVersion: jsii.String(AssetsCLIVersion),
		CodeBuildDefaults:   &pipelines.CodeBuildOptions{BuildEnvironment: build},
		Synth: pipelines.NewCodeBuildStep(jsii.String("Synth"), &pipelines.CodeBuildStepProps{
			Input: pipelines.CodePipelineSource_Connection(jsii.String(c.Pipeline.Repository), jsii.String(c.Pipeline.EffectiveBranch()),
				&pipelines.ConnectionSourceOptions{ConnectionArn: jsii.String(c.Pipeline.ConnectionARN)}),
			// go.mod's toolchain is fetched from the Go proxy; make installs
			// the pinned Node.js and CDK CLI from npm.
			Env:                    &map[string]*string{"GOTOOLCHAIN": jsii.String("auto")},
			Commands:               jsii.Strings(synthCmd),
			PrimaryOutputDirectory: jsii.String("cdk.out"),
		}),
	})

	bake := c.Pipeline.EffectiveBakeMinutes()
	for _, st := range c.PipelineStages() {
		sc := c.ForStage(st)
		for i, w := range c.Waves() {
			opts := &pipelines.WaveOptions{Post: &[]pipelines.Step{alarmCheck(sc, w, bake, c.PipelineAccount())}}
			if i == 0 && sc.IsProd() {
				opts.Pre = &[]pipelines.Step{pipelines.NewManualApprovalStep(jsii.String("PromoteToProd"), &pipelines.ManualApprovalStepProps{
					Comment: jsii.String("Promote to prod: the change has been through every region of the stages before. Check their dashboards, then approve."),
				})}
			}
			wave := p.Pipeline.AddWave(jsii.String(st.Name+"-"+w.Name), opts)
			for _, r := range w.Regions {
				stage := awscdk.NewStage(app, jsii.String(st.Name+"-"+r), &awscdk.StageProps{
					Env: &awscdk.Environment{Account: jsii.String(st.Account), Region: jsii.String(r)},
				})
				NewPlatform(stage, &PlatformProps{Config: sc, Regions: []string{r}, RedistributorCode: props.RedistributorCode()})
				wave.AddStage(stage, nil)
			}
			p.Waves = append(p.Waves, wave)
		}
	}
	// Build now, so that the pipeline's own resources (and its cross-region
	// support stacks) exist for the checks below and for the aspects.
	p.Pipeline.BuildPipeline()
	p.notify(c)
	suppressPipelineFindings(c, p)
	return p
}

// notify tells the alarm recipients when a delivery stops (an execution
// fails: a deployment, or an alarm check after a wave) and when an approval
// waits for them, through an encrypted topic of the pipeline's own, watched
// like every alarm topic. EventBridge may publish to the topic, and use its
// key, for these rules only.
func (p *Pipeline) notify(c *config.Config) {
	prefix := c.App + "-delivery"
	al := alarms.New(p.Stack, "Notifications", &alarms.Props{Prefix: prefix, Emails: c.Alarms.Emails, PagerURL: c.Alarms.PagerURL, RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	pipelineARN := p.Pipeline.Pipeline().PipelineArn()
	// The rules are L1: aws-cdk-lib's SNS target would let any EventBridge
	// rule publish and use the key.
	rules := []struct {
		id, name, detailType, text string
		detail                     map[string]any
	}{
		{"ExecutionFailed", prefix + "-failed", "CodePipeline Pipeline Execution State Change",
			"Delivery stopped: execution <id> of <pipeline> failed. The failed stage (a deployment, or the alarm check after a wave) is in the CodePipeline console.",
			map[string]any{"state": []string{"FAILED"}}},
		{"ApprovalWaiting", prefix + "-approval", "CodePipeline Action Execution State Change",
			"Approval waiting: <action> in <stage> of <pipeline> needs a person before the change goes on.",
			map[string]any{"state": []string{"STARTED"}, "type": map[string]any{"category": []string{"Approval"}}}},
	}
	paths := map[string]string{"id": "$.detail.execution-id", "pipeline": "$.detail.pipeline", "stage": "$.detail.stage", "action": "$.detail.action"}
	for _, r := range rules {
		used := map[string]any{}
		for k, v := range paths {
			if strings.Contains(r.text, "<"+k+">") {
				used[k] = v
			}
		}
		// A quoted string with <placeholders> as they are: no HTML escaping.
		var template strings.Builder
		enc := json.NewEncoder(&template)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(r.text)
		rule := awsevents.NewCfnRule(p.Stack, jsii.String(r.id), &awsevents.CfnRuleProps{
			Name:        jsii.String(r.name),
			Description: jsii.String(strings.SplitN(r.text, ":", 2)[0] + " (" + c.App + " delivery pipeline)"),
			State:       jsii.String("ENABLED"),
			EventPattern: map[string]any{
				"source":      []string{"aws.codepipeline"},
				"detail-type": []string{r.detailType},
				"resources":   []*string{pipelineARN},
				"detail":      r.detail,
			},
			Targets: &[]any{&awsevents.CfnRule_TargetProperty{
				Id:  jsii.String("Notifications"),
				Arn: al.TopicARN,
				InputTransformer: &awsevents.CfnRule_InputTransformerProperty{
					InputPathsMap: &used,
					InputTemplate: jsii.String(strings.TrimSpace(template.String())),
				},
			}},
		})
		suppress.Nag(rule, "Serverless-EventBusDLQ", "A notification to people about the pipeline's state, which CodePipeline keeps in its execution history: EventBridge retries delivery for 24 hours, and a dead-letter queue would hold messages nobody reads.")
	}
	ruleARNs := p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("events"), Resource: jsii.String("rule"), ResourceName: jsii.String(prefix + "-*")})
	keys.AllowService(al.Key, "AllowEventBridgeRules", []string{"events.amazonaws.com"}, "ArnLike", ruleARNs)
	al.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeRules"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{al.TopicARN},
		Conditions: &map[string]any{"ArnLike": map[string]any{"aws:SourceArn": ruleARNs}},
	}))
}

// alarmCheck is the step after a wave: wait for the wave to bake, then fail
// when any alarm of its regions is in ALARM. It calls CloudWatch in the
// stage's account through the CDK bootstrap's lookup role (read-only) when
// that is not the pipeline's account.
func alarmCheck(c *config.Config, w config.Wave, bakeMinutes int, pipelineAccount string) pipelines.Step {
	prefix := c.App + "-" + c.Stage
	cmds := []string{fmt.Sprintf("echo 'Baking %d min before checking alarms in %s'; sleep %d", bakeMinutes, strings.Join(w.Regions, ", "), bakeMinutes*60)}
	var statements []awsiam.PolicyStatement
	profile := ""
	if c.Account != pipelineAccount {
		profile = "stage"
	}
	var alarmARNs, roleARNs []string
	for _, r := range w.Regions {
		if profile != "" {
			role := fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-lookup-role-%s-%s", c.Account, c.Account, r)
			roleARNs = append(roleARNs, role)
			cmds = append(cmds, fmt.Sprintf("aws configure set profile.%s.role_arn %s && aws configure set profile.%s.credential_source EcsContainer", profile, role, profile))
		}
		alarmARNs = append(alarmARNs, fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", r, c.Account, alarms.AlarmName(prefix, "*")))
		cmds = append(cmds, alarms.CheckCommand(prefix, r, profile))
	}
	if profile == "" {
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: jsii.Strings(alarmARNs...),
		}))
	} else {
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("sts:AssumeRole"), Resources: jsii.Strings(roleARNs...),
		}))
	}
	return pipelines.NewCodeBuildStep(jsii.String("AlarmCheck"), &pipelines.CodeBuildStepProps{
		Commands:             jsii.Strings(cmds...),
		RolePolicyStatements: &statements,
		Timeout:              awscdk.Duration_Minutes(jsii.Number(float64(bakeMinutes + 20))),
	})
}

// suppressPipelineFindings records why cdk-nag's findings on CDK Pipelines'
// own roles and buckets do not apply. Each suppression names the pattern of
// the finding it covers; anything else still fails the gate.
func suppressPipelineFindings(c *config.Config, p *Pipeline) {
	cp := p.Pipeline.Pipeline()
	nagRegex(p.Pipeline, "AwsSolutions-IAM5",
		"CDK Pipelines' grants on its own artifact buckets and keys: the grant helpers' action sets (read and write of pipeline artifacts), on the pipeline's buckets only.",
		`/^Action::(s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*|kms:(ReEncrypt|GenerateDataKey)\*)$/`,
		`/^Resource::(<PipelineArtifactsBucket[A-F0-9]+\.Arn>|arn:aws:s3:::[a-z0-9-]+replicationbucket[a-z0-9]+)\/\*$/`)
	nagRegex(p.Pipeline, "AwsSolutions-IAM5",
		"CodeBuild writes its own log streams and test reports: the log group and report groups of the pipeline's projects, whose names CodeBuild derives.",
		`/^Resource::arn:aws:(logs|codebuild):[a-z0-9-]+:[0-9]{12}:(log-group:\/aws\/codebuild\/|report-group\/)(<[A-Za-z0-9]+>)?[-:]?\*$/`)
	nagRegex(p.Pipeline, "AwsSolutions-IAM5",
		"The alarm check reads the platform's alarms of one stage in one region: every alarm it names starts with the stage's prefix, and new alarms must be covered without a pipeline change.",
		`/^Resource::arn:aws:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:`+regexpQuote(c.App)+`-[a-z]+-\*$/`)
	suppress.Nag(cp.Role(), "AwsSolutions-IAM5",
		"The pipeline role encrypts artifacts with the cross-region support stacks' keys, which it knows only by alias: KMS grants cannot name them by ARN.", "Resource::*")
	suppress.Nag(p.Pipeline.SelfMutationProject().Role(), "AwsSolutions-IAM5",
		"Self-mutation assumes the CDK bootstrap roles (restricted by CDK Pipelines to roles tagged aws-cdk:bootstrap-role) and reads stack status, which IAM scopes to no narrower resource.",
		"Resource::*", "Resource::arn:*:iam::"+c.PipelineAccount()+":role/*")
	suppress.Nag(p.Stack.Node().FindChild(jsii.String("Pipeline")).Node().FindChild(jsii.String("Assets")), "AwsSolutions-IAM5",
		"The asset publishing role starts and watches the pipeline's asset CodeBuild builds; CodePipeline's CodeBuild action requires codebuild:StartBuild on the projects it creates on the fly.",
		"Resource::*")
	artifacts := "Pipeline artifacts are build outputs, re-created from git by every run: no data of record, nothing to restore from an older version. Reads and writes go through the pipeline's roles only and are recorded by CloudTrail."
	buckets := []constructs.IConstruct{cp.ArtifactBucket()}
	for _, r := range regionsOf(cp.CrossRegionSupport()) {
		buckets = append(buckets, (*cp.CrossRegionSupport())[r].ReplicationBucket)
	}
	for _, b := range buckets {
		suppress.Nag(b, "AwsSolutions-S1", artifacts)
		cfnBucket := cfnOf(b)
		suppress.Checkov(cfnBucket, "CKV_AWS_18", artifacts)
		suppress.Checkov(cfnBucket, "CKV_AWS_21", artifacts)
	}
	suppress.Checkov(cfnOf(cp.Role().Node().FindChild(jsii.String("DefaultPolicy"))), "CKV_AWS_111",
		"kms:Encrypt and GenerateDataKey on the cross-region support keys, known only by alias (see the AwsSolutions-IAM5 suppression).")
	suppress.Checkov(cfnOf(p.Stack.Node().FindChild(jsii.String("Pipeline")).Node().FindChild(jsii.String("Assets")).Node().FindChild(jsii.String("FileRole")).Node().FindChild(jsii.String("DefaultPolicy"))), "CKV_AWS_111",
		"codebuild:StartBuild on the asset projects CodePipeline's CodeBuild action creates (see the AwsSolutions-IAM5 suppression).")
	// CDK adds an explicit DependsOn on the role next to the GetAtt.
	suppress.CfnLint(cfnOf(cp), "W3005")
}

// cfnOf is the CloudFormation resource of a construct.
func cfnOf(c constructs.IConstruct) awscdk.CfnResource {
	return c.Node().DefaultChild().(awscdk.CfnResource)
}

// nagRegex is suppress.Nag for findings matching regular expressions
// ("/pattern/").
func nagRegex(c constructs.IConstruct, rule, reason string, patterns ...string) {
	applies := make([]any, len(patterns))
	for i, p := range patterns {
		applies[i] = &cdknag.RegexAppliesTo{Regex: jsii.String(p)}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{Id: jsii.String(rule), Reason: jsii.String(reason), AppliesTo: &applies}}, jsii.Bool(true))
}

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }

// regionsOf lists a map's keys in order, for deterministic construction.
func regionsOf[V any](m *map[string]V) []string {
	out := make([]string, 0, len(*m))
	for k := range *m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
