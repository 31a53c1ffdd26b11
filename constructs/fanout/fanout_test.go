package fanout

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/problems"
	"github.com/google/go-cmp/cmp"
)

// One app for the package: a FIFO path from ap-southeast-2 to eu-west-2 and
// the opt-in ap-southeast-4, a FIFO path from the opt-in me-central-1, and a
// standard path.
var asm *cfn.Assembly

const account = "111111111111"

func TestMain(m *testing.M) {
	tmp, _ := os.MkdirTemp("", "fanout-test")
	code := filepath.Join(tmp, "code")
	os.MkdirAll(code, 0o755)
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte("stand-in"), 0o755)
	asset := func() awslambda.Code { return awslambda.Code_FromAsset(jsii.String(code), nil) }

	app := cfn.NewApp(filepath.Join(tmp, "out"))
	stack := func(name, region string) awscdk.Stack {
		return awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}})
	}
	NewIngest(stack("ingest", "ap-southeast-2"), "Fanout", &IngestProps{
		Prefix: "t-prod", BrokerAccounts: []string{"222222222222", "333333333333"}, FIFO: true, MaxReceiveCount: 7,
		DestinationRegions: []string{"eu-west-2", "ap-southeast-4"}, RedistributorCode: asset(),
	})
	uk := NewRegional(stack("uk", "eu-west-2"), "Fanout", &RegionalProps{Prefix: "t-prod", TopicRegion: "ap-southeast-2", FIFO: true})
	uk.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 60, MaxReceiveCount: 3})
	uk.AddConsumer(&ConsumerProps{Name: "emails", TimeoutSeconds: 20, Handler: asset()})
	mel := NewRegional(stack("melbourne", "ap-southeast-4"), "Fanout", &RegionalProps{Prefix: "t-prod", TopicRegion: "ap-southeast-2", FIFO: true})
	mel.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 60})
	uae := NewRegional(stack("from-uae", "eu-west-1"), "Fanout", &RegionalProps{Prefix: "t-prod", TopicRegion: "me-central-1", FIFO: true})
	uae.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 60})

	NewIngest(stack("std-ingest", "us-east-2"), "Fanout", &IngestProps{
		Prefix: "t-dev", BrokerAccounts: []string{"222222222222"}, DestinationRegions: []string{"us-east-2"},
		RedistributorCode: asset(), RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	std := NewRegional(stack("std-regional", "us-east-2"), "Fanout", &RegionalProps{Prefix: "t-dev", TopicRegion: "us-east-2", RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	std.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 10})

	asm = cfn.Synth(app)
	rc := m.Run()
	os.RemoveAll(tmp)
	os.Exit(rc)
}

func get(t *testing.T, stack, path string) cfn.Resource {
	t.Helper()
	r, err := asm.Templates[stack].ByPath(path)
	if err != nil {
		t.Fatalf("%s: %v", stack, err)
	}
	return r
}

func check(t *testing.T, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestIngestQueueIsFIFOEncryptedWithItsKeyAndRedrivesToItsDLQ(t *testing.T) {
	q := get(t, "ingest", "Fanout/Queue/Resource")
	key := get(t, "ingest", "Fanout/Key/Resource")
	dlq := get(t, "ingest", "Fanout/DeadLetterQueue/Resource")
	check(t, "FifoQueue", true, q.Props["FifoQueue"])
	check(t, "QueueName", "t-prod-trade-executions-ingest.fifo", q.Props["QueueName"])
	check(t, "key", key.LogicalID, cfn.Ref(q.Props["KmsMasterKeyId"]))
	redrive := q.Props["RedrivePolicy"].(map[string]any)
	check(t, "dead-letter target", dlq.LogicalID, cfn.Ref(redrive["deadLetterTargetArn"]))
	check(t, "maxReceiveCount", 7.0, redrive["maxReceiveCount"])
	check(t, "visibility timeout (6 x the redistributor's 30 s)", 180.0, q.Props["VisibilityTimeout"])
	check(t, "DLQ retention", 1209600.0, dlq.Props["MessageRetentionPeriod"])
	check(t, "DLQ key", key.LogicalID, cfn.Ref(dlq.Props["KmsMasterKeyId"]))
	check(t, "per-group de-duplication", "messageGroup", q.Props["DeduplicationScope"])
}

func TestIngestQueueAcceptsOnlyTheBrokersAndOnlyOverTLS(t *testing.T) {
	pol := get(t, "ingest", "Fanout/Queue/Policy/Resource")
	var allows []string
	tlsDenied := false
	for _, s := range cfn.Statements(pol.Props["PolicyDocument"]) {
		if s["Effect"] == "Deny" && strings.Contains(js(s["Condition"]), `"aws:SecureTransport":"false"`) {
			tlsDenied = true
			continue
		}
		allows = append(allows, js(s["Principal"])+" "+js(s["Action"]))
	}
	if !tlsDenied {
		t.Error("ingest queue policy does not deny non-TLS requests")
	}
	if len(allows) != 1 || !strings.Contains(allows[0], "222222222222") || !strings.Contains(allows[0], "333333333333") || !strings.Contains(allows[0], "sqs:SendMessage") {
		t.Errorf("allow statements = %v, want one letting exactly the broker accounts send", allows)
	}
	key := get(t, "ingest", "Fanout/Key/Resource")
	var brokerKMS []map[string]any
	for _, s := range cfn.Statements(key.Props["KeyPolicy"]) {
		if strings.Contains(js(s["Principal"]), "222222222222") {
			brokerKMS = append(brokerKMS, s)
		}
	}
	if len(brokerKMS) != 1 {
		t.Fatalf("key policy has %d statements for the broker, want 1", len(brokerKMS))
	}
	check(t, "broker key use is through SQS only", `{"StringEquals":{"kms:ViaService":"sqs.ap-southeast-2.amazonaws.com"}}`, js(brokerKMS[0]["Condition"]))
}

func TestTopicIsFIFOEncryptedAndNamedDeterministically(t *testing.T) {
	topic := get(t, "ingest", "Fanout/Topic/Resource")
	check(t, "TopicName", "t-prod-trade-executions.fifo", topic.Props["TopicName"])
	check(t, "FifoTopic", true, topic.Props["FifoTopic"])
	check(t, "key", get(t, "ingest", "Fanout/TopicKey/Resource").LogicalID, cfn.Ref(topic.Props["KmsMasterKeyId"]))
	check(t, "default retention", "Retain", topic.Raw["DeletionPolicy"])
}

func TestRedistributorReportsPartialBatchFailuresAndMayPublish(t *testing.T) {
	esm := asm.Templates["ingest"].Resources("AWS::Lambda::EventSourceMapping")
	if len(esm) != 1 {
		t.Fatalf("%d event source mappings, want 1", len(esm))
	}
	check(t, "FunctionResponseTypes", []any{"ReportBatchItemFailures"}, esm[0].Props["FunctionResponseTypes"])
	check(t, "event source", get(t, "ingest", "Fanout/Queue/Resource").LogicalID, cfn.Ref(esm[0].Props["EventSourceArn"]))
	role := get(t, "ingest", "Fanout/RedistributorRole/Resource")
	if role.Props["ManagedPolicyArns"] != nil {
		t.Errorf("redistributor role has managed policies %v, want only its inline grants", role.Props["ManagedPolicyArns"])
	}
	pol := get(t, "ingest", "Fanout/RedistributorRole/DefaultPolicy/Resource")
	topic := get(t, "ingest", "Fanout/Topic/Resource")
	published := false
	for _, s := range cfn.Statements(pol.Props["PolicyDocument"]) {
		if js(s["Action"]) == `"sns:Publish"` && cfn.Ref(s["Resource"]) == topic.LogicalID {
			published = true
		}
	}
	if !published {
		t.Error("the redistributor may not publish to the topic")
	}
	fn := get(t, "ingest", "Fanout/Redistributor/Resource")
	check(t, "TOPIC_ARN", topic.LogicalID, cfn.Ref(fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)["TOPIC_ARN"]))
}

func TestDeliveryDLQPerRegionInThePrimaryRegionWritableBySNSForTheTopicOnly(t *testing.T) {
	for _, region := range []string{"eu-west-2", "ap-southeast-4"} {
		dlq := get(t, "ingest", "Fanout/DeliveryDLQ-"+region+"/Resource")
		check(t, "name", "t-prod-fanout-"+region+"-dlq.fifo", dlq.Props["QueueName"])
		check(t, "retention", 1209600.0, dlq.Props["MessageRetentionPeriod"])
		pol := get(t, "ingest", "Fanout/DeliveryDLQ-"+region+"/Policy/Resource")
		assertSNSAllowed(t, pol.Props["PolicyDocument"], []string{"sns.amazonaws.com"}, "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo")
	}
}

func assertSNSAllowed(t *testing.T, doc any, principals []string, topicARN string) {
	t.Helper()
	for _, s := range cfn.Statements(doc) {
		if s["Sid"] == "AllowFanoutTopic" || s["Sid"] == "AllowFanoutTopicDelivery" {
			p := s["Principal"].(map[string]any)
			check(t, "SNS principals", principals, cfn.Strings(p["Service"]))
			check(t, "source ARN condition", map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicARN}}, s["Condition"])
			return
		}
	}
	t.Errorf("no statement lets SNS in: %s", js(doc))
}

func TestConsumerQueuesPerRegion(t *testing.T) {
	key := get(t, "uk", "Fanout/Key/Resource")
	for _, tc := range []struct {
		name       string
		visibility float64
		maxReceive float64
	}{{"holdings", 360, 3}, {"emails", 120, 5}} {
		q := get(t, "uk", "Fanout/"+tc.name+"/Queue/Resource")
		dlq := get(t, "uk", "Fanout/"+tc.name+"/DeadLetterQueue/Resource")
		check(t, tc.name+" name", "t-prod-"+tc.name+".fifo", q.Props["QueueName"])
		check(t, tc.name+" visibility = 6 x timeout", tc.visibility, q.Props["VisibilityTimeout"])
		redrive := q.Props["RedrivePolicy"].(map[string]any)
		check(t, tc.name+" DLQ", dlq.LogicalID, cfn.Ref(redrive["deadLetterTargetArn"]))
		check(t, tc.name+" maxReceiveCount", tc.maxReceive, redrive["maxReceiveCount"])
		check(t, tc.name+" key", key.LogicalID, cfn.Ref(q.Props["KmsMasterKeyId"]))
		check(t, tc.name+" DLQ key", key.LogicalID, cfn.Ref(dlq.Props["KmsMasterKeyId"]))
		check(t, tc.name+" DLQ retention", 1209600.0, dlq.Props["MessageRetentionPeriod"])
		check(t, tc.name+" DLQ is FIFO", true, dlq.Props["FifoQueue"])
		pol := get(t, "uk", "Fanout/"+tc.name+"/Queue/Policy/Resource")
		assertSNSAllowed(t, pol.Props["PolicyDocument"], []string{"sns.amazonaws.com"}, "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo")
		if !strings.Contains(js(pol.Props["PolicyDocument"]), `"aws:SecureTransport":"false"`) {
			t.Errorf("%s queue is not TLS-only", tc.name)
		}
	}
	assertSNSAllowed(t, key.Props["KeyPolicy"], []string{"sns.amazonaws.com"}, "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo")
}

func TestSubscriptionIsCrossRegionRawAndRedrivesToTheRegionsDeliveryDLQ(t *testing.T) {
	sub := get(t, "uk", "Fanout/holdings/Subscription")
	check(t, "subscription", map[string]any{
		"Protocol":           "sqs",
		"TopicArn":           "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo",
		"Endpoint":           map[string]any{"Fn::GetAtt": []any{get(t, "uk", "Fanout/holdings/Queue/Resource").LogicalID, "Arn"}},
		"Region":             "ap-southeast-2",
		"RawMessageDelivery": true,
		"RedrivePolicy":      map[string]any{"deadLetterTargetArn": "arn:aws:sqs:ap-southeast-2:111111111111:t-prod-fanout-eu-west-2-dlq.fifo"},
	}, sub.Props)
	check(t, "waits for the queue policy", []any{get(t, "uk", "Fanout/holdings/Queue/Policy/Resource").LogicalID}, sub.Raw["DependsOn"])
	// The names the regional stack refers to are the names the ingest stack creates.
	check(t, "delivery DLQ exists under that name", "t-prod-fanout-eu-west-2-dlq.fifo", get(t, "ingest", "Fanout/DeliveryDLQ-eu-west-2/Resource").Props["QueueName"])
}

func TestOptInRegionsGetTheRegionalSNSPrincipal(t *testing.T) {
	melTopic := "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo"
	pol := get(t, "melbourne", "Fanout/holdings/Queue/Policy/Resource")
	assertSNSAllowed(t, pol.Props["PolicyDocument"], []string{"sns.amazonaws.com", "sns.ap-southeast-4.amazonaws.com"}, melTopic)
	assertSNSAllowed(t, get(t, "melbourne", "Fanout/Key/Resource").Props["KeyPolicy"], []string{"sns.amazonaws.com", "sns.ap-southeast-4.amazonaws.com"}, melTopic)

	uaeTopic := "arn:aws:sns:me-central-1:111111111111:t-prod-trade-executions.fifo"
	pol = get(t, "from-uae", "Fanout/holdings/Queue/Policy/Resource")
	assertSNSAllowed(t, pol.Props["PolicyDocument"], []string{"sns.amazonaws.com", "sns.me-central-1.amazonaws.com"}, uaeTopic)
}

func TestConsumerHandlerReportsPartialBatchFailures(t *testing.T) {
	esm := asm.Templates["uk"].Resources("AWS::Lambda::EventSourceMapping")
	if len(esm) != 1 {
		t.Fatalf("%d event source mappings, want 1 (emails has a handler, holdings not)", len(esm))
	}
	check(t, "source", get(t, "uk", "Fanout/emails/Queue/Resource").LogicalID, cfn.Ref(esm[0].Props["EventSourceArn"]))
	check(t, "FunctionResponseTypes", []any{"ReportBatchItemFailures"}, esm[0].Props["FunctionResponseTypes"])
	check(t, "handler timeout", 20.0, get(t, "uk", "Fanout/emails/Handler/Resource").Props["Timeout"])
}

func TestStandardPathHasNoFIFONamesAndHonoursRemovalPolicy(t *testing.T) {
	q := get(t, "std-regional", "Fanout/holdings/Queue/Resource")
	check(t, "name", "t-dev-holdings", q.Props["QueueName"])
	check(t, "FifoQueue", nil, q.Props["FifoQueue"])
	check(t, "DeletionPolicy", "Delete", q.Raw["DeletionPolicy"])
	topic := get(t, "std-ingest", "Fanout/Topic/Resource")
	check(t, "topic name", "t-dev-trade-executions", topic.Props["TopicName"])
	check(t, "FifoTopic", nil, topic.Props["FifoTopic"])
	check(t, "subscription topic", "arn:aws:sns:us-east-2:111111111111:t-dev-trade-executions", get(t, "std-regional", "Fanout/holdings/Subscription").Props["TopicArn"])
}

func TestEveryQueueHasADLQOrIsOne(t *testing.T) {
	for name, tmpl := range asm.Templates {
		targets := map[string]bool{}
		queues := tmpl.Resources("AWS::SQS::Queue")
		for _, q := range queues {
			if rp, ok := q.Props["RedrivePolicy"].(map[string]any); ok {
				targets[cfn.Ref(rp["deadLetterTargetArn"])] = true
			}
		}
		for _, q := range queues {
			isDLQ := targets[q.LogicalID] || strings.HasSuffix(strings.TrimSuffix(q.Props["QueueName"].(string), ".fifo"), "-dlq")
			if q.Props["RedrivePolicy"] == nil && !isDLQ {
				t.Errorf("%s %s has no dead-letter queue and is none", name, q.LogicalID)
			}
		}
	}
}

func TestSNSPrincipals(t *testing.T) {
	check(t, "default regions", []string{"sns.amazonaws.com"}, SNSPrincipals("ap-southeast-2", "eu-west-2"))
	check(t, "opt-in topic", []string{"sns.amazonaws.com", "sns.me-central-1.amazonaws.com"}, SNSPrincipals("me-central-1", "eu-west-2"))
	check(t, "opt-in queue", []string{"sns.amazonaws.com", "sns.ap-southeast-4.amazonaws.com"}, SNSPrincipals("eu-west-2", "ap-southeast-4"))
	check(t, "same opt-in region", []string{"sns.amazonaws.com", "sns.il-central-1.amazonaws.com"}, SNSPrincipals("il-central-1", "il-central-1"))
	check(t, "both opt-in", []string{"sns.amazonaws.com", "sns.af-south-1.amazonaws.com", "sns.me-south-1.amazonaws.com"}, SNSPrincipals("af-south-1", "me-south-1"))
}

func problemFields(t *testing.T, f func()) (fields []string) {
	t.Helper()
	defer func() {
		r := recover()
		var perr *problems.Error
		if e, ok := r.(error); !ok || !errors.As(e, &perr) {
			t.Fatalf("recovered %v, want a *problems.Error panic", r)
		}
		fields = perr.Fields()
	}()
	f()
	return nil
}

func TestInvalidPropsAreAllReported(t *testing.T) {
	// Validation runs before anything is constructed, so no scope is needed.
	got := problemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{BrokerAccounts: []string{"12"}, MaxReceiveCount: 2000, DestinationRegions: []string{"eu-west-9"}})
	})
	check(t, "ingest problems", []string{"Prefix", "BrokerAccounts[0]", "MaxReceiveCount", "DestinationRegions[0]", "RedistributorCode"}, got)
	got = problemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{Prefix: "p", RedistributorCode: awslambda.Code_FromInline(jsii.String("x"))})
	})
	check(t, "empty lists", []string{"BrokerAccounts", "DestinationRegions"}, got)
	got = problemFields(t, func() { NewRegional(nil, "x", &RegionalProps{TopicRegion: "nowhere"}) })
	check(t, "regional problems", []string{"Prefix", "TopicRegion"}, got)

	r := &Regional{Consumers: []*Consumer{{Name: "holdings"}}}
	got = problemFields(t, func() { r.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 0, MaxReceiveCount: 1001}) })
	check(t, "consumer problems", []string{"Name", "TimeoutSeconds", "MaxReceiveCount"}, got)
	got = problemFields(t, func() { r.AddConsumer(&ConsumerProps{Name: "Bad_Name", TimeoutSeconds: 10}) })
	check(t, "consumer name", []string{"Name"}, got)
}
