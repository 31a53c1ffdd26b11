package fanout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
)

// One app for the package: a FIFO path from ap-southeast-2 to eu-west-2 and
// the opt-in ap-southeast-4, a FIFO path from the opt-in me-central-1, and a
// standard path.
var asm *cfn.Assembly

const account = "111111111111"

func TestMain(m *testing.M) {
	tmp, _ := os.MkdirTemp("", "fanout-test")
	code := cfntest.StandInCode(tmp)
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

func TestIngestQueueIsFIFOEncryptedWithItsKeyAndRedrivesToItsDLQ(t *testing.T) {
	q := cfntest.Get(t, asm, "ingest", "Fanout/Queue/Resource")
	key := cfntest.Get(t, asm, "ingest", "Fanout/Key/Resource")
	dlq := cfntest.Get(t, asm, "ingest", "Fanout/DeadLetterQueue/Resource")
	cfntest.Check(t, "FifoQueue", true, q.Props["FifoQueue"])
	cfntest.Check(t, "QueueName", "t-prod-trade-executions-ingest.fifo", q.Props["QueueName"])
	cfntest.Check(t, "key", key.LogicalID, cfn.Ref(q.Props["KmsMasterKeyId"]))
	redrive := q.Props["RedrivePolicy"].(map[string]any)
	cfntest.Check(t, "dead-letter target", dlq.LogicalID, cfn.Ref(redrive["deadLetterTargetArn"]))
	cfntest.Check(t, "maxReceiveCount", 7.0, redrive["maxReceiveCount"])
	cfntest.Check(t, "visibility timeout (6 x the redistributor's 30 s)", 180.0, q.Props["VisibilityTimeout"])
	cfntest.Check(t, "DLQ retention", 1209600.0, dlq.Props["MessageRetentionPeriod"])
	cfntest.Check(t, "DLQ key", key.LogicalID, cfn.Ref(dlq.Props["KmsMasterKeyId"]))
	cfntest.Check(t, "per-group de-duplication", "messageGroup", q.Props["DeduplicationScope"])
}

func TestIngestQueueAcceptsOnlyTheBrokersAndOnlyOverTLS(t *testing.T) {
	pol := cfntest.Get(t, asm, "ingest", "Fanout/Queue/Policy/Resource")
	var allows []string
	tlsDenied := false
	for _, s := range cfn.Statements(pol.Props["PolicyDocument"]) {
		if s["Effect"] == "Deny" && strings.Contains(cfntest.JSON(s["Condition"]), `"aws:SecureTransport":"false"`) {
			tlsDenied = true
			continue
		}
		allows = append(allows, cfntest.JSON(s["Principal"])+" "+cfntest.JSON(s["Action"]))
	}
	if !tlsDenied {
		t.Error("ingest queue policy does not deny non-TLS requests")
	}
	if len(allows) != 1 || !strings.Contains(allows[0], "222222222222") || !strings.Contains(allows[0], "333333333333") || !strings.Contains(allows[0], "sqs:SendMessage") {
		t.Errorf("allow statements = %v, want one letting exactly the broker accounts send", allows)
	}
	key := cfntest.Get(t, asm, "ingest", "Fanout/Key/Resource")
	var brokerKMS []map[string]any
	for _, s := range cfn.Statements(key.Props["KeyPolicy"]) {
		if strings.Contains(cfntest.JSON(s["Principal"]), "222222222222") {
			brokerKMS = append(brokerKMS, s)
		}
	}
	if len(brokerKMS) != 1 {
		t.Fatalf("key policy has %d statements for the broker, want 1", len(brokerKMS))
	}
	cfntest.Check(t, "broker key use is through SQS only", `{"StringEquals":{"kms:ViaService":"sqs.ap-southeast-2.amazonaws.com"}}`, cfntest.JSON(brokerKMS[0]["Condition"]))
}

func TestTopicIsFIFOEncryptedAndNamedDeterministically(t *testing.T) {
	topic := cfntest.Get(t, asm, "ingest", "Fanout/Topic/Resource")
	cfntest.Check(t, "TopicName", "t-prod-trade-executions.fifo", topic.Props["TopicName"])
	cfntest.Check(t, "FifoTopic", true, topic.Props["FifoTopic"])
	cfntest.Check(t, "key", cfntest.Get(t, asm, "ingest", "Fanout/TopicKey/Resource").LogicalID, cfn.Ref(topic.Props["KmsMasterKeyId"]))
	cfntest.Check(t, "default retention", "Retain", topic.Raw["DeletionPolicy"])
}

func TestRedistributorReportsPartialBatchFailuresAndMayPublish(t *testing.T) {
	esm := asm.Templates["ingest"].Resources("AWS::Lambda::EventSourceMapping")
	if len(esm) != 1 {
		t.Fatalf("%d event source mappings, want 1", len(esm))
	}
	cfntest.Check(t, "FunctionResponseTypes", []any{"ReportBatchItemFailures"}, esm[0].Props["FunctionResponseTypes"])
	cfntest.Check(t, "event source", cfntest.Get(t, asm, "ingest", "Fanout/Queue/Resource").LogicalID, cfn.Ref(esm[0].Props["EventSourceArn"]))
	role := cfntest.Get(t, asm, "ingest", "Fanout/RedistributorRole/Resource")
	if role.Props["ManagedPolicyArns"] != nil {
		t.Errorf("redistributor role has managed policies %v, want only its inline grants", role.Props["ManagedPolicyArns"])
	}
	pol := cfntest.Get(t, asm, "ingest", "Fanout/RedistributorRole/DefaultPolicy/Resource")
	topic := cfntest.Get(t, asm, "ingest", "Fanout/Topic/Resource")
	published := false
	for _, s := range cfn.Statements(pol.Props["PolicyDocument"]) {
		if cfntest.JSON(s["Action"]) == `"sns:Publish"` && cfn.Ref(s["Resource"]) == topic.LogicalID {
			published = true
		}
	}
	if !published {
		t.Error("the redistributor may not publish to the topic")
	}
	fn := cfntest.Get(t, asm, "ingest", "Fanout/Redistributor/Resource")
	cfntest.Check(t, "TOPIC_ARN", topic.LogicalID, cfn.Ref(fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)["TOPIC_ARN"]))
}

func TestDeliveryDLQPerRegionInThePrimaryRegionWritableBySNSForTheTopicOnly(t *testing.T) {
	for _, region := range []string{"eu-west-2", "ap-southeast-4"} {
		dlq := cfntest.Get(t, asm, "ingest", "Fanout/DeliveryDLQ-"+region+"/Resource")
		cfntest.Check(t, "name", "t-prod-fanout-"+region+"-dlq.fifo", dlq.Props["QueueName"])
		cfntest.Check(t, "retention", 1209600.0, dlq.Props["MessageRetentionPeriod"])
		pol := cfntest.Get(t, asm, "ingest", "Fanout/DeliveryDLQ-"+region+"/Policy/Resource")
		assertSNSAllowed(t, pol.Props["PolicyDocument"], []string{"sns.amazonaws.com"}, "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo")
	}
}

func assertSNSAllowed(t *testing.T, doc any, principals []string, topicARN string) {
	t.Helper()
	for _, s := range cfn.Statements(doc) {
		if s["Sid"] == "AllowFanoutTopic" || s["Sid"] == "AllowFanoutTopicDelivery" {
			p := s["Principal"].(map[string]any)
			cfntest.Check(t, "SNS principals", principals, cfn.Strings(p["Service"]))
			cfntest.Check(t, "source ARN condition", map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicARN}}, s["Condition"])
			return
		}
	}
	t.Errorf("no statement lets SNS in: %s", cfntest.JSON(doc))
}

func TestConsumerQueuesPerRegion(t *testing.T) {
	key := cfntest.Get(t, asm, "uk", "Fanout/Key/Resource")
	for _, tc := range []struct {
		name       string
		visibility float64
		maxReceive float64
	}{{"holdings", 360, 3}, {"emails", 120, 5}} {
		q := cfntest.Get(t, asm, "uk", "Fanout/"+tc.name+"/Queue/Resource")
		dlq := cfntest.Get(t, asm, "uk", "Fanout/"+tc.name+"/DeadLetterQueue/Resource")
		cfntest.Check(t, tc.name+" name", "t-prod-"+tc.name+".fifo", q.Props["QueueName"])
		cfntest.Check(t, tc.name+" visibility = 6 x timeout", tc.visibility, q.Props["VisibilityTimeout"])
		redrive := q.Props["RedrivePolicy"].(map[string]any)
		cfntest.Check(t, tc.name+" DLQ", dlq.LogicalID, cfn.Ref(redrive["deadLetterTargetArn"]))
		cfntest.Check(t, tc.name+" maxReceiveCount", tc.maxReceive, redrive["maxReceiveCount"])
		cfntest.Check(t, tc.name+" key", key.LogicalID, cfn.Ref(q.Props["KmsMasterKeyId"]))
		cfntest.Check(t, tc.name+" DLQ key", key.LogicalID, cfn.Ref(dlq.Props["KmsMasterKeyId"]))
		cfntest.Check(t, tc.name+" DLQ retention", 1209600.0, dlq.Props["MessageRetentionPeriod"])
		cfntest.Check(t, tc.name+" DLQ is FIFO", true, dlq.Props["FifoQueue"])
		pol := cfntest.Get(t, asm, "uk", "Fanout/"+tc.name+"/Queue/Policy/Resource")
		assertSNSAllowed(t, pol.Props["PolicyDocument"], []string{"sns.amazonaws.com"}, "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo")
		if !strings.Contains(cfntest.JSON(pol.Props["PolicyDocument"]), `"aws:SecureTransport":"false"`) {
			t.Errorf("%s queue is not TLS-only", tc.name)
		}
	}
	assertSNSAllowed(t, key.Props["KeyPolicy"], []string{"sns.amazonaws.com"}, "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo")
}

func TestSubscriptionIsCrossRegionRawAndRedrivesToTheRegionsDeliveryDLQ(t *testing.T) {
	sub := cfntest.Get(t, asm, "uk", "Fanout/holdings/Subscription")
	cfntest.Check(t, "subscription", map[string]any{
		"Protocol":           "sqs",
		"TopicArn":           "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo",
		"Endpoint":           map[string]any{"Fn::GetAtt": []any{cfntest.Get(t, asm, "uk", "Fanout/holdings/Queue/Resource").LogicalID, "Arn"}},
		"Region":             "ap-southeast-2",
		"RawMessageDelivery": true,
		"RedrivePolicy":      map[string]any{"deadLetterTargetArn": "arn:aws:sqs:ap-southeast-2:111111111111:t-prod-fanout-eu-west-2-dlq.fifo"},
	}, sub.Props)
	cfntest.Check(t, "waits for the queue policy", []any{cfntest.Get(t, asm, "uk", "Fanout/holdings/Queue/Policy/Resource").LogicalID}, sub.Raw["DependsOn"])
	// The names the regional stack refers to are the names the ingest stack creates.
	cfntest.Check(t, "delivery DLQ exists under that name", "t-prod-fanout-eu-west-2-dlq.fifo", cfntest.Get(t, asm, "ingest", "Fanout/DeliveryDLQ-eu-west-2/Resource").Props["QueueName"])
}

func TestOptInRegionsGetTheRegionalSNSPrincipal(t *testing.T) {
	melTopic := "arn:aws:sns:ap-southeast-2:111111111111:t-prod-trade-executions.fifo"
	pol := cfntest.Get(t, asm, "melbourne", "Fanout/holdings/Queue/Policy/Resource")
	assertSNSAllowed(t, pol.Props["PolicyDocument"], []string{"sns.amazonaws.com", "sns.ap-southeast-4.amazonaws.com"}, melTopic)
	assertSNSAllowed(t, cfntest.Get(t, asm, "melbourne", "Fanout/Key/Resource").Props["KeyPolicy"], []string{"sns.amazonaws.com", "sns.ap-southeast-4.amazonaws.com"}, melTopic)

	uaeTopic := "arn:aws:sns:me-central-1:111111111111:t-prod-trade-executions.fifo"
	pol = cfntest.Get(t, asm, "from-uae", "Fanout/holdings/Queue/Policy/Resource")
	assertSNSAllowed(t, pol.Props["PolicyDocument"], []string{"sns.amazonaws.com", "sns.me-central-1.amazonaws.com"}, uaeTopic)
}

func TestConsumerHandlerReportsPartialBatchFailures(t *testing.T) {
	esm := asm.Templates["uk"].Resources("AWS::Lambda::EventSourceMapping")
	if len(esm) != 1 {
		t.Fatalf("%d event source mappings, want 1 (emails has a handler, holdings not)", len(esm))
	}
	cfntest.Check(t, "source", cfntest.Get(t, asm, "uk", "Fanout/emails/Queue/Resource").LogicalID, cfn.Ref(esm[0].Props["EventSourceArn"]))
	cfntest.Check(t, "FunctionResponseTypes", []any{"ReportBatchItemFailures"}, esm[0].Props["FunctionResponseTypes"])
	cfntest.Check(t, "handler timeout", 20.0, cfntest.Get(t, asm, "uk", "Fanout/emails/Handler/Resource").Props["Timeout"])
}

func TestStandardPathHasNoFIFONamesAndHonoursRemovalPolicy(t *testing.T) {
	q := cfntest.Get(t, asm, "std-regional", "Fanout/holdings/Queue/Resource")
	cfntest.Check(t, "name", "t-dev-holdings", q.Props["QueueName"])
	cfntest.Check(t, "FifoQueue", nil, q.Props["FifoQueue"])
	cfntest.Check(t, "DeletionPolicy", "Delete", q.Raw["DeletionPolicy"])
	topic := cfntest.Get(t, asm, "std-ingest", "Fanout/Topic/Resource")
	cfntest.Check(t, "topic name", "t-dev-trade-executions", topic.Props["TopicName"])
	cfntest.Check(t, "FifoTopic", nil, topic.Props["FifoTopic"])
	cfntest.Check(t, "subscription topic", "arn:aws:sns:us-east-2:111111111111:t-dev-trade-executions", cfntest.Get(t, asm, "std-regional", "Fanout/holdings/Subscription").Props["TopicArn"])
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
	cfntest.Check(t, "default regions", []string{"sns.amazonaws.com"}, SNSPrincipals("ap-southeast-2", "eu-west-2"))
	cfntest.Check(t, "opt-in topic", []string{"sns.amazonaws.com", "sns.me-central-1.amazonaws.com"}, SNSPrincipals("me-central-1", "eu-west-2"))
	cfntest.Check(t, "opt-in queue", []string{"sns.amazonaws.com", "sns.ap-southeast-4.amazonaws.com"}, SNSPrincipals("eu-west-2", "ap-southeast-4"))
	cfntest.Check(t, "same opt-in region", []string{"sns.amazonaws.com", "sns.il-central-1.amazonaws.com"}, SNSPrincipals("il-central-1", "il-central-1"))
	cfntest.Check(t, "both opt-in", []string{"sns.amazonaws.com", "sns.af-south-1.amazonaws.com", "sns.me-south-1.amazonaws.com"}, SNSPrincipals("af-south-1", "me-south-1"))
}

func TestInvalidPropsAreAllReported(t *testing.T) {
	// Validation runs before anything is constructed, so no scope is needed.
	got := cfntest.ProblemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{BrokerAccounts: []string{"12"}, MaxReceiveCount: 2000, DestinationRegions: []string{"eu-west-9"}})
	})
	cfntest.Check(t, "ingest problems", []string{"Prefix", "BrokerAccounts[0]", "MaxReceiveCount", "DestinationRegions[0]", "RedistributorCode"}, got)
	got = cfntest.ProblemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{Prefix: "p", RedistributorCode: awslambda.Code_FromInline(jsii.String("x"))})
	})
	cfntest.Check(t, "empty lists", []string{"BrokerAccounts", "DestinationRegions"}, got)
	got = cfntest.ProblemFields(t, func() { NewRegional(nil, "x", &RegionalProps{TopicRegion: "nowhere"}) })
	cfntest.Check(t, "regional problems", []string{"Prefix", "TopicRegion"}, got)

	r := &Regional{Consumers: []*Consumer{{Name: "holdings"}}}
	got = cfntest.ProblemFields(t, func() { r.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 0, MaxReceiveCount: 1001}) })
	cfntest.Check(t, "consumer problems", []string{"Name", "TimeoutSeconds", "MaxReceiveCount"}, got)
	got = cfntest.ProblemFields(t, func() { r.AddConsumer(&ConsumerProps{Name: "Bad_Name", TimeoutSeconds: 10}) })
	cfntest.Check(t, "consumer name", []string{"Name"}, got)
}
