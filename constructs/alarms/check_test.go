package alarms_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/brokerage/platform/constructs/alarms"
	"github.com/google/go-cmp/cmp"
	"github.com/jmespath/go-jmespath"
)

var queryArg = regexp.MustCompile(`--query "([^"]+)"`)

// The command's JMESPath query, run on a DescribeAlarms response the way the
// AWS CLI runs it (go-jmespath implements the same specification), names
// every alarm in ALARM, the idle ones included: outside their sessions they
// are OK by their own expression.
func TestCheckQueryNamesEveryAlarmInAlarm(t *testing.T) {
	cmd := alarms.CheckCommand("brokerage-prod", "eu-west-2", "")
	m := queryArg.FindStringSubmatch(cmd)
	if m == nil {
		t.Fatalf("no --query in %s", cmd)
	}
	response := map[string]any{
		"MetricAlarms": []any{
			map[string]any{"AlarmName": "brokerage-prod-holdings-ApproximateAgeOfOldestMessage"},
			map[string]any{"AlarmName": "brokerage-prod-buying-power-NumberOfMessagesSent"},
			map[string]any{"AlarmName": "brokerage-prod-public-5XXError"},
			map[string]any{"AlarmName": "brokerage-prod-executions-NumberOfMessagesPublished"},
			map[string]any{"AlarmName": "brokerage-prod-executions-NumberOfNotificationsDelivered"},
			map[string]any{"AlarmName": "brokerage-prod-executions-NumberOfNotificationsFailed"},
		},
		"CompositeAlarms": []any{map[string]any{"AlarmName": "brokerage-prod-fanout-not-reaching-eu-west-2"}},
	}
	got, err := jmespath.Search(m[1], response)
	if err != nil {
		t.Fatalf("query %s: %v", m[1], err)
	}
	want := []any{"brokerage-prod-holdings-ApproximateAgeOfOldestMessage", "brokerage-prod-buying-power-NumberOfMessagesSent", "brokerage-prod-public-5XXError",
		"brokerage-prod-executions-NumberOfMessagesPublished", "brokerage-prod-executions-NumberOfNotificationsDelivered", "brokerage-prod-executions-NumberOfNotificationsFailed", "brokerage-prod-fanout-not-reaching-eu-west-2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alarms the check fails on (-want +got):\n%s", diff)
	}
	empty, err := jmespath.Search(m[1], map[string]any{"MetricAlarms": []any{}, "CompositeAlarms": []any{}})
	if err != nil || len(empty.([]any)) != 0 {
		t.Errorf("query on no alarms = %v, %v; want an empty list", empty, err)
	}
}

// The command runs in bash against a stand-in `aws` that prints what the AWS
// CLI prints with --output text: it passes on nothing (or None) and fails,
// naming them, on alarms.
func TestCheckCommandFailsOnAlarmsAndPassesOnNone(t *testing.T) {
	// bash runs the check in CodeBuild and in the workflow; the Makefile
	// requires it too, so it is on every machine that runs these tests.
	for _, tc := range []struct {
		name, output string
		exit         int // of the aws CLI
		fail         bool
	}{
		{"nothing", "", 0, false},
		{"None", "None\n", 0, false},
		{"two alarms", "brokerage-prod-holdings-ApproximateAgeOfOldestMessage\tbrokerage-prod-public-5XXError\n", 0, true},
		{"the call fails", "", 255, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			args := filepath.Join(bin, "args")
			fake := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + args + "\nprintf '" + strings.ReplaceAll(tc.output, "\t", "\\t") + "'\nexit " + strconv.Itoa(tc.exit) + "\n"
			if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "-c", alarms.CheckCommand("brokerage-prod", "eu-west-2", "stage"))
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if tc.fail != (err != nil) {
				t.Fatalf("err = %v, want failure %v; output:\n%s", err, tc.fail, out)
			}
			if tc.fail && tc.exit == 0 && (!strings.Contains(string(out), "brokerage-prod-public-5XXError") || !strings.Contains(string(out), "eu-west-2")) {
				t.Errorf("output does not name the region and the alarms:\n%s", out)
			}
			b, _ := os.ReadFile(args)
			for _, want := range []string{"describe-alarms", "--profile\nstage", "--region\neu-west-2", "--alarm-name-prefix\nbrokerage-prod-", "--state-value\nALARM", "CompositeAlarm"} {
				if !strings.Contains(string(b), want) {
					t.Errorf("aws called without %q; args:\n%s", want, b)
				}
			}
		})
	}
}
