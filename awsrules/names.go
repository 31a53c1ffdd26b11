package awsrules

import (
	"fmt"
	"sort"
	"strings"
)

// Kinds of named resources, as CloudFormation types.
const (
	KindQueue     = "AWS::SQS::Queue"
	KindTopic     = "AWS::SNS::Topic"
	KindAlarm     = "AWS::CloudWatch::Alarm" // composite alarms share the namespace
	KindDashboard = "AWS::CloudWatch::Dashboard"
	KindAlias     = "AWS::KMS::Alias"
	KindLogGroup  = "AWS::Logs::LogGroup"
	KindRole      = "AWS::IAM::Role"
	KindWebACL    = "AWS::WAFv2::WebACL"
	KindUsagePlan = "AWS::ApiGateway::UsagePlan"
)

// NameProperty is the property holding each kind's physical name.
var NameProperty = map[string]string{
	KindQueue: "QueueName", KindTopic: "TopicName", KindAlarm: "AlarmName", "AWS::CloudWatch::CompositeAlarm": "AlarmName",
	KindDashboard: "DashboardName", KindAlias: "AliasName", KindLogGroup: "LogGroupName", KindRole: "RoleName",
	KindWebACL: "Name", KindUsagePlan: "UsagePlanName",
}

// kindWords is what a message calls each kind.
var kindWords = map[string]string{
	KindQueue: "the queue", KindTopic: "the topic", KindAlarm: "the alarm", KindDashboard: "the dashboard", KindAlias: "the KMS alias",
	KindLogGroup: "the log group", KindRole: "the IAM role", KindWebACL: "the web ACL", KindUsagePlan: "the usage plan",
}

// Name is one physical name the app creates.
type Name struct {
	Kind    string // one of the Kind constants
	Account string
	Region  string
	Scope   string // web ACLs: CLOUDFRONT or REGIONAL
	Name    string
	// Owner says who creates it, for the message: a configuration field
	// ("fanout.consumers[3].name") or a stack and construct.
	Owner string
}

// Namespace is where a kind's names must be unique: per account for IAM
// roles and CloudWatch dashboards (global resources), per account, region
// and scope for web ACLs, per account and region for the others.
func (n Name) Namespace() string {
	switch n.Kind {
	case KindRole, KindDashboard:
		return n.Kind + " in account " + n.Account
	case KindWebACL:
		return n.Kind + " (" + n.Scope + ") in " + n.Account + "/" + n.Region
	case "AWS::CloudWatch::CompositeAlarm":
		return KindAlarm + " in " + n.Account + "/" + n.Region
	}
	return n.Kind + " in " + n.Account + "/" + n.Region
}

// Collision is a physical name two or more resources would take.
type Collision struct {
	Namespace, Name string
	Owners          []string // in the order given
}

// Want is the message for the problem's "want" part.
func (c Collision) Want() string {
	kind, _, _ := strings.Cut(c.Namespace, " ")
	return fmt.Sprintf("a name whose resources no other resource names: %s %q is taken by %s already (names are unique per %s, so CloudFormation would refuse the second)",
		kindWords[kind], c.Name, c.Owners[0], c.Namespace)
}

// Collisions finds the physical names taken more than once in a namespace.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
// (queue names are unique per account and region), and the pages of the
// other kinds cited in Rules.
func Collisions(names []Name) []Collision {
	type key struct{ ns, name string }
	owners := map[key][]string{}
	var order []key
	for _, n := range names {
		k := key{n.Namespace(), n.Name}
		if _, ok := owners[k]; !ok {
			order = append(order, k)
		}
		owners[k] = append(owners[k], n.Owner)
	}
	var out []Collision
	for _, k := range order {
		if len(owners[k]) > 1 {
			out = append(out, Collision{Namespace: k.ns, Name: k.name, Owners: owners[k]})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}
