package stacks

import (
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/alarms/alarmstest"
	"github.com/brokerage/platform/constructs/api"
	"github.com/brokerage/platform/constructs/fanout"
	"github.com/brokerage/platform/constructs/site"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/google/go-cmp/cmp"
)

// evaluated is the metric alarm r evaluates, as namespace, name, dimensions
// (sorted by name), statistic and period; for a dead-letter queue's arrival
// alarm, its query of the queue's visible messages.
func evaluated(r cfn.Resource) map[string]any {
	m, stat, period := r.Props, r.Props["Statistic"], r.Props["Period"]
	if stat == nil {
		stat = r.Props["ExtendedStatistic"]
	}
	queries, _ := r.Props["Metrics"].([]any)
	for _, q := range queries {
		if q := q.(map[string]any); q["Id"] == "visible" {
			ms := q["MetricStat"].(map[string]any)
			m, stat, period = ms["Metric"].(map[string]any), ms["Stat"], ms["Period"]
		}
	}
	dims, _ := m["Dimensions"].([]any)
	sorted := append([]any(nil), dims...)
	sort.Slice(sorted, func(i, j int) bool {
		return sorted[i].(map[string]any)["Name"].(string) < sorted[j].(map[string]any)["Name"].(string)
	})
	return map[string]any{"Namespace": m["Namespace"], "MetricName": m["MetricName"], "Dimensions": sorted, "Statistic": stat, "Period": period}
}

// probe is a construct's Metric* method's metric and the name of the alarm
// the stacks create on the same metric.
type probe struct {
	method string
	metric awscloudwatch.IMetric
	alarm  string
}

// addProbes puts an alarm on each probe's metric in s, named after the
// alarm it must agree with: CDK renders the metric as any alarm's. They
// notify al's topic, as the guard wants of every alarm.
func addProbes(s awscdk.Stack, al *alarms.Alarms, probes []probe) {
	for i, p := range probes {
		probe := awscloudwatch.NewAlarm(s, jsii.String(fmt.Sprint("Probe", i)), &awscloudwatch.AlarmProps{
			Metric: p.metric, Threshold: jsii.Number(0), EvaluationPeriods: jsii.Number(1), AlarmName: jsii.String("probe-" + p.alarm),
		})
		probe.AddAlarmAction(awscloudwatchactions.NewSnsAction(al.Topic))
		probe.AddOkAction(awscloudwatchactions.NewSnsAction(al.Topic))
	}
}

// byName finds the alarms of tmpl by their names.
func byName(tmpl cfn.Template) map[string]cfn.Resource {
	out := map[string]cfn.Resource{}
	for _, r := range tmpl.Resources("AWS::CloudWatch::Alarm") {
		out[r.Props["AlarmName"].(string)] = r
	}
	return out
}

// The constructs' Metric* methods return what the alarms the stacks create
// on the same metric evaluate: namespace, name, dimensions, statistic and
// period.
func TestMetricMethodsAgreeWithTheAlarms(t *testing.T) {
	dir := t.TempDir()
	code := awslambda.Code_FromAsset(jsii.String(cfntest.StandInCode(dir)), nil)
	c := config.Default()
	app := cfn.NewApp(dir + "/out")
	newStack := func(region string) (awscdk.Stack, *alarms.Alarms) {
		s := awscdk.NewStack(app, jsii.String(region), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)}})
		return s, alarmstest.New(s, "t")
	}
	probes := map[string][]probe{}

	s, al := newStack(c.PrimaryRegion)
	in := fanout.NewIngest(s, "Fanout", &fanout.IngestProps{Prefix: "t", BrokerAccounts: []string{"222222222222"}, TrustBrokerAccounts: true, FIFO: true, DestinationRegions: []string{"eu-west-2"}, RedistributorCode: code, Alarms: al})
	probes[c.PrimaryRegion] = []probe{
		{"Ingest.MetricAgeOfOldestMessage", in.MetricAgeOfOldestMessage(nil), "t-ingest-ApproximateAgeOfOldestMessage"},
		{"Ingest.MetricMessagesReceived", in.MetricMessagesReceived(nil), "t-ingest-NumberOfMessagesSent"},
		{"Ingest.MetricDLQVisibleMessages", in.MetricDLQVisibleMessages(nil), "t-ingest-dlq-ApproximateNumberOfMessagesVisible"},
		{"Ingest.MetricPublishFailures", in.MetricPublishFailures(nil), "t-redistributor-PublishFailures"},
		{"Ingest.MetricDeliveryFailures", in.MetricDeliveryFailures(nil), "t-fanout-topic-NumberOfNotificationsFailed"},
	}
	addProbes(s, al, probes[c.PrimaryRegion])

	s, al = newStack("eu-west-2")
	regional := in.RegionalProps()
	regional.Alarms = al
	cons := fanout.NewRegional(s, "Fanout", regional).AddConsumer(&fanout.ConsumerProps{Name: "holdings", TimeoutSeconds: 60})
	gw := api.New(s, "Api", &api.Props{Name: "t-public", Label: "public", Alarms: al, StageName: "v2", RateLimit: 10, BurstLimit: 20,
		Services: []api.Service{{Name: "orders", BasePath: "orders", Backend: api.Backend{Type: api.BackendHTTP, URL: "https://orders.example.com"}}}})
	probes["eu-west-2"] = []probe{
		{"Consumer.MetricAgeOfOldestMessage", cons.MetricAgeOfOldestMessage(nil), "t-holdings-ApproximateAgeOfOldestMessage"},
		{"Consumer.MetricVisibleMessages", cons.MetricVisibleMessages(nil), "t-holdings-ApproximateNumberOfMessagesVisible"},
		{"Consumer.MetricDLQVisibleMessages", cons.MetricDLQVisibleMessages(nil), "t-holdings-dlq-ApproximateNumberOfMessagesVisible"},
		{"Gateway.Metric4XX", gw.Metric4XX(nil), "t-api-public-4XXError"},
		{"Gateway.Metric5XX", gw.Metric5XX(nil), "t-api-public-5XXError"},
		{"Gateway.MetricCount", gw.MetricCount(nil), "t-api-public-Count"},
	}
	addProbes(s, al, probes["eu-west-2"])

	s, al = newStack("us-east-1")
	props := SiteProps(c)
	props.ContentDir = "../web" // tests run in stacks/
	props.Alarms = al
	st := site.New(s, "Site", props)
	probes["us-east-1"] = []probe{
		{"StaticSite.MetricErrorRate5xx", st.MetricErrorRate5xx(nil), "t-site-5xxErrorRate"},
		{"StaticSite.MetricOriginLatency", st.MetricOriginLatency(nil), "t-site-OriginLatency"},
	}
	addProbes(s, al, probes["us-east-1"])

	asm := cfn.Synth(app)
	for region, ps := range probes {
		alarmsOf := byName(asm.Stack(region).Template)
		for _, p := range ps {
			want, ok := alarmsOf[p.alarm]
			if !ok {
				t.Errorf("%s: no alarm %s", p.method, p.alarm)
				continue
			}
			if diff := cmp.Diff(evaluated(want), evaluated(alarmsOf["probe-"+p.alarm])); diff != "" {
				t.Errorf("%s does not read what alarm %s evaluates (-alarm +method):\n%s", p.method, p.alarm, diff)
			}
		}
	}
}
