package awsrules

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/problems"
	"github.com/google/go-cmp/cmp"
)

func template(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var perr *problems.Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v, want a *problems.Error", err)
	}
	return perr.Fields()
}

const compliant = `{"Description":"ok","Resources":{
 "Q":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":"p-a.fifo"}},
 "A":{"Type":"AWS::CloudWatch::Alarm","Properties":{"AlarmName":"p-a","DatapointsToAlarm":3,"EvaluationPeriods":1440,"Period":60}},
 "P":{"Type":"AWS::SQS::QueuePolicy","Properties":{"PolicyDocument":{"Statement":[{"Principal":{"AWS":["1","2"]}}]}}},
 "U":{"Type":"AWS::ApiGateway::UsagePlan","Properties":{"Throttle":{"BurstLimit":10,"RateLimit":2.5},"Quota":{"Limit":100}}},
 "S":{"Type":"AWS::ApiGateway::Stage","Properties":{"MethodSettings":[{"ThrottlingBurstLimit":10}]}},
 "W":{"Type":"AWS::WAFv2::WebACL","Properties":{"Scope":"REGIONAL","VisibilityConfig":{"MetricName":"p-public"}}},
 "H":{"Type":"AWS::CloudFront::ResponseHeadersPolicy","Properties":{"ResponseHeadersPolicyConfig":{"SecurityHeadersConfig":{"ContentSecurityPolicy":{"ContentSecurityPolicy":"default-src 'self'"}}}}},
 "Sub":{"Type":"AWS::SNS::Subscription","Properties":{"TopicArn":"arn:aws:sns:r:1:t.fifo"}}}}`

func TestCheckStacksCompliant(t *testing.T) {
	err := CheckStacks([]cfn.Stack{
		{Name: "s1", Account: "1", Region: "eu-west-2", Template: template(t, compliant)},
		{Name: "s2", Account: "1", Region: "sa-east-1", Template: template(t, compliant)}, // same names, another region
	})
	if err != nil {
		t.Errorf("compliant stacks: %v", err)
	}
}

func TestCheckStacksViolations(t *testing.T) {
	principals := make([]string, 51)
	for i := range principals {
		principals[i] = `"` + strings.Repeat("1", 12) + `"`
	}
	var subs []string
	for i := 0; i < 101; i++ {
		subs = append(subs, `"Sub`+strings.Repeat("x", i)+`":{"Type":"AWS::SNS::Subscription","Properties":{"TopicArn":"arn:aws:sns:r:1:t.fifo"}}`)
	}
	bad := `{"Description":"` + strings.Repeat("d", 1025) + `","Resources":{
 "Q":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":"p-a.fifo"}},
 "A":{"Type":"AWS::CloudWatch::Alarm","Properties":{"AlarmName":"` + strings.Repeat("a", 256) + `","DatapointsToAlarm":5,"EvaluationPeriods":3}},
 "A2":{"Type":"AWS::CloudWatch::Alarm","Properties":{"AlarmName":"p-b","EvaluationPeriods":1440,"Metrics":[{"Id":"m","MetricStat":{"Period":240}},{"Id":"e","Expression":"m"}]}},
 "P":{"Type":"AWS::SQS::QueuePolicy","Properties":{"PolicyDocument":{"Statement":[{"Principal":{"AWS":[` + strings.Join(principals, ",") + `]}}]}}},
 "U":{"Type":"AWS::ApiGateway::UsagePlan","Properties":{"Throttle":{"BurstLimit":10.5},"Quota":{"Limit":100.5}}},
 "S":{"Type":"AWS::ApiGateway::Stage","Properties":{"MethodSettings":[{"ThrottlingBurstLimit":0.5}]}},
 "W":{"Type":"AWS::WAFv2::WebACL","Properties":{"Scope":"REGIONAL","VisibilityConfig":{"MetricName":"p my api"}}},
 "H":{"Type":"AWS::CloudFront::ResponseHeadersPolicy","Properties":{"ResponseHeadersPolicyConfig":{"SecurityHeadersConfig":{"ContentSecurityPolicy":{"ContentSecurityPolicy":"` + strings.Repeat("c", 1784) + `"}}}}},
 ` + strings.Join(subs, ",") + `}}`
	err := CheckStacks([]cfn.Stack{
		{Name: "s1", Account: "1", Region: "eu-west-2", Template: template(t, bad)},
		{Name: "s2", Account: "1", Region: "eu-west-2", Template: template(t, compliant)},
	})
	want := []string{
		"s1 Description", "s1/A AlarmName", "s1/A DatapointsToAlarm", "s1/A2 EvaluationPeriods", "s1/H ContentSecurityPolicy", "s1/P",
		"s1/S MethodSettings[0].ThrottlingBurstLimit", "s1/U Throttle.BurstLimit", "s1/U Quota.Limit", "s1/W VisibilityConfig.MetricName",
		"s2/Q", `subscriptions to "arn:aws:sns:r:1:t.fifo"`,
	}
	if diff := cmp.Diff(want, fields(t, err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s\n%v", diff, err)
	}
}

// Between the platform's own resources, the one that comes later in the
// assembly takes a name already taken and is blamed, whatever the order of
// their paths' letters.
func TestCollisionsBlameTheLaterResourceInAssemblyOrder(t *testing.T) {
	err := CheckStacks([]cfn.Stack{
		{Name: "zeta", Account: "1", Region: "eu-west-2", Template: template(t, compliant)},
		{Name: "alpha", Account: "1", Region: "eu-west-2", Template: template(t, compliant)},
	})
	if diff := cmp.Diff([]string{"alpha/A", "alpha/Q"}, fields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCheckStacksResources(t *testing.T) {
	res := map[string]any{}
	for i := 0; i < 501; i++ {
		res[strings.Repeat("R", 1)+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = map[string]any{"Type": "AWS::SNS::Topic"}
	}
	err := CheckStacks([]cfn.Stack{{Name: "big", Template: map[string]any{"Resources": res}}})
	if diff := cmp.Diff([]string{"big"}, fields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// CheckAssembly reads every stack of the assembly, with its name and
// environment (cfn.ReadAssembly), and checks the names across stacks.
func TestCheckAssemblyAcrossStacks(t *testing.T) {
	dir := t.TempDir()
	write := fileWriter(t, dir)
	write("manifest.json", `{"artifacts":{"top":{"type":"aws:cloudformation:stack","environment":"aws://1/us-east-1","properties":{"templateFile":"top.template.json","stackName":"top"}},
		"other":{"type":"aws:cloudformation:stack","environment":"aws://1/us-east-1","properties":{"templateFile":"s.template.json","stackName":"other"}}}}`)
	write("top.template.json", compliant)
	write("s.template.json", compliant)
	a, err := cfn.ReadAssembly(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range a.Stacks {
		got = append(got, s.Name+"@"+s.Account+"/"+s.Region)
	}
	if diff := cmp.Diff([]string{"other@1/us-east-1", "top@1/us-east-1"}, got); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
	// Both stacks name the same queue and alarm in one account and region.
	if diff := cmp.Diff([]string{"top/A", "top/Q"}, fields(t, CheckAssembly(dir))); diff != "" {
		t.Errorf("CheckAssembly (-want +got):\n%s", diff)
	}
}

// A resource built from a configuration entry (ConfigFieldMetadata on its
// construct or an ancestor, found through the stack's aws:cdk:logicalId
// metadata) is blamed on that field, with the value it holds, once however
// many of its names collide; the platform's own resource is named by path.
func TestCollisionsBlameTheConfigurationEntry(t *testing.T) {
	dir := t.TempDir()
	write := fileWriter(t, dir)
	write("manifest.json", `{"artifacts":{"a":{"type":"aws:cloudformation:stack","environment":"aws://1/eu-west-2","properties":{"templateFile":"a.template.json","stackName":"a"}},
		"b":{"type":"aws:cloudformation:stack","environment":"aws://1/eu-west-2","properties":{"templateFile":"b.template.json","stackName":"b"},"additionalMetadataFile":"b.metadata.json"}}}`)
	write("a.template.json", compliant)
	write("b.template.json", compliant)
	write("b.metadata.json", `{"/b/Fanout/ingest":[{"type":"`+ConfigFieldMetadata+`","data":{"field":"fanout.consumers[3].name","value":"ingest"}}],
		"/b/Fanout/ingest/Q":[{"type":"aws:cdk:logicalId","data":"Q"}],"/b/Fanout/ingest/A":[{"type":"aws:cdk:logicalId","data":"A"}]}`)
	err := CheckAssembly(dir)
	if diff := cmp.Diff([]string{"fanout.consumers[3].name"}, fields(t, err)); diff != "" {
		t.Fatalf("problems (-want +got):\n%s\n%v", diff, err)
	}
	for _, want := range []string{`got "ingest"`, "is taken by a/", "(and 1 more of its names are taken)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\ndoes not say %q", err, want)
		}
	}
}

// Two resources of one configuration entry that take the same name are
// still reported, at that entry.
func TestCollisionWithinOneEntryIsReported(t *testing.T) {
	dir := t.TempDir()
	write := fileWriter(t, dir)
	write("manifest.json", `{"artifacts":{"b":{"type":"aws:cloudformation:stack","environment":"aws://1/eu-west-2","properties":{"templateFile":"b.template.json","stackName":"b"},"additionalMetadataFile":"b.metadata.json"}}}`)
	write("b.template.json", `{"Resources":{"Q1":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":"p-a.fifo"}},"Q2":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":"p-a.fifo"}}}}`)
	write("b.metadata.json", `{"/b/Alarms":[{"type":"`+ConfigFieldMetadata+`","data":{"field":"alarms.emails","value":"2 addresses"}}],
		"/b/Alarms/Q1":[{"type":"aws:cdk:logicalId","data":"Q1"}],"/b/Alarms/Q2":[{"type":"aws:cdk:logicalId","data":"Q2"}]}`)
	if diff := cmp.Diff([]string{"alarms.emails"}, fields(t, CheckAssembly(dir))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// A limit a configuration entry breaks in every stack built from it is a
// problem per stack, each naming its stack.
func TestBlamedLimitsNameTheirStack(t *testing.T) {
	dir := t.TempDir()
	write := fileWriter(t, dir)
	write("manifest.json", `{"artifacts":{"a":{"type":"aws:cloudformation:stack","environment":"aws://1/eu-west-2","properties":{"templateFile":"a.template.json","stackName":"a"},"additionalMetadataFile":"a.metadata.json"},
		"b":{"type":"aws:cloudformation:stack","environment":"aws://1/sa-east-1","properties":{"templateFile":"b.template.json","stackName":"b"},"additionalMetadataFile":"b.metadata.json"}}}`)
	for _, s := range []string{"a", "b"} {
		write(s+".template.json", `{"Resources":{"S":{"Type":"AWS::ApiGateway::Stage","Properties":{"MethodSettings":[{"ThrottlingBurstLimit":0.5}]}}}}`)
		write(s+".metadata.json", `{"/`+s+`/Api":[{"type":"`+ConfigFieldMetadata+`","data":{"field":"api.gateways[0].name","value":"public"}}],"/`+s+`/Api/S":[{"type":"aws:cdk:logicalId","data":"S"}]}`)
	}
	err := CheckAssembly(dir)
	if diff := cmp.Diff([]string{"api.gateways[0].name MethodSettings[0].ThrottlingBurstLimit", "api.gateways[0].name MethodSettings[0].ThrottlingBurstLimit"}, fields(t, err)); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	for _, want := range []string{`got "0.5 in a"`, `got "0.5 in b"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\ndoes not say %q", err, want)
		}
	}
}

// fileWriter returns a function that writes one file of a cloud assembly
// into dir, failing the test on error.
func fileWriter(t *testing.T, dir string) func(path, content string) {
	return func(path, content string) {
		if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A stack over the resource limit blames the configuration list with the
// most resources in it; of two lists with as many, the first by name.
func TestResourceLimitBlamesTheLargestListFirstByName(t *testing.T) {
	s := cfn.Stack{Name: "s", Template: cfn.Template{"Resources": map[string]any{}}, Paths: map[string]string{},
		ConfigFields: map[string]cfn.ConfigField{"/s/B": {Field: "b.list[0]"}, "/s/A": {Field: "a.list[0]"}, "/s/C": {Field: "c.list[0]"}}}
	add := func(construct string, n int) {
		for i := range n {
			id := fmt.Sprintf("%s%d", construct, i)
			s.Template["Resources"].(map[string]any)[id] = map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}}
			s.Paths[id] = "/s/" + construct + "/" + id
		}
	}
	add("C", 10)
	add("B", 250)
	add("A", 250)
	var perr *problems.Error
	if !errors.As(CheckStacks([]cfn.Stack{s}), &perr) || len(perr.Problems) != 1 {
		t.Fatalf("want one problem, the resource limit, got %v", perr)
	}
	if p := perr.Problems[0]; p.Field != "a.list" || p.Value != "250 of the 510 resources of s" {
		t.Errorf("blamed %s (%v), want a.list (250 of the 510 resources of s)", p.Field, p.Value)
	}
}
