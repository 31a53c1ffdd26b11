package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/brokerage/platform/internal/cfn"
	"github.com/google/go-cmp/cmp"
)

// A deployed stage must update in place. CloudFormation applies a changed
// logical ID as "create the new resource, then delete the old one"
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).
// For a resource with a fixed physical name the create either collides with
// the existing name or, for APIs that are idempotent by name (SQS
// CreateQueue, SNS CreateTopic, CloudWatch PutMetricAlarm), adopts it, and
// the delete of the old logical ID then removes it; a stateful resource
// whose logical ID changes is replaced, and its data goes. So the golden
// (testdata/<stack>.names.json: physical name -> logical ID, and each
// stateful resource's logical ID) may grow with -update, but a name that
// moves to another logical ID, or a stateful resource that disappears,
// fails the test even with -update: to do either on purpose, edit the
// golden by hand and say in the change how deployed stages migrate.

// nameProps are the properties that fix a resource's physical name.
var nameProps = []string{"AlarmName", "QueueName", "TopicName", "FunctionName", "BucketName", "RoleName",
	"LogGroupName", "TableName", "DashboardName", "ApiKeyName", "UsagePlanName", "AliasName", "SecretName", "Name"}

// physicalNames maps "<type> <name>" (the name as JSON when it is an
// intrinsic) to the logical ID holding it, and "<type> stateful <logical
// ID>" to the logical ID of each stateful resource (statefulTypes).
func physicalNames(t cfn.Template) map[string]string {
	out := map[string]string{}
	for _, r := range t.Resources("") {
		if statefulTypes[r.Type] {
			out[r.Type+statefulMark+r.LogicalID] = r.LogicalID
		}
		for _, p := range nameProps {
			v, ok := r.Props[p]
			if !ok {
				continue
			}
			name, isString := v.(string)
			if !isString {
				b, _ := json.Marshal(v)
				name = string(b)
			}
			out[r.Type+" "+name] = r.LogicalID
			break
		}
	}
	return out
}

// statefulMark tells a stateful resource's entry from a physical name's.
const statefulMark = " stateful "

func TestPhysicalNamesStayOnTheirLogicalIDs(t *testing.T) {
	for _, s := range dev.Stacks {
		t.Run(s.Name, func(t *testing.T) {
			path := filepath.Join("testdata", s.Name+".names.json")
			got := physicalNames(s.Template)
			var want map[string]string
			if b, err := os.ReadFile(path); err == nil {
				if err := json.Unmarshal(b, &want); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			} else if !*update {
				t.Fatalf("no golden %s: run `%s` and review the new file", path, regenerate)
			}
			for _, key := range sortedKeys(want) {
				now, ok := got[key]
				switch {
				case ok && now != want[key]:
					t.Errorf("%s moves from logical ID %s to %s: an update would create the new one and then delete the name with the old one", key, want[key], now)
				case !ok && strings.Contains(key, statefulMark):
					t.Errorf("stateful resource %s disappears: an update would delete it and its data", key)
				}
			}
			if *update {
				b, _ := json.MarshalIndent(got, "", "  ")
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("physical names differ from %s (-want +got):\n%s\nIf the change is intended, run `%s` and review the diff.", path, diff, regenerate)
			}
		})
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
