// Package regions knows the AWS regions the platform may run in, how Amazon
// SNS treats each for cross-region delivery, and the partition of any region.
package regions

import "strings"

// knownRegions are the AWS commercial regions this app may run in, each
// true where Amazon SNS requires the regional service principal
// (sns.<region>.amazonaws.com) for cross-region delivery: the regions the
// SNS developer guide lists as opt-in, which includes every region launched
// after 20 March 2019 and, for SNS, Osaka.
var knownRegions = map[string]bool{
	"us-east-1": false, "us-east-2": false, "us-west-1": false, "us-west-2": false,
	"ca-central-1": false, "sa-east-1": false,
	"eu-west-1": false, "eu-west-2": false, "eu-west-3": false, "eu-central-1": false, "eu-north-1": false,
	"ap-south-1": false, "ap-northeast-1": false, "ap-northeast-2": false,
	"ap-southeast-1": false, "ap-southeast-2": false,

	"ap-northeast-3": true, "af-south-1": true, "ap-east-1": true, "ap-east-2": true,
	"ap-south-2": true, "ap-southeast-3": true, "ap-southeast-4": true, "ap-southeast-5": true,
	"ap-southeast-6": true, "ap-southeast-7": true, "ca-west-1": true, "eu-central-2": true,
	"eu-south-1": true, "eu-south-2": true, "il-central-1": true, "me-central-1": true,
	"me-south-1": true, "mx-central-1": true,
}

// Known reports whether name is an AWS commercial region this app knows.
func Known(name string) bool {
	_, ok := knownRegions[name]
	return ok
}

// OptIn reports whether Amazon SNS treats the region as opt-in, so that
// cross-region deliveries involving it need the regional service principal.
func OptIn(name string) bool {
	return knownRegions[name]
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
