// Package regions knows the AWS regions the platform may run in, how Amazon
// SNS treats each for cross-region delivery, and the partition of any region.
package regions

import "strings"

// regionInfo describes an AWS commercial region this app may run in.
type regionInfo struct {
	// optIn is true where Amazon SNS requires the regional service principal
	// (sns.<region>.amazonaws.com) for cross-region delivery: the regions the
	// SNS developer guide lists as opt-in, which includes every region launched
	// after 20 March 2019 and, for SNS, Osaka.
	optIn bool
}

var knownRegions = map[string]regionInfo{
	"us-east-1": {}, "us-east-2": {}, "us-west-1": {}, "us-west-2": {},
	"ca-central-1": {}, "sa-east-1": {},
	"eu-west-1": {}, "eu-west-2": {}, "eu-west-3": {}, "eu-central-1": {}, "eu-north-1": {},
	"ap-south-1": {}, "ap-northeast-1": {}, "ap-northeast-2": {},
	"ap-southeast-1": {}, "ap-southeast-2": {},

	"ap-northeast-3": {optIn: true},
	"af-south-1":     {optIn: true},
	"ap-east-1":      {optIn: true},
	"ap-east-2":      {optIn: true},
	"ap-south-2":     {optIn: true},
	"ap-southeast-3": {optIn: true},
	"ap-southeast-4": {optIn: true},
	"ap-southeast-5": {optIn: true},
	"ap-southeast-6": {optIn: true},
	"ap-southeast-7": {optIn: true},
	"ca-west-1":      {optIn: true},
	"eu-central-2":   {optIn: true},
	"eu-south-1":     {optIn: true},
	"eu-south-2":     {optIn: true},
	"il-central-1":   {optIn: true},
	"me-central-1":   {optIn: true},
	"me-south-1":     {optIn: true},
	"mx-central-1":   {optIn: true},
}

// Known reports whether name is an AWS commercial region this app knows.
func Known(name string) bool {
	_, ok := knownRegions[name]
	return ok
}

// OptIn reports whether Amazon SNS treats the region as opt-in, so that
// cross-region deliveries involving it need the regional service principal.
func OptIn(name string) bool {
	return knownRegions[name].optIn
}

// Edge is where CloudFront's certificates, WAF web ACLs and metrics live.
const Edge = "us-east-1"

// partitions are the partitions other than aws by the start of their
// regions' names, longest first (the AWS SDKs' partition metadata).
var partitions = []struct{ prefix, partition string }{
	{"us-isob-", "aws-iso-b"},
	{"us-isof-", "aws-iso-f"},
	{"eu-isoe-", "aws-iso-e"},
	{"us-gov-", "aws-us-gov"},
	{"us-iso-", "aws-iso"},
	{"eusc-", "aws-eusc"},
	{"cn-", "aws-cn"},
}

// Partition is the partition of the named region, which the ARNs of its
// resources start with: aws-cn for cn-north-1, aws for every commercial
// region.
func Partition(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}
