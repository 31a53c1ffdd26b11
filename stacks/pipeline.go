package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/delivery"
	"github.com/brokerage/platform/constructs/guard"
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

	p.Pipeline = newCodePipeline(s, c, props.ConfigPath)
	p.addWaves(app, props)
	// Build now, so that the pipeline's own resources (and its cross-region
	// support stacks) exist for the checks below and for the aspects.
	p.Pipeline.BuildPipeline()
	delivery.NewNotifications(s, "Notifications", &delivery.NotificationsProps{
		Prefix: c.App + "-delivery", Emails: c.Alarms.Emails, PagerURL: c.Alarms.PagerURL, Pipeline: p.Pipeline.Pipeline(),
	})
	delivery.RetainArtifactKeys(p.Pipeline)
	delivery.SuppressPipelineFindings(p.Pipeline, c.App+"-")
	return p
}

// newCodePipeline is the pipeline, with its synth step building the app
// with the configuration at configPath ("" for the default).
func newCodePipeline(s awscdk.Stack, c *config.Config, configPath string) pipelines.CodePipeline {
	synthCmd := "make synth PIPELINE=true OUT=cdk.out"
	if configPath != "" {
		synthCmd += " CONFIG=" + configPath
	}
	build := &awscodebuild.BuildEnvironment{
		BuildImage:  awscodebuild.LinuxBuildImage_STANDARD_7_0(),
		ComputeType: awscodebuild.ComputeType_MEDIUM,
	}
	return pipelines.NewCodePipeline(s, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
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
}

// addWaves deploys every stage of the configuration, wave by wave, each
// wave checking its regions' alarms after a bake time; prod waits for an
// approval.
func (p *Pipeline) addWaves(app awscdk.App, props *PipelineProps) {
	c := props.Config
	bake := c.Pipeline.EffectiveBakeMinutes()
	qualifier := bootstrapQualifier(p.Stack)
	for _, st := range c.PipelineStages() {
		sc := c.ForStage(st)
		for i, w := range c.Waves() {
			opts := &pipelines.WaveOptions{Post: &[]pipelines.Step{delivery.NewAlarmCheck(&delivery.AlarmCheckProps{
				Prefix: sc.Prefix(), Account: st.Account, PipelineAccount: c.PipelineAccount(), Qualifier: qualifier, Regions: w.Regions, BakeMinutes: bake,
			})}}
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
}

// bootstrapQualifier is the CDK bootstrap qualifier s deploys with, "" when
// its synthesizer has none. Every stack of the app, the stages' included,
// reads it from the same context (@aws-cdk/core:bootstrapQualifier, or the
// CDK's default), so the alarm check assumes the lookup roles of the
// bootstrap the stages deploy with.
func bootstrapQualifier(s awscdk.Stack) string {
	if q := s.Synthesizer().BootstrapQualifier(); q != nil {
		return *q
	}
	return ""
}
