package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/stacks"
	"github.com/google/go-cmp/cmp"
)

// threeWaves writes the five-region configuration with the pipeline enabled
// and three configured waves after the canary, listed out of region order,
// and returns its path.
func threeWaves(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("config/testdata/five-regions.json")
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	c["pipeline"] = map[string]any{
		"enabled":       true,
		"repository":    "brokerage/platform",
		"connectionArn": "arn:aws:codeconnections:ap-southeast-2:111111111111:connection/00000000-0000-0000-0000-000000000000",
		"waves":         [][]string{{"sa-east-1"}, {"me-central-1"}, {"ap-southeast-4"}},
	}
	if b, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "three-waves.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The workflow deploys what the pipeline deploys, in the same order: for a
// configuration of three waves after the edge, primary and canary regions,
// the plan the workflow reads (waves) lists the regions of the CDK Pipelines
// pipeline's deploying stages, wave by wave.
func TestWorkflowPlanIsThePipelinesStageOrder(t *testing.T) {
	path := threeWaves(t)
	var out bytes.Buffer
	if err := run([]string{"waves", "-config", path}, &out); err != nil {
		t.Fatal(err)
	}
	plan := workflowPlan(t, out.String())
	want := [][]string{{"ap-southeast-2", "us-east-1"}, {"eu-west-2"}, {"sa-east-1"}, {"me-central-1"}, {"ap-southeast-4"}}
	if diff := cmp.Diff(want, plan); diff != "" {
		t.Errorf("the workflow's plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(plan, pipelineWaves(t, path)); diff != "" {
		t.Errorf("the pipeline's waves differ from the workflow's plan (-workflow +pipeline):\n%s", diff)
	}
}

// workflowPlan reads the regions of each wave, sorted, from the output of
// waves, checking its count.
func workflowPlan(t *testing.T, out string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "waves=") || !strings.HasPrefix(lines[1], "count=") {
		t.Fatalf("waves printed %q, want the lines waves= and count=", out)
	}
	var waves []config.Wave
	if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[0], "waves=")), &waves); err != nil {
		t.Fatal(err)
	}
	var plan [][]string
	for _, w := range waves {
		plan = append(plan, slices.Sorted(slices.Values(w.Regions)))
	}
	if got, want := strings.TrimPrefix(lines[1], "count="), strconv.Itoa(len(plan)); got != want {
		t.Errorf("count=%s, want %s, the number of waves", got, want)
	}
	return plan
}

// pipelineWaves synthesizes the pipeline for the configuration at path and
// returns, in order, the regions each of its stages deploys to (the stages
// that deploy nothing, source, build and self-mutation, left out), sorted.
func pipelineWaves(t *testing.T, path string) [][]string {
	t.Helper()
	c, err := config.Load(path, "")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	code := cfntest.StandInCode(tmp)
	app := cfn.NewApp(filepath.Join(tmp, "out"))
	stacks.NewPipeline(app, &stacks.PipelineProps{Config: c, ConfigPath: path, RedistributorCode: func() awslambda.Code {
		return awslambda.Code_FromAsset(jsii.String(code), nil)
	}})
	tmpl := cfn.Synth(app).Templates[stacks.PipelineStackName(c)]
	pipes := tmpl.Resources("AWS::CodePipeline::Pipeline")
	if len(pipes) != 1 {
		t.Fatalf("%d pipelines, want 1", len(pipes))
	}
	stages, _ := pipes[0].Props["Stages"].([]any)
	var waves [][]string
	for _, s := range stages {
		if regions := deployedRegions(s, c.PrimaryRegion); len(regions) > 0 {
			waves = append(waves, regions)
		}
	}
	return waves
}

// deployedRegions lists, sorted, the regions of a pipeline stage's
// CloudFormation actions that execute a change set; an action without a
// region runs in the pipeline's.
func deployedRegions(stage any, pipelineRegion string) []string {
	s, _ := stage.(map[string]any)
	actions, _ := s["Actions"].([]any)
	var regions []string
	for _, a := range actions {
		am, _ := a.(map[string]any)
		conf, _ := am["Configuration"].(map[string]any)
		if conf["ActionMode"] != "CHANGE_SET_EXECUTE" {
			continue
		}
		r, ok := am["Region"].(string)
		if !ok {
			r = pipelineRegion
		}
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	slices.Sort(regions)
	return regions
}
