package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brokerage/platform/config"
	"github.com/google/go-cmp/cmp"
)

// The waves the workflow deploys, per configuration: a change here moves
// every deployment, so the plan is pinned like a golden template (the
// default configuration's is config.Waves, whose order the config tests
// prove, as the workflow reads it).
func TestWavesPlan(t *testing.T) {
	def, err := json.Marshal(config.Default().Waves())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, config, want string }{
		{"default", "", fmt.Sprintf("waves=%s\ncount=%d\n", def, len(config.Default().Waves()))},
		{"five regions", "config/testdata/five-regions.json", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"waves"}
			if tc.config != "" {
				args = append(args, "-config", tc.config)
			}
			var out bytes.Buffer
			if err := run(args, &out); err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == "" {
				b, err := os.ReadFile(filepath.Join("scripts/delivery/testdata", strings.ReplaceAll(tc.name, " ", "-")+".txt"))
				if err != nil {
					t.Fatal(err)
				}
				want = string(b)
			}
			if diff := cmp.Diff(want, out.String()); diff != "" {
				t.Errorf("waves (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadUseFails(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"deploy"}, `unknown command "deploy"`},
		{[]string{"check"}, "-region is required"},
		{[]string{"waves", "-config", "missing.json"}, "missing.json"},
		{[]string{"check", "-stage", "qa", "-region", "eu-west-2"}, `stage: got "qa"`},
		{[]string{"waves", "-max-waves", "2"}, "the configuration has 3 waves, the workflow deploys at most 2"},
	} {
		err := run(tc.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

// A configuration is judged as the app judges it: a file with a type
// error and a broken rule elsewhere reports both, at their lines.
func TestBadConfigurationReportsEveryProblem(t *testing.T) {
	b, err := os.ReadFile("config/default.json")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(strings.Replace(string(b), `"app": "brokerage"`, `"app": 5`, 1), `"primaryRegion": "ap-southeast-2"`, `"primaryRegion": "us-west-2"`, 1)
	path := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run([]string{"waves", "-config", path}, &bytes.Buffer{})
	for _, field := range []string{"app", "primaryRegion"} {
		if err == nil || !strings.Contains(err.Error(), field+": got") {
			t.Errorf("err = %v, want a problem at %s", err, field)
		}
	}
}

// check runs alarms.CheckCommand with the AWS CLI: a stand-in `aws` that
// reports an alarm makes it fail.
func TestCheckFailsOnAnAlarm(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte("#!/bin/sh\necho brokerage-prod-holdings-ApproximateAgeOfOldestMessage\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	var out bytes.Buffer
	// The default configuration's placeholder user pools are refused in prod.
	err := run([]string{"check", "-config", "config/testdata/five-regions.json", "-stage", "prod", "-region", "eu-west-2", "-bake", "0s"}, &out)
	if err == nil || !strings.Contains(out.String(), "brokerage-prod-holdings-ApproximateAgeOfOldestMessage") {
		t.Errorf("check = %v, output:\n%s\nwant a failure naming the alarm", err, out.String())
	}
}

// The command runs from the project root, as the workflow runs it: the
// configuration's site.contentDir is relative to it.
func TestMain(m *testing.M) {
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
