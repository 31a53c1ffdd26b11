package alarms

import "testing"

// The routing check knows the schedules' targets in every partition, and
// with the partition token of a stack whose region is not known.
func TestUniversalTargetsOfEveryPartition(t *testing.T) {
	for arn, want := range map[string]string{
		UniversalTarget("aws", ActionEnable):                                 ActionEnable,
		UniversalTarget("aws-cn", ActionDisable):                             ActionDisable,
		"arn:*:scheduler:::aws-sdk:cloudwatch:setAlarmState":                 ActionSetState,
		"arn:azure:scheduler:::aws-sdk:cloudwatch:enableAlarmActions":        "",
		"arn:aws:scheduler:::aws-sdk:cloudwatch:deleteAlarms":                "",
		"arn:aws:scheduler:eu-west-2::aws-sdk:cloudwatch:enableAlarmActions": "",
		"enableAlarmActions": "",
	} {
		if got := universalTargetAction(arn); got != want {
			t.Errorf("universalTargetAction(%q) = %q, want %q", arn, got, want)
		}
	}
}
