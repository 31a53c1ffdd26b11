// Package valid holds the predicates every layer checks its input with:
// account ids, partitions, e-mail addresses and DNS names, written once. It imports
// nothing of the project, so the configuration, the constructs and the AWS
// rules can all use it.
package valid

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
)

var (
	accountID  = regexp.MustCompile(`^[0-9]{12}$`)
	partition  = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// AccountID reports whether s is a 12-digit AWS account id.
func AccountID(s string) bool { return accountID.MatchString(s) }

// Partition reports whether s is an AWS partition as an ARN names it: aws,
// aws-cn, aws-us-gov, aws-iso-b and the like
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
func Partition(s string) bool { return partition.MatchString(s) }

// Email reports whether s is a plain address (no display name) with a
// dotted domain, as an SNS e-mail subscription needs.
func Email(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@")+1:], ".")
}

// HTTPSURL reports whether s is an https:// URL with a host, as an SNS
// https subscription's endpoint needs.
func HTTPSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// DomainName reports whether s is a lower-case DNS name such as
// api.example.com, at most 253 characters.
func DomainName(s string) bool { return len(s) <= 253 && domainName.MatchString(s) }

// InZone reports whether the DNS name domain is the hosted zone zone or a
// name under it: Route 53 refuses a record of another zone's name
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
func InZone(domain, zone string) bool {
	zone = strings.TrimSuffix(zone, ".")
	return domain == zone || strings.HasSuffix(domain, "."+zone)
}
