package awsrules

import (
	"net/mail"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

var (
	accountID  = regexp.MustCompile(`^[0-9]{12}$`)
	domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool { return accountID.MatchString(s) }

// IsEmail reports whether s is a plain address (no display name) with a
// dotted domain, as an SNS e-mail subscription needs.
func IsEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@")+1:], ".")
}

// IsDomainName reports whether s is a lower-case DNS name such as
// api.example.com, at most 253 characters.
func IsDomainName(s string) bool { return len(s) <= 253 && domainName.MatchString(s) }

// ARN checks that s is an ARN of the service whose resource starts with
// resourcePrefix (e.g. "userpool/", "function:") followed by a non-empty id,
// with a region and an account. It returns "" or what is wrong.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func ARN(s, service, resourcePrefix string) string {
	a, err := arn.Parse(s)
	switch {
	case err != nil:
		return "not an ARN (" + err.Error() + ")"
	case a.Service != service:
		return "an ARN of service " + a.Service + ", not " + service
	case a.Region == "":
		return "an ARN without a region"
	case !IsAccountID(a.AccountID):
		return "an ARN without a 12-digit account"
	case !strings.HasPrefix(a.Resource, resourcePrefix) || len(a.Resource) == len(resourcePrefix):
		return "an ARN whose resource is not " + resourcePrefix + "<id>"
	}
	return ""
}
