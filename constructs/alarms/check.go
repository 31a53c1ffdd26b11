package alarms

import (
	"fmt"
	"sort"
	"strings"
)

// IdleMetrics are the metrics whose alarms fire when nothing flows (missing
// data is breaching): they say "no traffic", which is expected right after a
// deployment and outside trading hours, not "the deployment broke something".
func IdleMetrics() []string {
	seen := map[string]bool{}
	for _, k := range Catalogue {
		for _, s := range k.Alarms {
			if s.Idle() {
				seen[s.Metric] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// CheckCommand is a shell command that fails, naming them, when any of the
// platform's alarms in region is in ALARM, ignoring the idle alarms
// (IdleMetrics, the catalogue's Spec.Idle) while their actions are off:
// outside their sessions. prefix is the platform's name prefix (<app>-<stage>);
// profile, when not empty, is the AWS CLI profile to call CloudWatch with.
// Deployment pipelines run it after each wave, before the next starts.
//
// It needs the AWS CLI and cloudwatch:DescribeAlarms on the prefix's alarms.
func CheckCommand(prefix, region, profile string) string {
	var idle []string
	for _, m := range IdleMetrics() {
		idle = append(idle, fmt.Sprintf("ends_with(AlarmName, '-%s')", m))
	}
	// JMESPath: metric alarms that are not idle alarms or are idle alarms
	// acting (inside their trading session, where silence is an outage, as
	// the session schedules decide), and every composite alarm (they are
	// made of arrival alarms, never of idle ones).
	query := fmt.Sprintf("[MetricAlarms[?!(%s) || ActionsEnabled].AlarmName, CompositeAlarms[].AlarmName][]", strings.Join(idle, " || "))
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
