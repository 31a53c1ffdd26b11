package alarms

import (
	"fmt"
	"strings"
)

// CheckCommand is a shell command that fails, naming them, when any of the
// platform's alarms in region is in ALARM. Idle alarms count too: outside
// their sessions their own expression keeps them OK, so one in ALARM is
// silence during a session, an outage. prefix is the platform's name prefix
// (<app>-<stage>); profile, when not empty, is the AWS CLI profile to call
// CloudWatch with.
// Deployment pipelines run it after each wave, before the next starts.
//
// It needs the AWS CLI and cloudwatch:DescribeAlarms on the prefix's alarms.
func CheckCommand(prefix, region, profile string) string {
	// JMESPath: every metric and composite alarm the call returns.
	query := "[MetricAlarms[].AlarmName, CompositeAlarms[].AlarmName][]"
	args := []string{"aws", "cloudwatch", "describe-alarms"}
	if profile != "" {
		args = append(args, "--profile", profile)
	}
	args = append(args, "--region", region, "--alarm-name-prefix", AlarmName(prefix, ""),
		"--state-value", "ALARM", "--alarm-types", "MetricAlarm", "CompositeAlarm",
		"--query", `"`+query+`"`, "--output", "text")
	// A failed call (credentials, throttling) fails the check: it must
	// never pass for want of an answer.
	return fmt.Sprintf(`out=$(%s) || { echo "%s: cannot read the alarms"; exit 1; }; `+
		`firing=$(printf '%%s\n' "$out" | tr -s '\t ' '\n' | grep -v -e '^None$' -e '^$' || true); `+
		`if [ -n "$firing" ]; then echo "%s: alarms in ALARM:"; echo "$firing"; exit 1; fi; echo "%s: no alarm in ALARM"`,
		strings.Join(args, " "), region, region, region)
}
