// Package waf builds the web ACLs the platform puts in front of CloudFront
// and API Gateway: AWS managed rule groups for IP reputation, common
// exploits and known bad inputs, every request counted in CloudWatch.
package waf

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ManagedRuleGroups are the AWS managed rule groups every web ACL evaluates, in order.
var ManagedRuleGroups = []string{"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}

// NewManagedRulesACL creates a web ACL that allows by default and applies
// ManagedRuleGroups. scope is "CLOUDFRONT" (only in us-east-1) or "REGIONAL".
//
// Example:
//
//	acl := waf.NewManagedRulesACL(stack, "WebACL", "REGIONAL", "brokerage-prod-public")
//	_ = acl.AttrArn()
func NewManagedRulesACL(scope constructs.Construct, id, aclScope, metricName string) awswafv2.CfnWebACL {
	visibility := func(n string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{CloudWatchMetricsEnabled: jsii.Bool(true), MetricName: jsii.String(n), SampledRequestsEnabled: jsii.Bool(true)}
	}
	rules := make([]any, len(ManagedRuleGroups))
	for i, group := range ManagedRuleGroups {
		rules[i] = &awswafv2.CfnWebACL_RuleProperty{
			Name:             jsii.String(group),
			Priority:         jsii.Number(float64(i)),
			OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{VendorName: jsii.String("AWS"), Name: jsii.String(group)}},
			VisibilityConfig: visibility(group),
		}
	}
	return awswafv2.NewCfnWebACL(scope, jsii.String(id), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String(aclScope),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]any{}},
		VisibilityConfig: visibility(metricName),
		Rules:            &rules,
	})
}
