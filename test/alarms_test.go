package test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/stacks"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestEveryResourceHasItsAlarmsWithActions(t *testing.T) {
	for _, a := range []*cfn.Assembly{dev, prod} {
		if got := alarms.CheckCoverage(a.Stacks); len(got) != 0 {
			t.Errorf("alarm coverage:\n%s", lines(got))
		}
	}
}

// lines are the findings' lines, one a line.
func lines(fs []alarms.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintln(&b, f)
	}
	return b.String()
}

// The account-level concurrency finding names the stacks' region, read from
// their environment, also when the app name has a hyphen (the configuration
// allows one).
func TestCoverageNamesTheRegionOfAHyphenatedApp(t *testing.T) {
	c := *cfg
	c.App = "my-broker"
	app := cfn.NewApp(filepath.Join(t.TempDir(), "out"))
	for _, region := range []string{"eu-west-2", "ap-southeast-2"} {
		s := awscdk.NewStack(app, jsii.String(stacks.StackName(&c, region, stacks.RoleRegional)), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(c.Account), Region: jsii.String(region)}})
		awscdk.NewCfnResource(s, jsii.String("Function"), &awscdk.CfnResourceProps{Type: jsii.String("AWS::Lambda::Function"), Properties: &map[string]any{"Role": "r", "Code": map[string]any{"ZipFile": "x"}}})
	}
	var got []string
	for _, f := range alarms.CheckCoverage(cfn.Synth(app).Stacks) {
		if f.Gap == alarms.GapAccountAlarm {
			got = append(got, f.String())
		}
	}
	want := []string{
		"region ap-southeast-2 runs functions but has no ClaimedAccountConcurrency alarm",
		"region eu-west-2 runs functions but has no ClaimedAccountConcurrency alarm",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("region findings (-want +got):\n%s", diff)
	}
}

func TestCoverageFailsOnAnUnalarmedQueueAndAnAlarmWithoutActions(t *testing.T) {
	app := cfn.NewApp(filepath.Join(t.TempDir(), "out"))
	s := awscdk.NewStack(app, jsii.String("brokerage-dev-eu-west-2-broken"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")}})
	awssqs.NewQueue(s, jsii.String("Unwatched"), &awssqs.QueueProps{QueueName: jsii.String("unwatched")})
	awscdk.NewCfnResource(s, jsii.String("HTTPStage"), &awscdk.CfnResourceProps{Type: jsii.String("AWS::ApiGatewayV2::Stage"), Properties: &map[string]any{"ApiId": "x", "StageName": "y"}})
	awscloudwatch.NewCfnAlarm(s, jsii.String("Silent"), &awscloudwatch.CfnAlarmProps{
		MetricName: jsii.String("Errors"), Namespace: jsii.String("AWS/Lambda"), Statistic: jsii.String("Sum"),
		Period: jsii.Number(60), EvaluationPeriods: jsii.Number(1), Threshold: jsii.Number(0), ComparisonOperator: jsii.String("GreaterThanThreshold"),
	})
	got := alarms.CheckCoverage(cfn.Synth(app).Stacks)
	var queue, stage, silent int
	for _, f := range got {
		switch {
		case f.Gap == alarms.GapMissingAlarm && f.Type == "AWS::SQS::Queue" && f.Kind == alarms.KindConsumerQueue:
			queue++
		case f.Gap == alarms.GapUnclassified && f.LogicalID == "HTTPStage" && f.Type == "AWS::ApiGatewayV2::Stage":
			stage++
		case f.Gap == alarms.GapNoActions && f.LogicalID == "Silent":
			silent++
		}
		if f.Stack != "brokerage-dev-eu-west-2-broken" || f.Region != "eu-west-2" || f.LogicalID == "" {
			t.Errorf("finding not placed on its stack, region and resource: %#v", f)
		}
	}
	if queue != 4 || stage != 1 || silent != 1 {
		t.Errorf("findings for the unwatched queue %d (want its 4 alarms), the unclassified stage %d (want 1), the silent alarm %d (want 1):\n%s", queue, stage, silent, lines(got))
	}
}

// An override names an alarm of the catalogue, and its M of N, merged
// with the catalogue's, is one CloudWatch takes (datapoints at most the
// periods evaluated).
func TestOverridesMustNameAnAlarmAndKeepAValidMOfN(t *testing.T) {
	err := alarms.CheckOverrides("alarms.overrides", map[string]alarms.Override{
		"consumer-queue/ApproximateAgeOfOldestMessage":         {DatapointsToAlarm: 2, EvaluationPeriods: 3},
		"consumer-queue/NoSuchMetric":                          {},
		"dead-letter-queue/ApproximateAgeOfOldestMessage":      {},                     // exempted: no such alarm
		"dead-letter-queue/ApproximateNumberOfMessagesVisible": {DatapointsToAlarm: 3}, // of the catalogue's 1 period
	})
	if err == nil {
		t.Fatal("want an error for the unknown overrides")
	}
	for _, want := range []string{`alarms.overrides["consumer-queue/NoSuchMetric"]`, `alarms.overrides["dead-letter-queue/ApproximateAgeOfOldestMessage"]`,
		`alarms.overrides["dead-letter-queue/ApproximateNumberOfMessagesVisible"].datapointsToAlarm: got 3`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"consumer-queue/ApproximateAgeOfOldestMessage"]:`) {
		t.Errorf("a valid key was rejected:\n%v", err)
	}
}

func alarmFor(t *testing.T, tmpl cfn.Template, target, metric string) cfn.Resource {
	t.Helper()
	for _, r := range tmpl.Resources("AWS::CloudWatch::Alarm") {
		md, _ := r.Raw["Metadata"].(map[string]any)
		path, _ := md["aws:cdk:path"].(string)
		if strings.Contains(path, "/"+target+"/") && strings.HasSuffix(path, "/Alarm"+metric+"/Resource") {
			return r
		}
	}
	t.Fatalf("no %s alarm under %s", metric, target)
	return cfn.Resource{}
}

func TestConfigOverridesSetThresholdAndDatapoints(t *testing.T) {
	a := alarmFor(t, dev.Stack("brokerage-dev-eu-west-2-regional").Template, "Fanout/holdings/Queue", "ApproximateAgeOfOldestMessage")
	got := []any{a.Props["Threshold"], a.Props["DatapointsToAlarm"], a.Props["EvaluationPeriods"], a.Props["TreatMissingData"]}
	if diff := cmp.Diff([]any{300.0, 3.0, 5.0, "notBreaching"}, got); diff != "" {
		t.Errorf("threshold, M, N, missing data (-want +got):\n%s", diff)
	}
	ingest := alarmFor(t, dev.Stack("brokerage-dev-ap-southeast-2-ingest").Template, "Fanout/Queue", "ApproximateAgeOfOldestMessage")
	if ingest.Props["Threshold"] != 60.0 {
		t.Errorf("ingest age threshold = %v, want the default 60", ingest.Props["Threshold"])
	}
}

func TestDLQAlarmFiresOnArrivalsEvenWhenDrained(t *testing.T) {
	a := alarmFor(t, dev.Stack("brokerage-dev-eu-west-2-regional").Template, "Fanout/holdings/DeadLetterQueue", "ApproximateNumberOfMessagesVisible")
	reads := map[string]string{} // query id -> the queue metric it reads
	var expr string
	for _, q := range a.Props["Metrics"].([]any) {
		m := q.(map[string]any)
		if ms, ok := m["MetricStat"].(map[string]any); ok {
			reads[m["Id"].(string)] = ms["Metric"].(map[string]any)["MetricName"].(string)
		} else if m["ReturnData"] == true {
			expr = m["Expression"].(string)
		}
	}
	want := map[string]string{"visible": "ApproximateNumberOfMessagesVisible", "sent": "NumberOfMessagesSent", "received": "NumberOfMessagesReceived"}
	if diff := cmp.Diff(want, reads); diff != "" {
		t.Errorf("metric queries (-want +got):\n%s", diff)
	}
	if expr != "FILL(visible,0)+FILL(sent,0)+FILL(received,0)" {
		t.Errorf("expression = %q", expr)
	}
	got := []any{a.Props["Threshold"], a.Props["ComparisonOperator"], a.Props["DatapointsToAlarm"], a.Props["EvaluationPeriods"]}
	if diff := cmp.Diff([]any{0.0, "GreaterThanThreshold", 1.0, 1.0}, got); diff != "" {
		t.Errorf("one arrival in one minute alarms (-want +got):\n%s", diff)
	}
}

func TestAlarmTopicIsEncryptedAndNotifiesTheConfiguredPeople(t *testing.T) {
	for _, stack := range []string{"brokerage-dev-ap-southeast-2-ingest", "brokerage-dev-eu-west-2-regional", "brokerage-dev-sa-east-1-regional"} {
		tmpl := dev.Stack(stack).Template
		topic, err := tmpl.ByPath("Alarms/Topic/Resource")
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		key, _ := tmpl.ByPath("Alarms/Key/Resource")
		if cfn.Ref(topic.Props["KmsMasterKeyId"]) != key.LogicalID {
			t.Errorf("%s: alarm topic not encrypted with its key", stack)
		}
		if !strings.Contains(js(key.Props["KeyPolicy"]), "cloudwatch.amazonaws.com") {
			t.Errorf("%s: CloudWatch may not use the alarm topic's key", stack)
		}
		var emails []string
		for _, s := range tmpl.Resources("AWS::SNS::Subscription") {
			if s.Props["Protocol"] == "email" && cfn.Ref(s.Props["TopicArn"]) == topic.LogicalID {
				emails = append(emails, s.Props["Endpoint"].(string))
			}
		}
		if diff := cmp.Diff(cfg.Alarms.Emails, emails); diff != "" {
			t.Errorf("%s: e-mail subscriptions (-want +got):\n%s", stack, diff)
		}
	}
	// The primary region's consumer stack reuses the ingest stack's topic.
	regional := dev.Stack("brokerage-dev-ap-southeast-2-regional").Template
	if n := len(regional.Resources("AWS::SNS::Topic")); n != 0 {
		t.Errorf("primary regional stack has %d topics, want 0 (one alarm topic per region)", n)
	}
	a := alarmFor(t, regional, "Fanout/holdings/Queue", "ApproximateNumberOfMessagesNotVisible")
	if diff := cmp.Diff([]any{"arn:aws:sns:ap-southeast-2:111111111111:brokerage-dev-alarms"}, a.Props["AlarmActions"]); diff != "" {
		t.Errorf("primary regional notify alarm actions (-want +got):\n%s", diff)
	}
	a = alarmFor(t, regional, "Fanout/holdings/Queue", "ApproximateAgeOfOldestMessage")
	if diff := cmp.Diff([]any{"arn:aws:sns:ap-southeast-2:111111111111:brokerage-dev-alarms-page"}, a.Props["AlarmActions"]); diff != "" {
		t.Errorf("primary regional page alarm actions (-want +got):\n%s", diff)
	}
}

func js(v any) string {
	b, _ := jsonMarshal(v)
	return string(b)
}

func TestCompositeAlarmPerRegionForExecutionsThatDoNotArrive(t *testing.T) {
	ingest := dev.Stack("brokerage-dev-ap-southeast-2-ingest").Template
	var got []string
	// The rule names its alarms by ARN: read each as the name of the alarm.
	byARN := regexp.MustCompile(`\$\{(\w+)\.Arn\}`)
	for _, r := range ingest.Resources("AWS::CloudWatch::CompositeAlarm") {
		rule := byARN.ReplaceAllStringFunc(cfn.Joined(r.Props["AlarmRule"]), func(ref string) string {
			a, err := ingest.Resource(byARN.FindStringSubmatch(ref)[1])
			if err != nil {
				t.Fatal(err)
			}
			return a.Props["AlarmName"].(string)
		})
		got = append(got, r.Props["AlarmName"].(string)+": "+rule)
		if len(r.Props["AlarmActions"].([]any)) == 0 || len(r.Props["OKActions"].([]any)) == 0 {
			t.Errorf("composite %s has no actions", r.LogicalID)
		}
	}
	var want []string
	for _, region := range cfg.RegionNames() {
		want = append(want, "brokerage-dev-fanout-not-reaching-"+region+`: (ALARM("brokerage-dev-delivery-dlq-`+region+`-ApproximateNumberOfMessagesVisible") OR ALARM("brokerage-dev-fanout-topic-NumberOfNotificationsFailedToRedriveToDlq"))`)
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("composite alarms (-want +got):\n%s", diff)
	}
}

func TestDashboardPerRegionAndAGlobalOverview(t *testing.T) {
	var got []string
	for _, s := range dev.Stacks {
		for _, d := range s.Template.Resources("AWS::CloudWatch::Dashboard") {
			got = append(got, d.Props["DashboardName"].(string))
		}
	}
	want := []string{cfg.Prefix() + "-overview"}
	for _, r := range cfg.RegionNames() {
		want = append(want, cfg.Prefix()+"-"+r)
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dashboards (-want +got):\n%s", diff)
	}
	overview, _ := dev.Stack("brokerage-dev-us-east-1-edge").Template.ByPath("Overview/Resource")
	body := cfn.Joined(overview.Props["DashboardBody"])
	for _, region := range cfg.RegionNames() {
		if !strings.Contains(body, `"region":"`+region+`"`) {
			t.Errorf("overview has no metric from %s", region)
		}
	}
	// The overview names the primary region's composite alarms by ARN: they
	// must be the alarms the ingest stack creates.
	for _, a := range dev.Stack("brokerage-dev-ap-southeast-2-ingest").Template.Resources("AWS::CloudWatch::CompositeAlarm") {
		arn := alarms.AlarmARN(cfg.PrimaryRegion, cfg.Account, a.Props["AlarmName"].(string))
		if !strings.Contains(body, arn) {
			t.Errorf("overview does not show composite alarm %s", arn)
		}
	}
	for _, want := range []string{"Fan-out flow to holdings", "API public: 5xx share per region", "API public: latency p99", "Site: 5xx error rate"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview has no widget %q", want)
		}
	}
}

func TestRedistributorPublishFailuresAlarmReadsTheMetricsTheFunctionEmits(t *testing.T) {
	tmpl := dev.Stack("brokerage-dev-ap-southeast-2-ingest").Template
	a := alarmFor(t, tmpl, "Fanout/Redistributor", "PublishFailures")
	fn, err := tmpl.ByPath("Fanout/Redistributor/Resource")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)
	got := []any{a.Props["Namespace"], a.Props["Statistic"], a.Props["Threshold"], a.Props["ComparisonOperator"], a.Props["DatapointsToAlarm"], a.Props["EvaluationPeriods"], a.Props["TreatMissingData"]}
	want := []any{env["METRICS_NAMESPACE"], "Sum", 0.0, "GreaterThanThreshold", 2.0, 5.0, "notBreaching"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespace (the function's METRICS_NAMESPACE), statistic, threshold, M of N, missing data (-want +got):\n%s", diff)
	}
	dims, _ := a.Props["Dimensions"].([]any)
	if len(dims) != 1 || js(dims[0]) != js(map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": fn.LogicalID}}) {
		t.Errorf("dimensions = %s, want FunctionName of the redistributor", js(dims))
	}
	if a.Props["AlarmActions"] == nil || a.Props["OKActions"] == nil {
		t.Error("the alarm notifies nobody")
	}
}

// metricAlarms lists the stack's alarms as "<namespace> <metric>" with their threshold.
func metricAlarms(a *cfn.Assembly, stack string) map[string][]float64 {
	out := map[string][]float64{}
	for _, r := range a.Stack(stack).Template.Resources("AWS::CloudWatch::Alarm") {
		if ns, ok := r.Props["Namespace"].(string); ok {
			key := ns + " " + r.Props["MetricName"].(string)
			out[key] = append(out[key], r.Props["Threshold"].(float64))
		}
	}
	return out
}

// A deep link into the single-page app is a missing key, which S3 answers
// with 403 through OAC: the site is watched by what viewers get
// (CloudFront's 4xxErrorRate), not by the bucket's 4xx.
func TestSiteAlarmsOnViewer4xxNotOnTheBucket(t *testing.T) {
	got := metricAlarms(dev, "brokerage-dev-us-east-1-edge")
	if _, ok := got["AWS/S3 4xxErrors"]; ok {
		t.Error("the site bucket still has a 4xxErrors alarm, which every SPA deep link raises")
	}
	if diff := cmp.Diff([]float64{5}, got["AWS/CloudFront 4xxErrorRate"]); diff != "" {
		t.Errorf("CloudFront 4xxErrorRate alarms (threshold in percent) (-want +got):\n%s", diff)
	}
}

// The in-flight alarm fires at 80% of SQS's in-flight quota (120,000).
func TestInFlightAlarmsAtEightyPercentOfTheQuota(t *testing.T) {
	got := metricAlarms(dev, cfg.Prefix()+"-eu-west-2-regional")["AWS/SQS ApproximateNumberOfMessagesNotVisible"]
	want := make([]float64, len(cfg.Fanout.Consumers))
	for i := range want {
		want[i] = 96000
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("in-flight alarm thresholds of the consumer queues (-want +got):\n%s", diff)
	}
}

// Every API Gateway alarm reads a stage its stack deploys: the API's name
// and the stage's name, so that none watches a stage without traffic.
func TestAPIAlarmsReadTheDeployedStages(t *testing.T) {
	checked := 0
	for _, a := range []*cfn.Assembly{dev, five} {
		for _, s := range a.Stacks {
			name, tmpl := s.Name, s.Template
			deployed := map[string]bool{}
			for _, st := range tmpl.Resources("AWS::ApiGateway::Stage") {
				restAPI, err := tmpl.Resource(cfn.Ref(st.Props["RestApiId"]))
				if err != nil {
					t.Fatal(err)
				}
				deployed[restAPI.Props["Name"].(string)+" "+st.Props["StageName"].(string)] = true
			}
			for _, r := range tmpl.Resources("AWS::CloudWatch::Alarm") {
				if r.Props["Namespace"] != "AWS/ApiGateway" {
					continue
				}
				dims := map[string]any{}
				for _, d := range r.Props["Dimensions"].([]any) {
					dims[d.(map[string]any)["Name"].(string)] = d.(map[string]any)["Value"]
				}
				if key := fmt.Sprint(dims["ApiName"], " ", dims["Stage"]); !deployed[key] {
					t.Errorf("%s: alarm %s reads API and stage %s, which the stack does not deploy", name, r.Props["AlarmName"], key)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Error("no API Gateway alarm to check")
	}
}
