// Package domain is a construct's custom DNS name: the rule for the name
// and the Route 53 hosted zone that holds it, and the zone and
// DNS-validated certificate that serve it. The gateway and the site both
// take one.
package domain

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/valid"
)

// Check adds to l what is wrong with the custom domain name and its hosted
// zone zoneID/zoneName, naming the fields domainName, hostedZoneId and
// hostedZoneName after prefix; example is a name such as api.example.com.
// No name and no zone is no custom domain.
func Check(l *problems.List, prefix, name, zoneID, zoneName, example string) {
	if name == "" {
		if zoneID != "" || zoneName != "" {
			l.Add(prefix+"domainName", name, "a domain name when a hosted zone is given")
		}
		return
	}
	if !valid.DomainName(name) {
		l.Add(prefix+"domainName", name, "a lower-case DNS name such as "+example)
	}
	if zoneID == "" || zoneName == "" {
		l.Add(prefix+"hostedZoneId", zoneID, "the Route 53 hosted zone (hostedZoneId and hostedZoneName) that holds domainName")
	} else if !valid.InZone(name, zoneName) {
		l.Add(prefix+"hostedZoneName", zoneName, "the zone that contains "+name)
	}
}

// Certificate adds to scope the hosted zone zoneID/zoneName ("Zone", by its
// attributes) and a certificate for name ("Certificate") in the scope's
// region, which ACM validates through a record it writes in that zone.
func Certificate(scope constructs.Construct, name, zoneID, zoneName string) (awsroute53.IHostedZone, awscertificatemanager.Certificate) {
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{HostedZoneId: jsii.String(zoneID), ZoneName: jsii.String(zoneName)})
	cert := awscertificatemanager.NewCertificate(scope, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{DomainName: jsii.String(name), Validation: awscertificatemanager.CertificateValidation_FromDns(zone)})
	return zone, cert
}
