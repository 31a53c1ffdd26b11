// Package awsrules knows the rules and quotas of AWS services that the
// platform's resources must respect: what CloudFormation or the service
// itself refuses at deploy time although the template is well formed. Each
// rule is a small pure function returning "" when the input complies, or
// what the operator should change, with the arithmetic; each cites the AWS
// document it comes from (Rules lists them for docs/aws-rules.md).
//
// The stacks package applies the rules to a configuration before any
// construct is built (stacks.Validate), and CheckAssembly applies the name
// and quota rules once more to the whole synthesized app, so that a rule
// broken by code rather than by configuration fails synthesis too.
package awsrules

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/brokerage/platform/regions"
)

// Rule documents one rule: what AWS requires and where it says so.
type Rule struct {
	ID     string // stable name, e.g. "sns-fifo-subscriptions"
	Rule   string // what AWS requires, in one sentence
	Source string // the AWS document
}

// The AWS documents the rules cite.
const (
	sourceSNSQuotas      = "https://docs.aws.amazon.com/general/latest/gr/sns.html"
	sourceSNSFeatures    = "https://aws.amazon.com/sns/features/"
	sourceSQSPolicy      = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html"
	sourceSQSCreateQueue = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"
	sourceCFNQuotas      = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
	sourceCFNDescription = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-description-structure.html"
	sourcePutMetricAlarm = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
	sourcePutDashboard   = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html"
	sourceUsagePlan      = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-usageplan-throttlesettings.html"
	sourceUsagePlanQuota = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-usageplan-quotasettings.html"
	sourceStageMethod    = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-stage-methodsetting.html"
	sourceWAFVisibility  = "https://docs.aws.amazon.com/waf/latest/APIReference/API_VisibilityConfig.html"
	sourceCloudFrontCSP  = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html"
	sourceSNSOptIn       = "https://docs.aws.amazon.com/sns/latest/dg/lambda-prereq.html"
	sourceKMSAlias       = "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html"
	sourceLogGroup       = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html"
	sourceIAMRole        = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
	sourceSNSCreateTopic = "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"
	sourceWAFCreateACL   = "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html"
	sourceARN            = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html"
	sourceGatewayQuotas  = "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html"
	sourceDynamicRefs    = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html"
)

// Quotas and limits, as the sources state them.
const (
	SNSFIFOSubscriptionsPerTopic = 100     // SNS quotas: subscriptions per FIFO topic
	SQSPolicyPrincipals          = 50      // SQS policy quotas
	SQSPolicyStatements          = 20      // SQS policy quotas
	SQSPolicyBytes               = 8192    // SQS policy quotas
	StackResources               = 500     // CloudFormation quotas: resources per template
	StackDescriptionBytes        = 1024    // CloudFormation template Description section
	AlarmNameLength              = 255     // PutMetricAlarm AlarmName
	WAFMetricNameLength          = 128     // VisibilityConfig MetricName
	CloudFrontCSPLength          = 1783    // CloudFront quotas: Content-Security-Policy header value
	RestAPIPolicyLength          = 8192    // API Gateway quotas: characters of a REST API's resource policy
	DynamicReferences            = 60      // CloudFormation: dynamic references ({{resolve:...}}) per template
	maxWholeNumber               = 1 << 53 // a JSON number still exact as an integer
)

// Rules lists every rule with its source, in the order of docs/aws-rules.md.
var Rules = []Rule{
	{"unique-physical-names", "A named resource's physical name is unique per account and Region (SQS queues, SNS topics, CloudWatch alarms, KMS aliases, CloudWatch Logs log groups, API Gateway usage plans), per account (IAM roles, CloudWatch dashboards) or per account, Region and scope (WAF web ACLs), across every stack and stage deployed there.", strings.Join([]string{sourceSQSCreateQueue, sourceSNSCreateTopic, sourcePutMetricAlarm, sourcePutDashboard, sourceKMSAlias, sourceLogGroup, sourceIAMRole, sourceWAFCreateACL}, " ")},
	{"sns-fifo-subscriptions", fmt.Sprintf("An SNS FIFO topic takes at most %d subscriptions: regions x consumers on the fan-out topic.", SNSFIFOSubscriptionsPerTopic), sourceSNSQuotas + " " + sourceSNSFeatures},
	{"sns-opt-in-forwarding", "SNS does not forward messages from an opt-in Region to another opt-in Region: with an opt-in primary region, every other region must be enabled by default.", sourceSNSOptIn},
	{"sqs-policy-quotas", fmt.Sprintf("An SQS queue policy has at most %d principals, %d statements and %d bytes.", SQSPolicyPrincipals, SQSPolicyStatements, SQSPolicyBytes), sourceSQSPolicy},
	{"stack-resources", fmt.Sprintf("A CloudFormation template declares at most %d resources.", StackResources), sourceCFNQuotas},
	{"apigateway-policy-length", fmt.Sprintf("A REST API's resource policy is at most %d characters (a private gateway's names each of its VPC endpoints).", RestAPIPolicyLength), sourceGatewayQuotas},
	{"dynamic-references", fmt.Sprintf("A CloudFormation template holds at most %d dynamic references ({{resolve:...}}): the platform's are the usage plans' API key secrets, one per plan in every regional stack.", DynamicReferences), sourceDynamicRefs},
	{"stack-description", fmt.Sprintf("A CloudFormation template's Description is at most %d bytes.", StackDescriptionBytes), sourceCFNDescription},
	{"alarm-name-length", fmt.Sprintf("A CloudWatch alarm name is 1 to %d characters, after the platform's prefix.", AlarmNameLength), sourcePutMetricAlarm},
	{"alarm-datapoints", "A CloudWatch alarm's DatapointsToAlarm is at most its EvaluationPeriods, after the catalogue's defaults and the overrides are merged.", sourcePutMetricAlarm},
	{"alarm-evaluation-range", "A CloudWatch alarm evaluates at most one day of periods shorter than an hour, seven days otherwise: EvaluationPeriods x Period, after the overrides are merged.", sourcePutMetricAlarm},
	{"apigateway-whole-numbers", "API Gateway throttling bursts (stage method settings, usage plans) and usage-plan quotas are integers; rates may be fractional.", strings.Join([]string{sourceUsagePlan, sourceUsagePlanQuota, sourceStageMethod}, " ")},
	{"waf-metric-name", fmt.Sprintf("A WAF metric name is 1 to %d characters among A-Z, a-z, 0-9, - and _, without whitespace; the platform names a web ACL's metric after its gateway.", WAFMetricNameLength), sourceWAFVisibility},
	{"cloudfront-csp-length", fmt.Sprintf("A CloudFront response headers policy's Content-Security-Policy value is at most %d characters.", CloudFrontCSPLength), sourceCloudFrontCSP},
	{"arn-format", "An ARN is arn:partition:service:region:account-id:resource, with the resource part the service defines (userpool/<id> for Cognito, function:<name> for Lambda).", sourceARN},
}

// RestAPIPolicy checks the length of a REST API's resource policy, as the
// template writes it (an ARN the template builds with Fn::Join is counted
// as written, a little shorter than resolved).
func RestAPIPolicy(length int) string {
	// https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html:
	// resource policy size, 8,192 characters.
	if length <= RestAPIPolicyLength {
		return ""
	}
	return fmt.Sprintf("a resource policy of at most %d characters (this one has %d): fewer VPC endpoints for the private gateway", RestAPIPolicyLength, length)
}

// TemplateDynamicReferences checks a template's count of dynamic references.
func TemplateDynamicReferences(count int) string {
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html:
	// "You can include up to 60 dynamic references in a stack template."
	if count <= DynamicReferences {
		return ""
	}
	return fmt.Sprintf("at most %d dynamic references ({{resolve:...}}) in one template (%d): CloudFormation resolves no more", DynamicReferences, count)
}

// SNSFIFOSubscriptions checks the fan-out topic's subscriptions: one per
// consumer in every region.
func SNSFIFOSubscriptions(regionCount, consumerCount int) string {
	// https://docs.aws.amazon.com/general/latest/gr/sns.html (and
	// https://aws.amazon.com/sns/features/): 100 subscriptions per FIFO topic.
	need := regionCount * consumerCount
	if need <= SNSFIFOSubscriptionsPerTopic {
		return ""
	}
	return fmt.Sprintf("%d regions x %d consumers need %d subscriptions on the fan-out topic; SNS FIFO topics take %d: at most %d consumers with %d regions, or fewer regions",
		regionCount, consumerCount, need, SNSFIFOSubscriptionsPerTopic, SNSFIFOSubscriptionsPerTopic/max(regionCount, 1), regionCount)
}

// SNSFIFOTopicSubscriptions checks the subscriptions counted on one FIFO topic.
func SNSFIFOTopicSubscriptions(count int) string {
	// https://docs.aws.amazon.com/general/latest/gr/sns.html
	if count <= SNSFIFOSubscriptionsPerTopic {
		return ""
	}
	return fmt.Sprintf("at most %d subscriptions on an SNS FIFO topic (the app subscribes %d)", SNSFIFOSubscriptionsPerTopic, count)
}

// SNSOptInForwarding checks a delivery from a topic in topicRegion to a
// queue in queueRegion.
func SNSOptInForwarding(topicRegion, queueRegion string) string {
	// https://docs.aws.amazon.com/sns/latest/dg/lambda-prereq.html: "cross-region
	// forwarding of SNS messages from opt-in regions to other opt-in regions is
	// not supported".
	if topicRegion == queueRegion || !regions.OptIn(topicRegion) || !regions.OptIn(queueRegion) {
		return ""
	}
	return fmt.Sprintf("a region enabled by default: the fan-out topic is in the opt-in region %s, and SNS does not forward from one opt-in region to another (%s); choose a primary region enabled by default, or leave %s out", topicRegion, queueRegion, queueRegion)
}

// SQSPolicy checks a queue policy's size against the SQS policy quotas.
func SQSPolicy(principals, statements, bytes int) []string {
	// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html
	var out []string
	if principals > SQSPolicyPrincipals {
		out = append(out, fmt.Sprintf("at most %d principals in an SQS queue policy (this one names %d)", SQSPolicyPrincipals, principals))
	}
	if statements > SQSPolicyStatements {
		out = append(out, fmt.Sprintf("at most %d statements in an SQS queue policy (this one has %d)", SQSPolicyStatements, statements))
	}
	if bytes > SQSPolicyBytes {
		out = append(out, fmt.Sprintf("an SQS queue policy of at most %d bytes (this one is %d)", SQSPolicyBytes, bytes))
	}
	return out
}

// BrokerAccounts checks the ingest queue's policy, which names every broker
// account as a principal, beside the "*" of the statement that refuses
// requests without TLS.
func BrokerAccounts(count int) string {
	// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html
	if count+1 <= SQSPolicyPrincipals {
		return ""
	}
	return fmt.Sprintf("at most %d broker accounts: the ingest queue's policy names each as a principal, and the TLS-only statement's \"*\" besides, and SQS queue policies take %d principals (%d listed)", SQSPolicyPrincipals-1, SQSPolicyPrincipals, count)
}

// StackResourceCount checks a template's number of resources.
func StackResourceCount(count int) string {
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
	if count <= StackResources {
		return ""
	}
	return fmt.Sprintf("at most %d resources in a CloudFormation stack (this one has %d): fewer entries of what fills it", StackResources, count)
}

// StackDescription checks a template's description.
func StackDescription(description string) string {
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-description-structure.html
	if n := len(description); n > StackDescriptionBytes {
		return fmt.Sprintf("a stack description of at most %d bytes (this one is %d)", StackDescriptionBytes, n)
	}
	return ""
}

// AlarmName checks an alarm name's length, prefix included.
func AlarmName(name string) string {
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	if n := len([]rune(name)); n == 0 || n > AlarmNameLength {
		return fmt.Sprintf("an alarm name of 1 to %d characters (%q is %d)", AlarmNameLength, Truncate(name), n)
	}
	return ""
}

// AlarmDatapoints checks an alarm's M of N, after defaults and overrides.
func AlarmDatapoints(datapoints, periods int) string {
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	if datapoints >= 1 && datapoints <= periods {
		return ""
	}
	return fmt.Sprintf("datapointsToAlarm from 1 to evaluationPeriods: the alarm would evaluate %d periods and need %d breaching; set both, or a datapointsToAlarm of at most %d", periods, datapoints, periods)
}

// AlarmEvaluationRange checks an alarm's evaluation periods of
// periodSeconds each: CloudWatch evaluates at most one day for a period
// under an hour, seven days otherwise.
func AlarmEvaluationRange(periodSeconds, periods int) string {
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html (Period)
	most := 86400
	if periodSeconds >= 3600 {
		most = 7 * 86400
	}
	if periods >= 1 && periods*periodSeconds <= most {
		return ""
	}
	return fmt.Sprintf("1 to %d evaluation periods: the alarm's periods are %d s, and CloudWatch evaluates at most %d s", most/periodSeconds, periodSeconds, most)
}

// WholeNumber checks a value CloudFormation types as an integer.
func WholeNumber(v float64, what string) string {
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-usageplan-throttlesettings.html
	if v == math.Trunc(v) && math.Abs(v) < maxWholeNumber {
		return ""
	}
	return fmt.Sprintf("a whole number: API Gateway takes %s as an integer", what)
}

var wafMetricName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// WAFMetricName checks a web ACL's or rule's CloudWatch metric name.
func WAFMetricName(name string) string {
	// https://docs.aws.amazon.com/waf/latest/APIReference/API_VisibilityConfig.html
	if len(name) >= 1 && len(name) <= WAFMetricNameLength && wafMetricName.MatchString(name) && name != "All" && name != "Default_Action" {
		return ""
	}
	return fmt.Sprintf("a WAF metric name of 1 to %d letters, digits, - or _ (no spaces or dots): %q", WAFMetricNameLength, Truncate(name))
}

// ContentSecurityPolicy checks the CSP of a CloudFront response headers policy.
func ContentSecurityPolicy(csp string) string {
	// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html
	if n := len(csp); n > CloudFrontCSPLength {
		return fmt.Sprintf("a Content-Security-Policy of at most %d characters (CloudFront response headers policies); this one is %d", CloudFrontCSPLength, n)
	}
	return ""
}

// Truncate shortens s to 60 characters for a problem's message.
func Truncate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
