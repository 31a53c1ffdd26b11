// Package guard holds the platform's own "nothing lost" rules, which no
// generic checker knows, and the validation plugin that runs them inside
// every synthesis, so that `cdk synth` itself fails when one is broken.
//
// Each rule is a small pure function over the synthesized templates of the
// whole app (some guarantees span regions), tested with a compliant and a
// non-compliant case.
package guard

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/regions"
)

// Stack is one synthesized stack as the rules see it: its name, region and
// template.
type Stack = cfn.Stack

// Violation is one broken guarantee.
type Violation struct {
	// Rule is the ID of the rule broken; Rule.Run sets it.
	Rule      string
	Stack     string
	LogicalID string
	Message   string
}

// String is the violation as one line: "[rule] stack/logical ID: message".
func (v Violation) String() string {
	return fmt.Sprintf("[%s] %s/%s: %s", v.Rule, v.Stack, v.LogicalID, v.Message)
}

// Rule is one guarantee.
type Rule struct {
	ID          string
	Description string
	// Check finds the violations of the guarantee.
	Check func(stacks []Stack) []Violation
}

// Run checks the rule; every violation it finds carries the rule's ID.
func (r Rule) Run(stacks []Stack) []Violation {
	out := r.Check(stacks)
	for i := range out {
		out[i].Rule = r.ID
	}
	return out
}

// Rules are every guarantee, in the order they are reported.
var Rules = []Rule{
	{"queue-has-dlq", "Every queue has a dead-letter queue or is one, or declares that it stalls instead (then its age alarm is required).", queueHasDLQ},
	{"queue-alarmed", "Every dead-letter and working queue has its alarms, with ALARM and OK actions.", queueAlarmed},
	{"subscription-redrive", "Every SNS-to-SQS subscription has a redrive policy to a dead-letter queue.", subscriptionRedrive},
	{"cmk-permits-writers", "Every queue and topic is encrypted with a customer-managed key of its stack, whose policy lets every principal the queue lets send and denies nothing they need.", cmkPermitsWriters},
	{"fifo-consistent", "FIFO is consistent along each path: topic and subscribed queue, queue and its dead-letter queue, subscription and its dead-letter queue.", fifoConsistent},
	{"opt-in-principal", "Deliveries from SNS that involve an opt-in region trust that region's SNS principal.", optInPrincipal},
}

// Check runs every rule.
func Check(stacks []Stack) []Violation {
	stacks = slices.SortedFunc(slices.Values(stacks), func(a, b Stack) int { return strings.Compare(a.Name, b.Name) })
	var out []Violation
	for _, r := range Rules {
		out = append(out, r.Run(stacks)...)
	}
	return out
}

func queueHasDLQ(stacks []Stack) []Violation {
	dlqs := cfn.FindDeadLetterQueues(stacks)
	var out []Violation
	for _, s := range stacks {
		for _, q := range s.Template.Resources("AWS::SQS::Queue") {
			switch q.Ordering() {
			case cfn.OrderingStall:
				// Accepted instead of a DLQ: queue-alarmed checks its age alarm.
				if q.Props["RedrivePolicy"] != nil {
					out = append(out, Violation{Stack: s.Name, LogicalID: q.LogicalID, Message: "queue declares the stall ordering policy but has a redrive policy: a message moved to its DLQ would be overtaken by later messages of its group"})
				}
				continue
			case cfn.OrderingParking:
				continue
			}
			if q.Props["RedrivePolicy"] == nil && !dlqs.Has(s.Name, q) {
				out = append(out, Violation{Stack: s.Name, LogicalID: q.LogicalID, Message: "queue has no redrive policy, declares no ordering policy (" + cfn.OrderingMetadata + ") and no queue or subscription uses it as a dead-letter queue"})
			}
		}
	}
	return out
}

func queueAlarmed(stacks []Stack) []Violation {
	var out []Violation
	for _, f := range alarms.CheckCoverage(stacks) {
		if f.Type == "AWS::SQS::Queue" || f.Gap == alarms.GapNoActions {
			out = append(out, Violation{Stack: f.Stack, LogicalID: f.LogicalID, Message: f.Message})
		}
	}
	return out
}

func subscriptionRedrive(stacks []Stack) []Violation {
	var out []Violation
	for _, s := range stacks {
		for _, sub := range s.Template.Resources("AWS::SNS::Subscription") {
			if sub.Props["Protocol"] != "sqs" {
				continue
			}
			rp, _ := sub.Props["RedrivePolicy"].(map[string]any)
			if rp == nil || rp["deadLetterTargetArn"] == nil {
				out = append(out, Violation{Stack: s.Name, LogicalID: sub.LogicalID, Message: "SQS subscription has no redrive policy: undeliverable messages would be dropped"})
			}
		}
	}
	return out
}

// principals of a statement, as "Service:x" and "AWS:<arn or token text>".
func principals(stmt map[string]any) []string {
	p, _ := stmt["Principal"].(map[string]any)
	var out []string
	for _, kind := range []string{"Service", "AWS"} {
		switch v := p[kind].(type) {
		case string, map[string]any:
			out = append(out, kind+":"+cfn.ARN(v))
		case []any:
			for _, e := range v {
				out = append(out, kind+":"+cfn.ARN(e))
			}
		}
	}
	return out
}

func allows(stmt map[string]any, action string) bool {
	return stmt["Effect"] == "Allow" && covers(stmt, action)
}

// covers tells whether the statement's Action (or NotAction) takes in action.
func covers(stmt map[string]any, action string) bool {
	match := func(patterns any) bool {
		return slices.ContainsFunc(cfn.Strings(patterns), func(a string) bool {
			return a == action || a == "*" || (strings.HasSuffix(a, "*") && strings.HasPrefix(action, strings.TrimSuffix(a, "*")))
		})
	}
	if stmt["NotAction"] != nil {
		return !match(stmt["NotAction"])
	}
	return match(stmt["Action"])
}

func cmkPermitsWriters(stacks []Stack) []Violation {
	var out []Violation
	for _, s := range stacks {
		t := s.Template
		keys := map[string]cfn.Resource{}
		for _, k := range t.Resources("AWS::KMS::Key") {
			keys[k.LogicalID] = k
		}
		keyOf := map[string]string{} // queue logical ID -> key logical ID
		for _, typ := range []string{"AWS::SQS::Queue", "AWS::SNS::Topic"} {
			for _, r := range t.Resources(typ) {
				k := cfn.Ref(r.Props["KmsMasterKeyId"])
				if _, ok := keys[k]; !ok {
					out = append(out, Violation{Stack: s.Name, LogicalID: r.LogicalID, Message: fmt.Sprintf("not encrypted with a customer-managed key of this stack (KmsMasterKeyId %v)", r.Props["KmsMasterKeyId"])})
					continue
				}
				keyOf[r.LogicalID] = k
			}
		}
		// A Deny may take back what the Allows give, under conditions the
		// guard does not evaluate: the keys of queues and topics have none
		// on what their writers need.
		for _, k := range slices.Compact(slices.Sorted(maps.Values(keyOf))) {
			for _, ks := range cfn.Statements(keys[k].Props["KeyPolicy"]) {
				if ks["Effect"] == "Deny" && (covers(ks, "kms:GenerateDataKey") || covers(ks, "kms:Decrypt")) {
					out = append(out, Violation{Stack: s.Name, LogicalID: k, Message: fmt.Sprintf("the key of queues or topics denies kms:GenerateDataKey or kms:Decrypt (statement %v): the guard cannot prove their writers may encrypt, nor their readers decrypt", ks["Sid"])})
				}
			}
		}
		for _, pol := range t.Resources("AWS::SQS::QueuePolicy") {
			queues, _ := pol.Props["Queues"].([]any)
			for _, q := range queues {
				k, ok := keyOf[cfn.Ref(q)]
				if !ok {
					continue
				}
				encrypts := map[string]bool{} // the principals the key lets encrypt
				for _, ks := range cfn.Statements(keys[k].Props["KeyPolicy"]) {
					if allows(ks, "kms:GenerateDataKey") {
						for _, p := range principals(ks) {
							encrypts[p] = true
						}
					}
				}
				for _, st := range cfn.Statements(pol.Props["PolicyDocument"]) {
					if !allows(st, "sqs:SendMessage") {
						continue
					}
					for _, p := range principals(st) {
						if !encrypts[p] {
							out = append(out, Violation{Stack: s.Name, LogicalID: cfn.Ref(q), Message: fmt.Sprintf("%s may send to the queue but its key %s does not let it encrypt (kms:GenerateDataKey*)", p, k)})
						}
					}
				}
			}
		}
	}
	return out
}

func fifoConsistent(stacks []Stack) []Violation {
	var out []Violation
	for _, s := range stacks {
		t := s.Template
		fifo := map[string]bool{}
		for _, q := range t.Resources("AWS::SQS::Queue") {
			fifo[q.LogicalID] = q.Props["FifoQueue"] == true
		}
		for _, q := range t.Resources("AWS::SQS::Queue") {
			if d, _ := q.DeadLetterQueue(); d != "" && fifo[d] != fifo[q.LogicalID] {
				out = append(out, Violation{Stack: s.Name, LogicalID: q.LogicalID, Message: fmt.Sprintf("queue FIFO=%t but its dead-letter queue %s FIFO=%t", fifo[q.LogicalID], d, fifo[d])})
			}
		}
		for _, sub := range t.Resources("AWS::SNS::Subscription") {
			if sub.Props["Protocol"] != "sqs" {
				continue
			}
			topic := cfn.ARN(sub.Props["TopicArn"])
			topicFIFO := strings.HasSuffix(topic, ".fifo")
			if id := cfn.Ref(sub.Props["Endpoint"]); id != "" {
				if _, known := fifo[id]; known && fifo[id] != topicFIFO {
					out = append(out, Violation{Stack: s.Name, LogicalID: sub.LogicalID, Message: fmt.Sprintf("topic %s FIFO=%t but subscribed queue %s FIFO=%t: per-account order would be lost or the subscription would fail", topic, topicFIFO, id, fifo[id])})
				}
			}
			if _, d := sub.DeadLetterQueue(); d != "" && strings.HasSuffix(d, ".fifo") != topicFIFO {
				out = append(out, Violation{Stack: s.Name, LogicalID: sub.LogicalID, Message: fmt.Sprintf("topic FIFO=%t but the subscription's dead-letter queue %s is not", topicFIFO, d)})
			}
		}
	}
	return out
}

func optInPrincipal(stacks []Stack) []Violation {
	var out []Violation
	for _, s := range stacks {
		check := func(r cfn.Resource, doc any) {
			for _, st := range cfn.Statements(doc) {
				cond, _ := st["Condition"].(map[string]any)
				var source string
				for _, op := range []string{"ArnEquals", "ArnLike"} {
					if m, ok := cond[op].(map[string]any); ok {
						source = cfn.ARN(m["aws:SourceArn"])
					}
				}
				if !strings.Contains(source, ":sns:") {
					continue
				}
				trusted := principals(st)
				for _, region := range slices.Compact([]string{cfn.ARNRegion(source), s.Region}) {
					if regions.OptIn(region) && !slices.Contains(trusted, "Service:sns."+region+".amazonaws.com") {
						out = append(out, Violation{Stack: s.Name, LogicalID: r.LogicalID, Message: fmt.Sprintf("delivery from %s involves opt-in region %s but the policy does not trust sns.%s.amazonaws.com", cfn.ARNName(source), region, region)})
					}
				}
			}
		}
		for _, p := range s.Template.Resources("AWS::SQS::QueuePolicy") {
			check(p, p.Props["PolicyDocument"])
		}
		for _, k := range s.Template.Resources("AWS::KMS::Key") {
			check(k, k.Props["KeyPolicy"])
		}
	}
	return out
}
