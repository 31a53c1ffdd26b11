package awsrules

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/brokerage/platform/valid"
)

// ARN checks that s is an ARN, of any partition, of the service whose
// resource starts with resourcePrefix (e.g. "userpool/", "function:")
// followed by a non-empty id, with a region and an account. It returns "" or
// what is wrong.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func ARN(s, service, resourcePrefix string) string {
	a, err := arn.Parse(s)
	switch {
	case err != nil:
		return "not an ARN (" + err.Error() + ")"
	case !valid.Partition(a.Partition):
		return "an ARN of no AWS partition (" + a.Partition + ")"
	case a.Service != service:
		return "an ARN of service " + a.Service + ", not " + service
	case a.Region == "":
		return "an ARN without a region"
	case !valid.AccountID(a.AccountID):
		return "an ARN without a 12-digit account"
	case !strings.HasPrefix(a.Resource, resourcePrefix) || len(a.Resource) == len(resourcePrefix):
		return "an ARN whose resource is not " + resourcePrefix + "<id>"
	}
	return ""
}
