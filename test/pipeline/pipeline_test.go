// Package pipeline tests the delivery pipeline as `make synth PIPELINE=true`
// builds it from the default configuration: the order in which a change
// reaches the regions, the approval before prod, the alarm check after every
// wave, the gates, and golden templates.
package pipeline

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/")

var (
	cfg *config.Config
	asm *cfn.Assembly
	nag []string // unsuppressed cdk-nag findings
)

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "pipeline-test")
	if err != nil {
		panic(err)
	}
	code := cfntest.StandInCode(tmp)
	cfg = config.Default()
	cfg.Site.ContentDir = "../../site" // tests run in test/pipeline
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	out := filepath.Join(tmp, "out")
	app := cfn.NewApp(out)
	stacks.NewPipeline(app, &stacks.PipelineProps{Config: cfg, RedistributorCode: func() awslambda.Code {
		return awslambda.Code_FromAsset(jsii.String(code), nil)
	}})
	asm, nag = cfntest.SynthWithNag(app, out)
	code2 := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code2)
}

func TestCdkNagFindsNothingUnsuppressed(t *testing.T) {
	if len(nag) != 0 {
		t.Errorf("%d cdk-nag findings:\n%s", len(nag), strings.Join(nag, "\n"))
	}
}

// action is one action of the pipeline's CloudFormation definition.
type action struct {
	Name         string
	Category     string
	Provider     string
	RunOrder     int
	Region       string // the action's region, the pipeline's when not set
	StackName    string // Deploy actions
	Mode         string // Deploy actions: CHANGE_SET_REPLACE or CHANGE_SET_EXECUTE
	ProjectRef   string // CodeBuild actions: the project's logical ID
	CustomData   string // Approval actions
	Role         string // the role the action runs as, as JSON
	projectBuild string // CodeBuild actions: the project's buildspec
}

type stage struct {
	Name    string
	Actions []action
}

func pipelineTemplate() cfn.Template { return asm.Templates[stacks.PipelineStackName(cfg)] }

// pipelineStages reads the pipeline's stages and actions from the template.
func pipelineStages(t *testing.T) []stage {
	t.Helper()
	tmpl := pipelineTemplate()
	pipes := tmpl.Resources("AWS::CodePipeline::Pipeline")
	if len(pipes) != 1 {
		t.Fatalf("%d pipelines, want 1", len(pipes))
	}
	var out []stage
	for _, s := range pipes[0].Props["Stages"].([]any) {
		sm := s.(map[string]any)
		st := stage{Name: sm["Name"].(string)}
		for _, a := range sm["Actions"].([]any) {
			am := a.(map[string]any)
			typ := am["ActionTypeId"].(map[string]any)
			conf, _ := am["Configuration"].(map[string]any)
			act := action{Name: am["Name"].(string), Category: typ["Category"].(string), Provider: typ["Provider"].(string), RunOrder: int(am["RunOrder"].(float64)), Region: cfg.PrimaryRegion}
			if r, ok := am["Region"].(string); ok {
				act.Region = r
			}
			act.StackName, _ = conf["StackName"].(string)
			act.Mode, _ = conf["ActionMode"].(string)
			act.CustomData, _ = conf["CustomData"].(string)
			act.Role = cfntest.JSON(am["RoleArn"])
			if act.Provider == "CodeBuild" {
				act.ProjectRef = cfn.Ref(conf["ProjectName"])
				project, err := tmpl.Resource(act.ProjectRef)
				if err != nil {
					t.Fatal(err)
				}
				act.projectBuild, _ = project.Props["Source"].(map[string]any)["BuildSpec"].(string)
			}
			st.Actions = append(st.Actions, act)
		}
		out = append(out, st)
	}
	return out
}

// deployedStacks lists "region/stack" of a stage's CloudFormation actions that execute.
func deployedStacks(s stage) []string {
	var out []string
	for _, a := range s.Actions {
		if a.Provider == "CloudFormation" && a.Mode == "CHANGE_SET_EXECUTE" {
			out = append(out, a.Region+"/"+a.StackName)
		}
	}
	sort.Strings(out)
	return out
}

// stacksOf lists "region/stack" of the stacks `cdk deploy -c regions=<r>`
// deploys for the given regions.
func stacksOf(c *config.Config, regions []string) []string {
	var out []string
	for _, r := range regions {
		if r == "us-east-1" {
			out = append(out, r+"/"+stacks.StackName(c, r, stacks.RoleEdge))
		}
		if r == c.PrimaryRegion {
			out = append(out, r+"/"+stacks.StackName(c, r, stacks.RoleIngest))
		}
		for _, cr := range c.RegionNames() {
			if cr == r {
				out = append(out, r+"/"+stacks.StackName(c, r, stacks.RoleRegional))
			}
		}
	}
	sort.Strings(out)
	return out
}

// The waves, in order: for each stage, the edge and the primary region, then
// the canary alone, then the rest; every stack of every region exactly once.
func TestWavesDeployEveryRegionInOrder(t *testing.T) {
	got := pipelineStages(t)
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	want := []string{"Source", "Build", "UpdatePipeline", "Assets",
		"dev-first", "dev-eu-west-2", "dev-sa-east-1", "prod-first", "prod-eu-west-2", "prod-sa-east-1"}
	cfntest.Check(t, "pipeline stages", want, names)

	waves := got[4:]
	i := 0
	for _, st := range cfg.PipelineStages() {
		sc := cfg.ForStage(st)
		for _, w := range cfg.Waves() {
			if i >= len(waves) {
				t.Fatalf("no pipeline stage for %s wave %s", st.Name, w.Name)
			}
			cfntest.Check(t, fmt.Sprintf("stacks deployed by %s (wave %s of %s)", waves[i].Name, w.Name, st.Name), stacksOf(sc, w.Regions), deployedStacks(waves[i]))
			for _, a := range waves[i].Actions {
				want := fmt.Sprintf(":iam::%s:role/cdk-hnb659fds-deploy-role-%s-%s", st.Account, st.Account, a.Region)
				if a.Category == "Deploy" && !strings.Contains(a.Role, want) {
					t.Errorf("%s: %s runs as %s, want the %s account's deploy role in %s", waves[i].Name, a.Name, a.Role, st.Name, a.Region)
				}
			}
			i++
		}
	}
	cfntest.Check(t, "waves in the pipeline", i, len(waves))
}

// The canary is a region of its own, and the remaining regions deploy
// together: the first wave is edge + primary, nothing else.
func TestFirstWaveIsTheEdgeAndThePrimaryRegion(t *testing.T) {
	for _, s := range pipelineStages(t) {
		if s.Name != "dev-first" {
			continue
		}
		var regions []string
		for _, a := range s.Actions {
			if a.Mode == "CHANGE_SET_EXECUTE" && !slices.Contains(regions, a.Region) {
				regions = append(regions, a.Region)
			}
		}
		sort.Strings(regions)
		cfntest.Check(t, "regions of the first wave", []string{"ap-southeast-2", "us-east-1"}, regions)
	}
}

// A person approves before anything reaches prod, and only there.
func TestManualApprovalBeforeProdOnly(t *testing.T) {
	var approvals []string
	for _, s := range pipelineStages(t) {
		first := 1 << 30
		for _, a := range s.Actions {
			if a.Category == "Deploy" && a.RunOrder < first {
				first = a.RunOrder
			}
		}
		for _, a := range s.Actions {
			if a.Category != "Approval" {
				continue
			}
			approvals = append(approvals, s.Name+"/"+a.Name)
			if a.RunOrder >= first {
				t.Errorf("%s: approval %s runs at %d, not before the first deployment (%d)", s.Name, a.Name, a.RunOrder, first)
			}
			if !strings.Contains(a.CustomData, "prod") {
				t.Errorf("%s: approval says %q, want it to name prod", s.Name, a.CustomData)
			}
		}
	}
	cfntest.Check(t, "manual approvals", []string{"prod-first/PromoteToProd"}, approvals)
}

// After every wave, and after all of its deployments, a CodeBuild step waits
// and fails when any of the wave's regions has an alarm in ALARM.
func TestAlarmCheckAfterEveryWave(t *testing.T) {
	tmpl := pipelineTemplate()
	for _, s := range pipelineStages(t)[4:] {
		stageName, _, _ := strings.Cut(s.Name, "-")
		var check *action
		last := 0
		for i, a := range s.Actions {
			if a.Name == "AlarmCheck" {
				check = &s.Actions[i]
			} else if a.RunOrder > last {
				last = a.RunOrder
			}
		}
		if check == nil {
			t.Errorf("%s: no AlarmCheck action", s.Name)
			continue
		}
		if check.Provider != "CodeBuild" || check.RunOrder <= last {
			t.Errorf("%s: AlarmCheck is a %s action at run order %d, want CodeBuild after every deployment (%d)", s.Name, check.Provider, check.RunOrder, last)
		}
		prefix := cfg.App + "-" + stageName
		account := accountOf(stageName)
		// In another account than the pipeline's, the check reads CloudWatch
		// through the CDK bootstrap's read-only lookup role of the region.
		profile, action := "", "cloudwatch:DescribeAlarms"
		if account != cfg.PipelineAccount() {
			profile, action = "stage", "sts:AssumeRole"
		}
		var regions, resources []string
		for _, stack := range deployedStacks(s) {
			r, _, _ := strings.Cut(stack, "/")
			if slices.Contains(regions, r) {
				continue
			}
			regions = append(regions, r)
			if profile == "" {
				resources = append(resources, fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s-*", r, account, prefix))
			} else {
				resources = append(resources, fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-lookup-role-%s-%s", account, account, r))
			}
		}
		bake := cfg.Pipeline.EffectiveBakeMinutes()
		if want := fmt.Sprintf("sleep %d", bake*60); !strings.Contains(check.projectBuild, want) {
			t.Errorf("%s: the alarm check does not bake (%q):\n%s", s.Name, want, check.projectBuild)
		}
		for _, r := range regions {
			if want := alarms.CheckCommand(prefix, r, profile); !strings.Contains(check.projectBuild, jsonString(want)) {
				t.Errorf("%s: the alarm check does not check %s with alarms.CheckCommand:\n%s", s.Name, r, check.projectBuild)
			}
		}
		// Its role may read exactly those alarms, or assume exactly those roles.
		project, _ := tmpl.Resource(check.ProjectRef)
		role := project.Props["ServiceRole"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		var got []string
		for _, p := range tmpl.Resources("AWS::IAM::Policy") {
			if !slices.Contains(refs(p.Props["Roles"]), role) {
				continue
			}
			for _, st := range cfn.Statements(p.Props["PolicyDocument"]) {
				for _, a := range []string{"cloudwatch:DescribeAlarms", "sts:AssumeRole"} {
					if slices.Contains(cfn.Strings(st["Action"]), a) {
						if a != action {
							t.Errorf("%s: the alarm check's role may %s, want only %s", s.Name, a, action)
						}
						got = append(got, cfn.Strings(st["Resource"])...)
					}
				}
			}
		}
		sort.Strings(got)
		sort.Strings(resources)
		cfntest.Check(t, s.Name+": what the check's role may read or assume", resources, got)
	}
}

// accountOf is the account a stage of the pipeline deploys to.
func accountOf(stage string) string {
	for _, s := range cfg.PipelineStages() {
		if s.Name == stage {
			return s.Account
		}
	}
	return ""
}

func refs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, e := range l {
			out = append(out, cfn.Ref(e))
		}
	}
	return out
}

// jsonString is s as it appears inside the JSON buildspec string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// The pipeline builds this app the way CI does, updates itself, and installs
// exactly the CDK tools package.json pins.
func TestSelfMutatingPipelineSynthesizesThisApp(t *testing.T) {
	var synth, mutate string
	for _, s := range pipelineStages(t) {
		for _, a := range s.Actions {
			switch {
			case s.Name == "Build" && a.Name == "Synth":
				synth = a.projectBuild
			case s.Name == "UpdatePipeline":
				mutate = a.projectBuild
			}
		}
	}
	if !strings.Contains(synth, "make synth PIPELINE=true OUT=cdk.out") {
		t.Errorf("the synth step does not run `make synth PIPELINE=true`:\n%s", synth)
	}
	if !strings.Contains(mutate, "cdk -a . deploy") || !strings.Contains(mutate, stacks.PipelineStackName(cfg)) {
		t.Errorf("the UpdatePipeline step does not deploy the pipeline stack:\n%s", mutate)
	}
	b, err := os.ReadFile("../../package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	cfntest.Check(t, "CDK CLI the pipeline installs", pkg.DevDependencies["aws-cdk"], stacks.CLIVersion)
	cfntest.Check(t, "cdk-assets the pipeline installs", pkg.DevDependencies["cdk-assets"], stacks.AssetsCLIVersion)
	all := cfntest.JSON(pipelineTemplate())
	for _, want := range []string{"aws-cdk@" + stacks.CLIVersion, "cdk-assets@" + stacks.AssetsCLIVersion} {
		if !strings.Contains(all, want) {
			t.Errorf("the pipeline never installs %s", want)
		}
	}
	if strings.Contains(all, "@latest") {
		t.Error("the pipeline installs an unpinned @latest tool")
	}
}

// Operations hear of a delivery that stopped and of an approval waiting,
// through an encrypted topic to the alarm recipients.
func TestFailuresAndApprovalsNotifyTheAlarmRecipients(t *testing.T) {
	tmpl := pipelineTemplate()
	pipeline := tmpl.Resources("AWS::CodePipeline::Pipeline")[0].LogicalID
	topics := tmpl.Resources("AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("%d topics, want 1", len(topics))
	}
	topic := topics[0]
	if topic.Props["KmsMasterKeyId"] == nil {
		t.Error("the notification topic is not encrypted")
	}
	var emails []string
	for _, sub := range tmpl.Resources("AWS::SNS::Subscription") {
		if cfn.Ref(sub.Props["TopicArn"]) == topic.LogicalID && sub.Props["Protocol"] == "email" {
			emails = append(emails, sub.Props["Endpoint"].(string))
		}
	}
	cfntest.Check(t, "notified", cfg.Alarms.Emails, emails)

	type rule struct {
		Template   string
		DetailType string
		Detail     string
		Pipeline   bool
		Topic      bool
	}
	got := map[string]rule{}
	for _, r := range tmpl.Resources("AWS::Events::Rule") {
		pattern := r.Props["EventPattern"].(map[string]any)
		targets := r.Props["Targets"].([]any)
		transformer := targets[0].(map[string]any)["InputTransformer"].(map[string]any)
		got[r.Props["Name"].(string)] = rule{
			Template:   transformer["InputTemplate"].(string),
			DetailType: cfn.Strings(pattern["detail-type"])[0],
			Detail:     cfntest.JSON(pattern["detail"]),
			Pipeline:   strings.Contains(cfntest.JSON(pattern["resources"]), pipeline),
			Topic:      len(targets) == 1 && cfn.Ref(targets[0].(map[string]any)["Arn"]) == topic.LogicalID,
		}
	}
	cfntest.Check(t, "notification rules", map[string]rule{
		"brokerage-delivery-failed": {`"Delivery stopped: execution <id> of <pipeline> failed. The failed stage (a deployment, or the alarm check after a wave) is in the CodePipeline console."`,
			"CodePipeline Pipeline Execution State Change", `{"state":["FAILED"]}`, true, true},
		"brokerage-delivery-approval": {`"Approval waiting: <action> in <stage> of <pipeline> needs a person before the change goes on."`,
			"CodePipeline Action Execution State Change", `{"state":["STARTED"],"type":{"category":["Approval"]}}`, true, true},
	}, got)

	// EventBridge may encrypt with the topic's key without a source
	// condition (SNS does not support one for EventBridge), and publish to
	// the topic for these rules only.
	key, err := tmpl.Resource(cfn.Ref(topic.Props["KmsMasterKeyId"].(map[string]any)["Fn::GetAtt"].([]any)[0]))
	if err != nil {
		key, err = tmpl.Resource(topic.Props["KmsMasterKeyId"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string))
	}
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, st := range cfn.Statements(key.Props["KeyPolicy"]) {
		if strings.Contains(cfntest.JSON(st["Principal"]), "events.amazonaws.com") {
			found++
			if c := cfntest.JSON(st["Condition"]); strings.Contains(c, "aws:Source") {
				t.Errorf("EventBridge may %s with condition %s: SNS refuses EventBridge's deliveries when the key policy conditions on the source", cfntest.JSON(st["Action"]), c)
			}
		}
	}
	for _, tp := range tmpl.Resources("AWS::SNS::TopicPolicy") {
		for _, st := range cfn.Statements(tp.Props["PolicyDocument"]) {
			if strings.Contains(cfntest.JSON(st["Principal"]), "events.amazonaws.com") {
				found++
				if c := cfntest.JSON(st["Condition"]); !strings.Contains(c, "aws:SourceArn") || !strings.Contains(c, ":events:ap-southeast-2:111111111111:rule/brokerage-delivery-*") {
					t.Errorf("EventBridge may %s with condition %s, want only for rules brokerage-delivery-* (aws:SourceArn)", cfntest.JSON(st["Action"]), c)
				}
			}
		}
	}
	if found != 2 {
		t.Errorf("%d statements let EventBridge use the key or publish, want 2 (one each)", found)
	}

	// A notification EventBridge cannot deliver raises an alarm.
	var failed []string
	for _, a := range tmpl.Resources("AWS::CloudWatch::Alarm") {
		if a.Props["MetricName"] == "FailedInvocations" {
			failed = append(failed, cfntest.JSON(a.Props["Dimensions"]))
		}
	}
	sort.Strings(failed)
	cfntest.Check(t, "FailedInvocations alarms", []string{
		`[{"Name":"RuleName","Value":"brokerage-delivery-approval"}]`,
		`[{"Name":"RuleName","Value":"brokerage-delivery-failed"}]`,
	}, failed)
}

func TestGoldenTemplates(t *testing.T) {
	var names []string
	for _, name := range asm.Order {
		names = append(names, name)
		t.Run(name, func(t *testing.T) {
			cfntest.Golden(t, filepath.Join("testdata", strings.ReplaceAll(name, ":", "_")+".template.json"), asm.Templates[name], *update, "go test ./test/pipeline -update")
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.template.json"))
	var got []string
	for _, f := range files {
		got = append(got, strings.TrimSuffix(filepath.Base(f), ".template.json"))
	}
	var want []string
	for _, n := range names {
		want = append(want, strings.ReplaceAll(n, ":", "_"))
	}
	sort.Strings(want)
	sort.Strings(got)
	cfntest.Check(t, "golden files", want, got)
}

// The pipeline's data-bearing resources: a renamed logical ID would replace
// the resource (and a deleted key would leave a retained bucket unreadable).
var pinnedLogicalIDs = map[string][]string{
	"brokerage-pipeline": {
		"NotificationsAlarmsKey5EC06D1D", "NotificationsAlarmsTopic4DACD919",
		"PipelineArtifactsBucketAEA9A052", "PipelineArtifactsBucketEncryptionKeyF5BF0670",
	},
	"support": {"CrossRegionCodePipelineReplicationBucketEncryptionKey70216490", "CrossRegionCodePipelineReplicationBucketFC3227F2"},
}

var statefulTypes = map[string]bool{"AWS::SQS::Queue": true, "AWS::KMS::Key": true, "AWS::SNS::Topic": true, "AWS::S3::Bucket": true}

func TestStatefulResourcesArePinnedAndRetained(t *testing.T) {
	for _, name := range asm.Order {
		key := name
		if strings.Contains(name, "-support-") {
			key = "support"
		}
		var got []string
		for _, r := range asm.Templates[name].Resources("") {
			if !statefulTypes[r.Type] {
				continue
			}
			got = append(got, r.LogicalID)
			if p := fmt.Sprint(r.Raw["DeletionPolicy"], "/", r.Raw["UpdateReplacePolicy"]); p != "Retain/Retain" {
				t.Errorf("%s %s (%s): DeletionPolicy/UpdateReplacePolicy = %s, want Retain/Retain", name, r.LogicalID, r.Type, p)
			}
		}
		cfntest.Check(t, "stateful logical IDs of "+name+" (-pinned +got)", pinnedLogicalIDs[key], got)
	}
}
