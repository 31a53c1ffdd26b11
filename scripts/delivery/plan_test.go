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

	"github.com/brokerage/platform/config"
	"github.com/google/go-cmp/cmp"
)

// threeWaves writes the five-region configuration with three configured waves after the canary, listed out of region order,
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
	c["pipeline"] = map[string]any{"waves": [][]string{{"sa-east-1"}, {"me-central-1"}, {"ap-southeast-4"}}}
	if b, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "three-waves.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// For a configuration of three waves after the edge, primary and canary
// regions, the plan the workflow reads (waves) lists them in that order.
func TestWorkflowPlanFollowsTheConfiguredWaves(t *testing.T) {
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
