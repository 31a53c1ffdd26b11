// Package workflow checks the GitHub Actions workflows in .github/workflows:
// credentials only through OIDC role assumption, pull requests running the
// README's test command and posting cdk diff, and deployments going stage by
// stage and wave by wave, one at a time per region, each in its stage's
// environment.
package workflow

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/brokerage/platform/config"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

const dir = "../../.github/workflows"

type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]job    `yaml:"jobs"`
}

type job struct {
	Needs       any               `yaml:"needs"`
	If          string            `yaml:"if"`
	Uses        string            `yaml:"uses"`
	With        map[string]string `yaml:"with"`
	Permissions map[string]string `yaml:"permissions"`
	Environment string            `yaml:"environment"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress any    `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Strategy struct {
		Matrix map[string]any `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []step `yaml:"steps"`
}

type step struct {
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

func load(t *testing.T, name string) (workflow, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w, string(b)
}

func files(t *testing.T) []string {
	names, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no workflows in %s (%v)", dir, err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func needs(j job) []string {
	switch n := j.Needs.(type) {
	case string:
		return []string{n}
	case []any:
		var out []string
		for _, e := range n {
			out = append(out, e.(string))
		}
		sort.Strings(out)
		return out
	}
	return nil
}

func check(t *testing.T, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

var longLived = regexp.MustCompile(`(?i)aws-access-key-id|aws-secret-access-key|aws-session-token|AWS_ACCESS_KEY|AWS_SECRET|secrets\.AWS`)

// No workflow holds or passes AWS keys: every AWS credential comes from
// assuming a role with the job's OIDC token, and only jobs that do so may
// request a token. Every workflow starts from read-only permissions.
func TestCredentialsOnlyThroughOIDC(t *testing.T) {
	assumed := 0
	for _, name := range files(t) {
		w, raw := load(t, name)
		if m := longLived.FindString(raw); m != "" {
			t.Errorf("%s mentions %q: AWS credentials must come from OIDC role assumption only", name, m)
		}
		check(t, name+": top-level permissions", map[string]string{"contents": "read"}, w.Permissions)
		for id, j := range w.Jobs {
			assumes := false
			for _, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
					continue
				}
				assumes = true
				assumed++
				if !strings.HasPrefix(s.With["role-to-assume"], "${{ vars.") {
					t.Errorf("%s job %s: role-to-assume = %q, want a role ARN from a GitHub variable", name, id, s.With["role-to-assume"])
				}
				for k := range s.With {
					if k != "role-to-assume" && k != "role-session-name" && k != "aws-region" {
						t.Errorf("%s job %s: configure-aws-credentials given %q; only the role, its session name and the region", name, id, k)
					}
				}
			}
			token := j.Permissions["id-token"] == "write"
			// A reusable workflow's caller grants the token its jobs use.
			if assumes != token && !(token && j.Uses != "") {
				t.Errorf("%s job %s: assumes a role %v, id-token: write %v; want both or neither", name, id, assumes, token)
			}
		}
	}
	if assumed == 0 {
		t.Error("no job assumes an AWS role")
	}
}

// Pull requests run exactly the README's test command, synthesize and post
// cdk diff for every stage.
func TestPullRequestsRunTheREADMETestsAndPostTheDiff(t *testing.T) {
	w, _ := load(t, "ci.yml")
	if _, ok := w.On["pull_request"]; !ok {
		t.Fatal("ci.yml does not run on pull requests")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?m)^(make [a-z]+) +# runs every test").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README quick start has no test command")
	}
	var runs []string
	for _, s := range w.Jobs["test"].Steps {
		runs = append(runs, s.Run)
	}
	if !slices.Contains(runs, string(m[1])) {
		t.Errorf("the test job runs %q, not the README's %q", runs, m[1])
	}
	diff := w.Jobs["diff"]
	if !strings.Contains(diff.If, "pull_request") {
		t.Errorf("the diff job runs if %q, want on pull requests", diff.If)
	}
	check(t, "stages diffed", []any{"dev", "prod"}, diff.Strategy.Matrix["stage"])
	var steps []string
	for _, s := range diff.Steps {
		steps = append(steps, s.Run)
	}
	joined := strings.Join(steps, "\n")
	for _, want := range []string{"make synth", "scripts/pr-diff.sh"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the diff job does not run %q:\n%s", want, joined)
		}
	}
	check(t, "diff job may comment on pull requests", "write", diff.Permissions["pull-requests"])
	script, err := os.ReadFile("../../scripts/pr-diff.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cdk --no-notices diff", "cdk.out/*.template.json", "gh pr comment"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("scripts/pr-diff.sh does not %q", want)
		}
	}
}

// Main deploys dev, then prod; each stage in the waves of its plan, in order.
func TestMainDeploysStageByStageAndWaveByWave(t *testing.T) {
	ci, _ := load(t, "ci.yml")
	if _, ok := ci.On["push"]; !ok {
		t.Fatal("ci.yml does not run on pushes to main")
	}
	check(t, "deploy-dev", []any{"./.github/workflows/deploy.yml", "dev", []string{"test"}}, []any{ci.Jobs["deploy-dev"].Uses, ci.Jobs["deploy-dev"].With["stage"], needs(ci.Jobs["deploy-dev"])})
	check(t, "deploy-prod", []any{"./.github/workflows/deploy.yml", "prod", []string{"deploy-dev"}}, []any{ci.Jobs["deploy-prod"].Uses, ci.Jobs["deploy-prod"].With["stage"], needs(ci.Jobs["deploy-prod"])})
	if !strings.Contains(ci.Jobs["deploy-dev"].If, "push") {
		t.Errorf("deploy-dev runs if %q, want only on pushes", ci.Jobs["deploy-dev"].If)
	}
	d, _ := load(t, "deploy.yml")
	n := checkWaveChain(t, d)
	if n != config.MaxWaves {
		t.Errorf("deploy.yml has %d wave jobs, and the configuration allows %d waves (config.MaxWaves): make them equal", n, config.MaxWaves)
	}
	var plan []string
	for _, s := range d.Jobs["plan"].Steps {
		plan = append(plan, s.Run)
	}
	want := fmt.Sprintf("go run ./scripts/delivery waves -config \"$CONFIG\" -max-waves %d >", n)
	if !strings.Contains(strings.Join(plan, "\n"), want) {
		t.Errorf("the plan job runs %q, want the waves from the configuration, no more than the %d wave jobs: %q", plan, n, want)
	}
}

// checkWaveChain checks that deploy.yml's jobs besides the plan are wave-1 to
// wave-n, each deploying the plan's wave of its number once the one before
// succeeded (a job whose needs failed or were skipped is skipped), and
// returns n.
func checkWaveChain(t *testing.T, d workflow) int {
	t.Helper()
	n := len(d.Jobs) - 1
	if n < 3 {
		t.Fatalf("deploy.yml has %d jobs besides the plan, want a chain of wave jobs", n)
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("wave-%d", i)
		j, ok := d.Jobs[id]
		if !ok {
			t.Fatalf("deploy.yml has no job %s: its jobs are the plan and wave-1 to wave-%d", id, n)
		}
		wantNeeds, wantIf := []string{"plan"}, ""
		if i > 1 {
			wantNeeds = []string{"plan", fmt.Sprintf("wave-%d", i-1)}
			wantIf = fmt.Sprintf("${{ fromJSON(needs.plan.outputs.count) >= %d }}", i)
		}
		check(t, id, []any{"./.github/workflows/deploy-wave.yml", wantNeeds, wantIf, "${{ inputs.stage }}",
			fmt.Sprintf("${{ toJSON(fromJSON(needs.plan.outputs.waves)[%d].regions) }}", i-1)},
			[]any{j.Uses, needs(j), j.If, j.With["stage"], j.With["regions"]})
	}
	return n
}

// A wave deploys each region in its own job, in the stage's environment, one
// run at a time per stage and region, and checks the region's alarms after it.
func TestWaveJobsDeployOneRegionAtATimeInTheStagesEnvironment(t *testing.T) {
	w, _ := load(t, "deploy-wave.yml")
	j, ok := w.Jobs["region"]
	if !ok {
		t.Fatal("deploy-wave.yml has no region job")
	}
	check(t, "environment", "${{ inputs.stage }}", j.Environment)
	check(t, "concurrency group", "deploy-${{ inputs.stage }}-${{ matrix.region }}", j.Concurrency.Group)
	check(t, "cancel-in-progress", false, j.Concurrency.CancelInProgress)
	check(t, "matrix", "${{ fromJSON(inputs.regions) }}", j.Strategy.Matrix["region"])
	var runs []string
	for _, s := range j.Steps {
		if s.Run != "" {
			runs = append(runs, s.Run)
		}
	}
	if len(runs) != 2 || !strings.HasPrefix(runs[0], "make deploy") || !strings.HasPrefix(runs[1], "go run ./scripts/delivery check") {
		t.Errorf("the region job runs %q, want make deploy, then the alarm check", runs)
	}
}

// A scheduled run synthesizes prod, which refuses a holiday calendar that
// ends within alarms.CalendarWarningDays: a calendar cannot run out without
// a failed run telling the owners.
func TestScheduledRunChecksTheHolidayCalendars(t *testing.T) {
	ci, _ := load(t, "ci.yml")
	if _, ok := ci.On["schedule"]; !ok {
		t.Fatal("ci.yml has no schedule trigger")
	}
	var found []string
	for name, j := range ci.Jobs {
		for _, s := range j.Steps {
			if strings.Contains(s.Run, "make synth STAGE=prod") && strings.Contains(j.If, "schedule") {
				found = append(found, name)
			}
		}
	}
	if len(found) != 1 {
		t.Errorf("jobs that synthesize prod on the schedule: %v, want one", found)
	}
}
