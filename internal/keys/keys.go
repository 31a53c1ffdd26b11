// Package keys creates the platform's customer-managed KMS keys, all alike:
// yearly rotation, a 30-day deletion window, an alias, and grants to AWS
// services pinned to the resource they act for.
package keys

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// New creates a customer-managed key with rotation on. The account's root
// keeps administration (aws-cdk-lib's default key policy).
//
// Example:
//
//	key := keys.New(stack, "Key", "alias/brokerage-prod/alarms", "Encrypts the alarm topic", awscdk.RemovalPolicy_RETAIN)
//	keys.AllowService(key, "AllowCloudWatchAlarms", keys.ServicePrincipals("cloudwatch.amazonaws.com"), "ArnLike", alarmARNs)
func New(scope constructs.Construct, id, alias, description string, removal awscdk.RemovalPolicy) awskms.Key {
	return awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Alias:             jsii.String(alias),
		Description:       jsii.String(description),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	})
}

// ServicePrincipals are the named service principals: created once, they
// serve every statement that names them.
func ServicePrincipals(names ...string) *[]awsiam.IPrincipal {
	ps := make([]awsiam.IPrincipal, len(names))
	for i, n := range names {
		ps[i] = awsiam.NewServicePrincipal(jsii.String(n), nil)
	}
	return &ps
}

// AllowService lets the service principals (ServicePrincipals) encrypt and
// decrypt with the key, only on behalf of the resources whose ARN matches
// sourceARN (operator is "ArnEquals" or "ArnLike").
func AllowService(key awskms.Key, sid string, principals *[]awsiam.IPrincipal, operator string, sourceARN *string) {
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: principals,
		Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{operator: map[string]any{"aws:SourceArn": sourceARN}},
	}), nil)
}
