package fanout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/alarms/alarmstest"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/internal/guard"
	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/redistributor/redistribute"
	"github.com/brokerage/platform/problems"
)

// One app for the package: a FIFO path from ap-southeast-2 to eu-west-2 and
// the opt-in ap-southeast-4, a FIFO path from the opt-in me-central-1, and a
// standard path.
var asm *cfn.Assembly

// uk is the eu-west-2 half: holdings without a handler, emails with one.
var uk *Regional

const account = "111111111111"

func TestMain(m *testing.M) {
	tmp, _ := os.MkdirTemp("", "fanout-test")
	code := cfntest.StandInCode(tmp)
	asset := func() awslambda.Code { return awslambda.Code_FromAsset(jsii.String(code), nil) }

	app := cfn.NewApp(filepath.Join(tmp, "out"))
	stacks := map[string]awscdk.Stack{}
	stack := func(name, region string) awscdk.Stack {
		stacks[name] = awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}})
		return stacks[name]
	}
	watched := func(name string) *alarms.Alarms { return alarmstest.New(stacks[name], name) }
	ingest := NewIngest(stack("ingest", "ap-southeast-2"), "Fanout", &IngestProps{
		Prefix: "t-prod", Subject: "trade-executions", BrokerAccounts: []string{"222222222222", "333333333333"}, FIFO: true, MaxReceiveCount: 7,
		BrokerRoles:        []string{"arn:aws:iam::222222222222:role/publisher", "arn:aws:iam::333333333333:role/publisher-*"},
		DestinationRegions: []string{"eu-west-2", "ap-southeast-4"}, RedistributorCode: asset(), Alarms: watched("ingest"),
		TopicProps: &awssns.TopicProps{MessageRetentionPeriodInDays: jsii.Number(7), DisplayName: jsii.String("Trade executions")},
	})
	regional := func(name string) *RegionalProps {
		p := ingest.RegionalProps()
		p.Alarms = watched(name)
		return p
	}
	uk = NewRegional(stack("uk", "eu-west-2"), "Fanout", regional("uk"))
	uk.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 60, MaxReceiveCount: 3})
	uk.AddConsumer(&ConsumerProps{Name: "emails", TimeoutSeconds: 20, Handler: asset()}).
		AddTable("Sent", &TableProps{Env: "SENT_TABLE", PartitionKey: "account", SortKey: "execution"})
	mel := NewRegional(stack("melbourne", "ap-southeast-4"), "Fanout", regional("melbourne"))
	mel.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 60, QueueProps: &awssqs.QueueProps{
		ReceiveMessageWaitTime: awscdk.Duration_Seconds(jsii.Number(20)), DeliveryDelay: awscdk.Duration_Seconds(jsii.Number(5)),
	}})
	uae := NewRegional(stack("from-uae", "eu-west-1"), "Fanout", &RegionalProps{Prefix: "t-prod", Subject: "trade-executions", TopicRegion: "me-central-1", FIFO: true, Alarms: watched("from-uae")})
	uae.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 60})
	uae.AddConsumer(&ConsumerProps{Name: "buying-power", TimeoutSeconds: 20, Handler: asset(), Paused: true})

	stdIngest := NewIngest(stack("std-ingest", "us-east-2"), "Fanout", &IngestProps{
		Prefix: "t-dev", Subject: "trade-executions", BrokerAccounts: []string{"222222222222"}, TrustBrokerAccounts: true, DestinationRegions: []string{"us-east-2"},
		RedistributorCode: asset(), RemovalPolicy: awscdk.RemovalPolicy_DESTROY, Alarms: watched("std-ingest"),
	})
	stdRegional := stack("std-regional", "us-east-2")
	stdProps := stdIngest.RegionalProps()
	stdProps.Alarms = watched("std-regional")
	std := NewRegional(stdRegional, "Fanout", stdProps)
	std.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: 10})
	std.AddConsumer(&ConsumerProps{Name: "emails"})

	asm = cfn.Synth(app)
	rc := m.Run()
	os.RemoveAll(tmp)
	os.Exit(rc)
}

func TestIngestQueueIsFIFOEncryptedWithItsKeyAndStallsInsteadOfDeadLettering(t *testing.T) {
	q := cfntest.Get(t, asm, "ingest", "Fanout/Queue/Resource")
	key := cfntest.Get(t, asm, "ingest", "Fanout/Key/Resource")
	parking := cfntest.Get(t, asm, "ingest", "Fanout/DeadLetterQueue/Resource")
	cfntest.Check(t, "FifoQueue", true, q.Props["FifoQueue"])
	cfntest.Check(t, "QueueName", "t-prod-trade-executions-ingest.fifo", q.Props["QueueName"])
	cfntest.Check(t, "key", key.LogicalID, cfn.Ref(q.Props["KmsMasterKeyId"]))
	// A DLQ on a FIFO queue lets the group's later messages overtake the one
	// that moved: the ingest queue stalls instead, and says so.
	cfntest.Check(t, "RedrivePolicy", nil, q.Props["RedrivePolicy"])
	cfntest.Check(t, "ordering policy", cfn.OrderingStall, q.Ordering())
	cfntest.Check(t, "visibility timeout (6 x the redistributor's 20 s)", 120.0, q.Props["VisibilityTimeout"])
	// Nothing else keeps a stalled account's executions: the SQS maximum.
	cfntest.Check(t, "retention of a stalling queue (14 days)", 1209600.0, q.Props["MessageRetentionPeriod"])
	// What SNS can publish, so a larger execution fails at the broker's
	// SendMessage instead of stalling its account.
	cfntest.Check(t, "MaximumMessageSize (256 KiB)", 262144.0, q.Props["MaximumMessageSize"])
	// The former DLQ keeps its name and retention as the parking queue.
	cfntest.Check(t, "parking queue name", "t-prod-trade-executions-ingest-dlq.fifo", parking.Props["QueueName"])
	cfntest.Check(t, "parking ordering policy", cfn.OrderingParking, parking.Ordering())
	cfntest.Check(t, "parking retention", 1209600.0, parking.Props["MessageRetentionPeriod"])
	cfntest.Check(t, "parking key", key.LogicalID, cfn.Ref(parking.Props["KmsMasterKeyId"]))
	cfntest.Check(t, "per-group de-duplication", "messageGroup", q.Props["DeduplicationScope"])
	cfntest.Check(t, "no content-based de-duplication: the broker sends an id", nil, q.Props["ContentBasedDeduplication"])
}

func TestStandardIngestQueueKeepsItsDLQ(t *testing.T) {
	q := cfntest.Get(t, asm, "std-ingest", "Fanout/Queue/Resource")
	dlq := cfntest.Get(t, asm, "std-ingest", "Fanout/DeadLetterQueue/Resource")
	redrive, _ := q.Props["RedrivePolicy"].(map[string]any)
	cfntest.Check(t, "dead-letter target", dlq.LogicalID, cfn.Ref(redrive["deadLetterTargetArn"]))
	cfntest.Check(t, "maxReceiveCount (default)", 5.0, redrive["maxReceiveCount"])
	cfntest.Check(t, "ordering policy", "", q.Ordering())
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
	cfntest.Check(t, "broker key use is through SQS only", `{"StringEquals":{"kms:ViaService":"sqs.ap-southeast-2.amazonaws.com"}}`,
		cfntest.JSON(map[string]any{"StringEquals": brokerKMS[0]["Condition"].(map[string]any)["StringEquals"]}))
}

func TestTopicIsFIFOEncryptedAndNamedDeterministically(t *testing.T) {
	topic := cfntest.Get(t, asm, "ingest", "Fanout/Topic/Resource")
	cfntest.Check(t, "TopicName", "t-prod-trade-executions.fifo", topic.Props["TopicName"])
	cfntest.Check(t, "FifoTopic", true, topic.Props["FifoTopic"])
	cfntest.Check(t, "key", cfntest.Get(t, asm, "ingest", "Fanout/TopicKey/Resource").LogicalID, cfn.Ref(topic.Props["KmsMasterKeyId"]))
	cfntest.Check(t, "default retention", "Retain", topic.Raw["DeletionPolicy"])
}

func TestRedistributorReportsPartialBatchFailuresAndMayPublish(t *testing.T) {
	esm := asm.Stack("ingest").Template.Resources("AWS::Lambda::EventSourceMapping")
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
	env, _ := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)
	cfntest.Check(t, "TOPIC_ARN", topic.LogicalID, cfn.Ref(env["TOPIC_ARN"]))
	cfntest.Check(t, "METRICS_NAMESPACE", MetricsNamespace, env["METRICS_NAMESPACE"])
}

func TestRedistributorSizingKeepsRetriesInsideTheDeduplicationWindow(t *testing.T) {
	fn := cfntest.Get(t, asm, "ingest", "Fanout/Redistributor/Resource")
	q := cfntest.Get(t, asm, "ingest", "Fanout/Queue/Resource")
	esm := asm.Stack("ingest").Template.Resources("AWS::Lambda::EventSourceMapping")[0]
	got := Sizing{
		TimeoutSeconds:    int(fn.Props["Timeout"].(float64)),
		VisibilitySeconds: int(q.Props["VisibilityTimeout"].(float64)),
	}
	if sc, ok := esm.Props["ScalingConfig"].(map[string]any); ok {
		mc, _ := sc["MaximumConcurrency"].(float64)
		got.MaxConcurrency = int(mc)
	}
	cfntest.Check(t, "sizing in the template", DefaultSizing, got)
	if err := got.Check(); err != nil {
		t.Errorf("the template's sizing breaks its own rules: %v", err)
	}
	cfntest.Check(t, "two dead invocations re-publish by (s)", 260, got.RepublishHorizonSeconds())
}

func TestSizingRules(t *testing.T) {
	tests := []struct {
		name   string
		sizing Sizing
		want   []string
	}{
		{"default", DefaultSizing, nil},
		{"the old 30 s timeout and 180 s visibility re-publish at 390 s, outside the window", Sizing{30, 180, 30}, []string{"VisibilitySeconds"}},
		{"visibility under 6 x timeout", Sizing{20, 100, 30}, []string{"VisibilitySeconds"}},
		{"no cap on concurrency", Sizing{20, 120, 0}, []string{"MaxConcurrency"}},
		{"more invocations than the topic's quota serves", Sizing{20, 120, 31}, []string{"MaxConcurrency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			if err := tt.sizing.Check(); err != nil {
				var perr *problems.Error
				if !errors.As(err, &perr) {
					t.Fatalf("Check() = %v, want a *problems.Error", err)
				}
				got = perr.Fields()
			}
			cfntest.Check(t, "problems", tt.want, got)
		})
	}
}

func TestTopicLogsFailedSQSDeliveriesToARetainedGroupOnlySNSMayWrite(t *testing.T) {
	topic := cfntest.Get(t, asm, "ingest", "Fanout/Topic/Resource")
	role := cfntest.Get(t, asm, "ingest", "Fanout/DeliveryStatusRole/Resource")
	logs := cfntest.Get(t, asm, "ingest", "Fanout/DeliveryFailureLogs/Resource")
	cfntest.Check(t, "delivery status logging", []any{map[string]any{
		"Protocol": "sqs", "FailureFeedbackRoleArn": map[string]any{"Fn::GetAtt": []any{role.LogicalID, "Arn"}},
	}}, topic.Props["DeliveryStatusLogging"])
	cfntest.Check(t, "log group name (SNS's own)", "sns/ap-southeast-2/111111111111/t-prod-trade-executions.fifo/Failure", logs.Props["LogGroupName"])
	cfntest.Check(t, "retention", 90.0, logs.Props["RetentionInDays"])
	cfntest.Check(t, "retained in prod", "Retain", logs.Raw["DeletionPolicy"])
	cfntest.Check(t, "assumed by", `{"Service":"sns.amazonaws.com"}`, cfntest.JSON(cfn.Statements(role.Props["AssumeRolePolicyDocument"])[0]["Principal"]))
	pol := cfntest.Get(t, asm, "ingest", "Fanout/DeliveryStatusRole/DefaultPolicy/Resource")
	stmts := cfn.Statements(pol.Props["PolicyDocument"])
	if len(stmts) != 1 {
		t.Fatalf("%d statements, want 1", len(stmts))
	}
	cfntest.Check(t, "actions", []any{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, stmts[0]["Action"])
	if r := cfntest.JSON(stmts[0]["Resource"]); !strings.Contains(r, ":log-group:sns/ap-southeast-2/111111111111/t-prod-trade-executions.fifo*") {
		t.Errorf("resource = %s, want only this topic's delivery-status log groups", r)
	}
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
	}{{"holdings", 360, 3}, {"emails", 120, 7}} { // emails: the ingest's count, through RegionalProps
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
	// Regional props written by hand, without the ingest's count: the default.
	uae := cfntest.Get(t, asm, "from-uae", "Fanout/holdings/Queue/Resource")
	cfntest.Check(t, "default maxReceiveCount", float64(DefaultMaxReceiveCount), uae.Props["RedrivePolicy"].(map[string]any)["maxReceiveCount"])
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
	esm := asm.Stack("uk").Template.Resources("AWS::Lambda::EventSourceMapping")
	if len(esm) != 1 {
		t.Fatalf("%d event source mappings, want 1 (emails has a handler, holdings not)", len(esm))
	}
	cfntest.Check(t, "source", cfntest.Get(t, asm, "uk", "Fanout/emails/Queue/Resource").LogicalID, cfn.Ref(esm[0].Props["EventSourceArn"]))
	cfntest.Check(t, "FunctionResponseTypes", []any{"ReportBatchItemFailures"}, esm[0].Props["FunctionResponseTypes"])
	cfntest.Check(t, "handler timeout", 20.0, cfntest.Get(t, asm, "uk", "Fanout/emails/Handler/Resource").Props["Timeout"])
}

// A consumer with a handler runs it on two tables of its own, encrypted with
// the region's consumer key, recoverable and kept, named to the runtime by
// the environment it reads, and readable and writable by the handler only.
func TestConsumerHandlerKeepsItsRecordsInItsOwnTables(t *testing.T) {
	key := cfntest.Get(t, asm, "uk", "Fanout/Key/Resource").LogicalID
	fn := cfntest.Get(t, asm, "uk", "Fanout/emails/Handler/Resource")
	env, _ := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)
	tables := map[string]string{"IdempotencyTable": "id", "SequenceTable": "account"}
	vars := map[string]string{"IdempotencyTable": consumer.EnvIdempotencyTable, "SequenceTable": consumer.EnvSequenceTable}
	var granted []string
	for id, pk := range tables {
		table := cfntest.Get(t, asm, "uk", "Fanout/emails/"+id+"/Resource")
		cfntest.Check(t, id+" key", []any{map[string]any{"AttributeName": pk, "KeyType": "HASH"}}, table.Props["KeySchema"])
		cfntest.Check(t, id+" billing", "PAY_PER_REQUEST", table.Props["BillingMode"])
		cfntest.Check(t, id+" SSE", map[string]any{"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}}}, table.Props["SSESpecification"])
		cfntest.Check(t, id+" PITR", map[string]any{"PointInTimeRecoveryEnabled": true}, table.Props["PointInTimeRecoverySpecification"])
		cfntest.Check(t, id+" deletion policy", "Retain", table.Raw["DeletionPolicy"])
		cfntest.Check(t, id+" deletion protection", true, table.Props["DeletionProtectionEnabled"])
		cfntest.Check(t, id+" named to the runtime", table.LogicalID, cfn.Ref(env[vars[id]]))
		granted = append(granted, table.LogicalID)
	}
	sent := cfntest.Get(t, asm, "uk", "Fanout/emails/Sent/Resource")
	cfntest.Check(t, "own table's key", []any{map[string]any{"AttributeName": "account", "KeyType": "HASH"}, map[string]any{"AttributeName": "execution", "KeyType": "RANGE"}}, sent.Props["KeySchema"])
	cfntest.Check(t, "own table's SSE", cfntest.Get(t, asm, "uk", "Fanout/emails/SequenceTable/Resource").Props["SSESpecification"], sent.Props["SSESpecification"])
	cfntest.Check(t, "own table's PITR", map[string]any{"PointInTimeRecoveryEnabled": true}, sent.Props["PointInTimeRecoverySpecification"])
	cfntest.Check(t, "own table named to the handler", sent.LogicalID, cfn.Ref(env["SENT_TABLE"]))
	granted = append(granted, sent.LogicalID)
	// A redrive from the DLQ, however late, finds the execution's record: a
	// FIFO message lives its queue's retention, then its DLQ's, whose clock
	// restarts when the message moves there (SQS developer guide, "Setting
	// up dead-letter queue retention").
	var kept float64
	for _, q := range []string{"Queue", "DeadLetterQueue"} {
		kept += cfntest.Get(t, asm, "uk", "Fanout/emails/"+q+"/Resource").Props["MessageRetentionPeriod"].(float64)
	}
	if kept >= consumer.DefaultRetention.Seconds() {
		t.Errorf("a message lives up to %v s in the queue and its DLQ, as long as or longer than the idempotency records (%v)", kept, consumer.DefaultRetention)
	}
	cfntest.Check(t, "idempotency TTL", map[string]any{"AttributeName": "expiresAt", "Enabled": true}, cfntest.Get(t, asm, "uk", "Fanout/emails/IdempotencyTable/Resource").Props["TimeToLiveSpecification"])
	cfntest.Check(t, "sequence TTL", nil, cfntest.Get(t, asm, "uk", "Fanout/emails/SequenceTable/Resource").Props["TimeToLiveSpecification"])
	cfntest.Check(t, "metrics namespace", consumer.DefaultNamespace, env[consumer.EnvNamespace])
	cfntest.Check(t, "the alarms' namespace", consumer.DefaultNamespace, alarms.ConsumerNamespace)

	policy := cfntest.JSON(cfntest.Get(t, asm, "uk", "Fanout/emails/HandlerRole/DefaultPolicy/Resource").Props["PolicyDocument"])
	for _, table := range granted {
		if !strings.Contains(policy, `"dynamodb:PutItem"`) || !strings.Contains(policy, `"dynamodb:ConditionCheckItem"`) || !strings.Contains(policy, `"`+table+`"`) {
			t.Errorf("the handler's role may not read and write %s: %s", table, policy)
		}
	}
	if tables := asm.Stack("melbourne").Template.Resources("AWS::DynamoDB::Table"); len(tables) != 0 {
		t.Errorf("a region whose consumers have no handler has %d tables", len(tables))
	}
}

// A paused handler is deployed with its event source mapping disabled; an
// unpaused one reads its queue.
func TestAPausedHandlerReadsNothing(t *testing.T) {
	for stack, want := range map[string]any{"from-uae": false, "uk": nil} {
		esm := asm.Stack(stack).Template.Resources("AWS::Lambda::EventSourceMapping")
		if len(esm) != 1 {
			t.Fatalf("%s: %d event source mappings, want 1", stack, len(esm))
		}
		cfntest.Check(t, stack+" Enabled", want, esm[0].Props["Enabled"])
	}
}

// The handler gets the consumer runtime's alarms, by its own metrics, as
// well as a function's.
func TestConsumerHandlerHasTheRuntimesAlarms(t *testing.T) {
	fn := cfntest.Get(t, asm, "uk", "Fanout/emails/Handler/Resource").LogicalID
	want := map[string]bool{}
	for _, s := range alarms.Catalogue[alarms.KindConsumer].Alarms {
		want[s.Metric] = true
	}
	for _, a := range asm.Stack("uk").Template.Resources("AWS::CloudWatch::Alarm") {
		if a.Props["Namespace"] != consumer.DefaultNamespace {
			continue
		}
		dims := cfntest.JSON(a.Props["Dimensions"])
		if !strings.Contains(dims, `"FunctionName"`) || !strings.Contains(dims, fn) {
			t.Errorf("%s watches %s, want the handler %s", a.LogicalID, dims, fn)
		}
		delete(want, a.Props["MetricName"].(string))
		// A held message comes back once per visibility timeout: every
		// period must hold one, or the alarm would clear between them and
		// page again at the next.
		visibility := cfntest.Get(t, asm, "uk", "Fanout/emails/Queue/Resource").Props["VisibilityTimeout"].(float64)
		if period := a.Props["Period"].(float64); period <= visibility {
			t.Errorf("%s: period %v s, want more than the queue's visibility timeout (%v s)", a.LogicalID, period, visibility)
		}
	}
	if len(want) != 0 {
		t.Errorf("the handler misses the consumer alarms on %v", want)
	}
}

// A consumer's dashboard lines show its handler's errors and longest held
// gap when it has a handler.
func TestConsumerWidgetsShowTheHandler(t *testing.T) {
	for _, c := range uk.Consumers {
		body := cfntest.JSON(cfntest.Widgets(c.Queue, c.Widgets()...))
		shows := strings.Contains(body, `"GapHeldSeconds"`) && strings.Contains(body, `"Errors"`)
		if shows != (c.Handler != nil) {
			t.Errorf("%s (handler: %t): widgets show the handler: %t", c.Name, c.Handler != nil, shows)
		}
	}
}

// The ingest's TopicProps replace the construct's props of the topic (a
// FIFO topic's archive, a display name), and leave the rest.
func TestTopicPropsOverrideTheTopic(t *testing.T) {
	topic := cfntest.Get(t, asm, "ingest", "Fanout/Topic/Resource")
	cfntest.Check(t, "archive", map[string]any{"MessageRetentionPeriod": 7.0}, topic.Props["ArchivePolicy"])
	cfntest.Check(t, "display name", "Trade executions", topic.Props["DisplayName"])
	cfntest.Check(t, "name", "t-prod-trade-executions.fifo", topic.Props["TopicName"])
	if topic.Props["KmsMasterKeyId"] == nil || topic.Props["DeliveryStatusLogging"] == nil {
		t.Errorf("the topic lost its key or its delivery-status logging: %v", topic.Props)
	}
}

// A consumer's QueueProps replace the construct's props of its queue, and
// leave the rest, the dead-letter queue and the encryption among them.
func TestQueuePropsOverrideTheConsumerQueue(t *testing.T) {
	q := cfntest.Get(t, asm, "melbourne", "Fanout/holdings/Queue/Resource")
	cfntest.Check(t, "long polling", 20.0, q.Props["ReceiveMessageWaitTimeSeconds"])
	cfntest.Check(t, "delivery delay", 5.0, q.Props["DelaySeconds"])
	cfntest.Check(t, "retention", float64(QueueRetention*3600), q.Props["MessageRetentionPeriod"])
	cfntest.Check(t, "visibility timeout", 360.0, q.Props["VisibilityTimeout"])
	if q.Props["RedrivePolicy"] == nil || q.Props["KmsMasterKeyId"] == nil {
		t.Errorf("the queue lost its dead-letter queue or its key: %v", q.Props)
	}
	other := cfntest.Get(t, asm, "uk", "Fanout/holdings/Queue/Resource")
	cfntest.Check(t, "another consumer's long polling", nil, other.Props["ReceiveMessageWaitTimeSeconds"])
}

// A consumer that names no timeout gets the default one, and six times it
// as its queue's visibility timeout.
func TestConsumerTimeoutDefaults(t *testing.T) {
	q := cfntest.Get(t, asm, "std-regional", "Fanout/emails/Queue/Resource")
	cfntest.Check(t, "visibility timeout", float64(6*DefaultTimeoutSeconds), q.Props["VisibilityTimeout"])
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

// The fan-out's stacks keep every nothing-lost rule (internal/guard): every
// queue has a dead-letter queue, is one, or declares that it stalls.
func TestEveryQueueHasADLQOrIsOne(t *testing.T) {
	for _, v := range guard.Check(asm.Stacks) {
		t.Error(v)
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
	cfntest.Check(t, "ingest problems", []string{"brokerAccounts[0]", "brokerRoles", "maxReceiveCount", "alarms", "destinationRegions[0]"}, got)
	got = cfntest.ProblemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{Prefix: "p", Alarms: &alarms.Alarms{}})
	})
	cfntest.Check(t, "empty lists", []string{"brokerAccounts", "brokerRoles", "destinationRegions"}, got)
	many := make([]string, awsrules.SQSPolicyPrincipals) // and the TLS statement's "*": one too many
	for i := range many {
		many[i] = fmt.Sprintf("2222222%05d", i)
	}
	got = cfntest.ProblemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{Alarms: &alarms.Alarms{}, BrokerAccounts: many, TrustBrokerAccounts: true, DestinationRegions: []string{"eu-west-2"}})
	})
	cfntest.Check(t, "more accounts than a queue policy takes", []string{"brokerAccounts"}, got)
	if err := (&IngestProps{BrokerAccounts: many[1:], TrustBrokerAccounts: true}).Validate(""); err != nil {
		t.Errorf("as many accounts as a queue policy takes: %v", err)
	}
	got = cfntest.ProblemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{Prefix: "p", Alarms: &alarms.Alarms{}, BrokerAccounts: []string{"222222222222"}, TrustBrokerAccounts: true, DestinationRegions: []string{"eu-west-2"},
			TopicProps: &awssns.TopicProps{TopicName: jsii.String("mine"), EnforceSSL: jsii.Bool(false), DisplayName: jsii.String("Mine")}})
	})
	cfntest.Check(t, "topic props the fan-out decides", []string{"topicProps.EnforceSSL", "topicProps.TopicName"}, got)
	for fifo, days := range map[bool]float64{false: 7, true: 366} {
		got = cfntest.ProblemFields(t, func() {
			NewIngest(nil, "x", &IngestProps{Prefix: "p", Alarms: &alarms.Alarms{}, BrokerAccounts: []string{"222222222222"}, TrustBrokerAccounts: true, DestinationRegions: []string{"eu-west-2"},
				FIFO: fifo, TopicProps: &awssns.TopicProps{MessageRetentionPeriodInDays: jsii.Number(days)}})
		})
		cfntest.Check(t, fmt.Sprintf("archive of %v days, FIFO %t", days, fifo), []string{"topicProps.MessageRetentionPeriodInDays"}, got)
	}
	got = cfntest.ProblemFields(t, func() { NewRegional(nil, "x", &RegionalProps{TopicRegion: "nowhere", MaxReceiveCount: 1001}) })
	cfntest.Check(t, "regional problems", []string{"alarms", "topicRegion", "maxReceiveCount"}, got)

	r := &Regional{Consumers: []*Consumer{{Name: "holdings"}}}
	got = cfntest.ProblemFields(t, func() { r.AddConsumer(&ConsumerProps{Name: "holdings", TimeoutSeconds: -1, MaxReceiveCount: 1001}) })
	cfntest.Check(t, "consumer problems", []string{"timeoutSeconds", "maxReceiveCount", "name"}, got)
	// A consumer's 0 takes the fan-out's count, not the package default: the
	// problem says which.
	err := (&RegionalProps{MaxReceiveCount: 8}).ValidateConsumer("", &ConsumerProps{Name: "holdings", MaxReceiveCount: 1001})
	if err == nil || !strings.Contains(err.Error(), "or 0 for the fan-out's") {
		t.Errorf("consumer maxReceiveCount problem: %v, want it to name the fan-out's count as the default", err)
	}
	got = cfntest.ProblemFields(t, func() { r.AddConsumer(&ConsumerProps{Name: "Bad_Name", TimeoutSeconds: 10}) })
	cfntest.Check(t, "consumer name", []string{"name"}, got)
	got = cfntest.ProblemFields(t, func() {
		r.AddConsumer(&ConsumerProps{Name: "emails", TimeoutSeconds: 10, Handler: awslambda.Code_FromInline(jsii.String("x"))})
	})
	cfntest.Check(t, "handler on a standard fan-out", []string{"handler"}, got)
	got = cfntest.ProblemFields(t, func() { (&Consumer{Name: "holdings"}).AddTable("T", &TableProps{Env: "holdings table"}) })
	cfntest.Check(t, "table problems", []string{"consumer", "env", "partitionKey"}, got)
	got = cfntest.ProblemFields(t, func() { r.AddConsumer(&ConsumerProps{Name: "emails", TimeoutSeconds: 10, Paused: true}) })
	cfntest.Check(t, "paused without a handler", []string{"paused"}, got)
	got = cfntest.ProblemFields(t, func() {
		r.AddConsumer(&ConsumerProps{Name: "emails", TimeoutSeconds: 10, QueueProps: &awssqs.QueueProps{
			QueueName: jsii.String("mine"), Encryption: awssqs.QueueEncryption_SQS_MANAGED, DeliveryDelay: awscdk.Duration_Seconds(jsii.Number(5)),
			RetentionPeriod: awscdk.Duration_Minutes(jsii.Number(5)),
		}})
	})
	cfntest.Check(t, "queue props the fan-out decides", []string{"queueProps.Encryption", "queueProps.QueueName", "queueProps.RetentionPeriod"}, got)
	got = cfntest.ProblemFields(t, func() {
		r.AddConsumer(&ConsumerProps{Name: "emails", TimeoutSeconds: 10, QueueProps: &awssqs.QueueProps{
			DeliveryDelay: awscdk.Duration_Minutes(jsii.Number(16)), ReceiveMessageWaitTime: awscdk.Duration_Seconds(jsii.Number(21)), MaxMessageSizeBytes: jsii.Number(512),
		}})
	})
	cfntest.Check(t, "queue props SQS refuses", []string{"queueProps.DeliveryDelay", "queueProps.ReceiveMessageWaitTime", "queueProps.MaxMessageSizeBytes"}, got)
	for _, env := range []string{"SEQUENCE_TABLE", "SENT_TABLE", "AWS_REGION", "LAMBDA_TASK_ROOT", "_HANDLER"} {
		emails := uk.Consumers[1]
		got = cfntest.ProblemFields(t, func() { emails.AddTable("T", &TableProps{Env: env, PartitionKey: "id"}) })
		cfntest.Check(t, env+" taken", []string{"env"}, got)
	}
}

func TestMetricNamesAreTheRedistributors(t *testing.T) {
	cfntest.Check(t, "namespace", redistribute.DefaultNamespace, MetricsNamespace)
	cfntest.Check(t, "publish failures", redistribute.MetricPublishFailures, MetricPublishFailures)
	cfntest.Check(t, "namespace variable", redistribute.EnvNamespace, "METRICS_NAMESPACE")
}

func TestFunctionLogsFollowTheRemovalPolicy(t *testing.T) {
	cfntest.Check(t, "redistributor logs, default", "Retain", cfntest.Get(t, asm, "ingest", "Fanout/RedistributorLogs/Resource").Raw["DeletionPolicy"])
	cfntest.Check(t, "handler logs, default", "Retain", cfntest.Get(t, asm, "uk", "Fanout/emails/HandlerLogs/Resource").Raw["DeletionPolicy"])
	cfntest.Check(t, "redistributor logs, DESTROY", "Delete", cfntest.Get(t, asm, "std-ingest", "Fanout/RedistributorLogs/Resource").Raw["DeletionPolicy"])
}

// A batch that crashes its invocation every time comes back once per
// visibility timeout: the function's Errors alarm must see two such
// retries inside its window, and its M of N must be reachable by them.
func TestErrorsAlarmSpansTwoRetriesOfACrashingBatch(t *testing.T) {
	var errs alarms.Spec
	for _, s := range alarms.Catalogue[alarms.KindFunction].Alarms {
		if s.Metric == "Errors" {
			errs = s
		}
	}
	window := errs.EvaluationPeriods * errs.PeriodSeconds
	if window < 2*IngestVisibilitySeconds {
		t.Errorf("Errors alarm window %d s, want at least two visibility timeouts (%d s)", window, 2*IngestVisibilitySeconds)
	}
	// Failing minutes are a visibility timeout apart: how many fit the window.
	if failing := window/IngestVisibilitySeconds + 1; errs.DatapointsToAlarm > failing-1 {
		t.Errorf("Errors alarm needs %d failing minutes of %d, but a crashing batch fails at most %d minutes in its window; allow for the first to fall just outside", errs.DatapointsToAlarm, errs.EvaluationPeriods, failing)
	}
}

// Nothing but the platform's own queues in its account can subscribe to the
// topic, and only over SQS.
func TestOnlyThePlatformsQueuesMaySubscribe(t *testing.T) {
	var denies []string
	for _, p := range asm.Stack("ingest").Template.Resources("AWS::SNS::TopicPolicy") {
		for _, st := range cfn.Statements(p.Props["PolicyDocument"]) {
			if st["Effect"] == "Deny" && st["Action"] == "sns:Subscribe" {
				denies = append(denies, cfntest.JSON(st["Condition"]))
			}
		}
	}
	want := []string{
		`{"StringNotLike":{"sns:Endpoint":"arn:aws:sqs:*:111111111111:t-prod-*"}}`,
		`{"StringNotEquals":{"sns:Protocol":"sqs"}}`,
	}
	cfntest.Check(t, "subscribe denials", want, denies)
}

// The broker's sending roles, not its whole accounts, may send and encrypt
// (an aws:PrincipalArn condition on the accounts); the whole accounts only
// by the explicit TrustBrokerAccounts.
func TestOnlyTheBrokersSendingRolesMaySend(t *testing.T) {
	roles := []any{"arn:aws:iam::222222222222:role/publisher", "arn:aws:iam::333333333333:role/publisher-*"}
	for stack, want := range map[string]any{"ingest": roles, "std-ingest": nil} {
		for _, path := range []string{"Fanout/Queue/Policy/Resource", "Fanout/Key/Resource"} {
			r := cfntest.Get(t, asm, stack, path)
			doc := r.Props["PolicyDocument"]
			if doc == nil {
				doc = r.Props["KeyPolicy"]
			}
			found := false
			for _, s := range cfn.Statements(doc) {
				if sid := s["Sid"]; sid == "AllowBrokerSend" || sid == "AllowBrokerSendThroughSQS" {
					found = true
					var got any
					cond, _ := s["Condition"].(map[string]any)
					if like, ok := cond["ArnLike"].(map[string]any); ok {
						got = like["aws:PrincipalArn"]
					}
					cfntest.Check(t, stack+" "+path+" sending roles", want, got)
				}
			}
			if !found {
				t.Errorf("%s %s: no broker statement", stack, path)
			}
		}
	}
	got := cfntest.ProblemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{BrokerAccounts: []string{"222222222222"}, DestinationRegions: []string{"eu-west-2"}, Alarms: &alarms.Alarms{}})
	})
	cfntest.Check(t, "neither roles nor trust", []string{"brokerRoles"}, got)
	got = cfntest.ProblemFields(t, func() {
		NewIngest(nil, "x", &IngestProps{BrokerAccounts: []string{"222222222222"}, DestinationRegions: []string{"eu-west-2"}, Alarms: &alarms.Alarms{},
			BrokerRoles: []string{"arn:aws:iam::444444444444:role/p", "arn:aws:iam::222222222222:user/p"}, TrustBrokerAccounts: true})
	})
	cfntest.Check(t, "foreign role, a user, and both choices", []string{"trustBrokerAccounts", "brokerRoles[0]", "brokerRoles[1]"}, got)
}

// A team's own keys, of the constructs' stacks, encrypt the queues and the
// topic in place of the construct's, with what the fan-out needs added to
// their policies: the "nothing lost" rules pass. A key of another stack is
// refused at its field.
func TestOwnKeysReplaceTheConstructs(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	app := cfn.NewApp(out)
	ingestStack, ukStack := cfntest.StackIn(app, "ingest", "ap-southeast-2"), cfntest.StackIn(app, "uk", "eu-west-2")
	own := func(s awscdk.Stack, id string) awskms.Key {
		return awskms.NewKey(s, jsii.String(id), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	}
	in := NewIngest(ingestStack, "Fanout", &IngestProps{
		Prefix: "t", BrokerAccounts: []string{"222222222222"}, TrustBrokerAccounts: true, FIFO: true, DestinationRegions: []string{"eu-west-2"},
		RedistributorCode: awslambda.Code_FromAsset(jsii.String(cfntest.StandInCode(tmp)), nil), Alarms: alarmstest.New(ingestStack, "ingest"),
		Key: own(ingestStack, "TeamKey"), TopicKey: own(ingestStack, "TeamTopicKey"),
	})
	props := in.RegionalProps()
	props.Alarms, props.Key = alarmstest.New(ukStack, "uk"), own(ukStack, "TeamKey")
	NewRegional(ukStack, "Fanout", props).AddConsumer(&ConsumerProps{Name: "holdings"})

	asm, violations := cfn.SynthOrViolations(app, out)
	if len(violations) > 0 {
		t.Fatalf("the guard refuses the team's keys:\n%s", strings.Join(violations, "\n"))
	}
	for _, tc := range []struct{ stack, resource, key, sid string }{
		{"ingest", "Fanout/Queue/Resource", "TeamKey/Resource", "AllowBrokerSendThroughSQS"},
		{"ingest", "Fanout/Topic/Resource", "TeamTopicKey/Resource", "AllowFanoutTopicDelivery"},
		{"ingest", "Fanout/DeliveryDLQ-eu-west-2/Resource", "TeamTopicKey/Resource", "AllowFanoutTopicDelivery"},
		{"uk", "Fanout/holdings/Queue/Resource", "TeamKey/Resource", "AllowFanoutTopicDelivery"},
	} {
		key := cfntest.Get(t, asm, tc.stack, tc.key)
		cfntest.Check(t, tc.resource+" key", key.LogicalID, cfn.Ref(cfntest.Get(t, asm, tc.stack, tc.resource).Props["KmsMasterKeyId"]))
		if !strings.Contains(cfntest.JSON(key.Props["KeyPolicy"]), `"Sid":"`+tc.sid+`"`) {
			t.Errorf("%s: the key's policy has no %s statement", tc.key, tc.sid)
		}
	}
	for _, k := range []struct{ stack, path string }{{"ingest", "Fanout/Key/Resource"}, {"ingest", "Fanout/TopicKey/Resource"}, {"uk", "Fanout/Key/Resource"}} {
		if _, err := asm.Stack(k.stack).Template.ByPath(k.path); err == nil {
			t.Errorf("%s: the construct made its own key %s beside the team's", k.stack, k.path)
		}
	}

	other := cfntest.StackIn(cfn.NewApp(t.TempDir()), "other", "eu-west-2")
	foreign := own(cfntest.StackIn(other.Node().Scope().(awscdk.App), "keys", "eu-west-2"), "Key")
	otherAlarms := alarmstest.New(other, "other")
	got := cfntest.ProblemFields(t, func() {
		NewRegional(other, "Fanout", &RegionalProps{TopicRegion: "ap-southeast-2", Alarms: otherAlarms, Key: foreign})
	})
	cfntest.Check(t, "a key of another stack", []string{"key"}, got)
	// Retained queues (the default) need a retained key.
	short := awskms.NewKey(other, jsii.String("Short"), &awskms.KeyProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	got = cfntest.ProblemFields(t, func() {
		NewRegional(other, "Fanout", &RegionalProps{TopicRegion: "ap-southeast-2", Alarms: otherAlarms, Key: short})
	})
	cfntest.Check(t, "a key deleted with the stack under retained queues", []string{"key"}, got)
}
