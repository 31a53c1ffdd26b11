// Package site serves the desktop web platform from a private S3 bucket
// through CloudFront, for customers in the configured markets.
//
// The construct belongs in us-east-1 (the edge stack): CloudFront's
// certificates, CLOUDFRONT-scope WAF web ACLs and metrics only exist there,
// so the bucket, distribution, certificate, web ACL and alarms live together
// and no cross-region reference is needed.
package site

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/domain"
	"github.com/brokerage/platform/internal/guard"
	"github.com/brokerage/platform/internal/suppress"
	"github.com/brokerage/platform/internal/waf"
	"github.com/brokerage/platform/problems"
)

// DefaultContentSecurityPolicy allows the site's own scripts, styles and
// images and calls to https APIs, nothing inline, no framing.
const DefaultContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; connect-src 'self' https:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

// HashedAssetsPrefix holds content-hashed files (e.g. app.3f9a1c.js): cached
// for a year, never invalidated. Everything else is cached for a minute.
const HashedAssetsPrefix = "assets/"

// Props configures a StaticSite. Every prop but ContentDir and Alarms has a
// default.
type Props struct {
	// ContentDir is the folder deployed to the bucket, relative to the
	// working directory as aws-cdk-lib's asset paths are. Required; it must
	// exist.
	ContentDir string
	// Alarms is the alarms construct of the stack's region: it watches the
	// distribution, the bucket and the Lambda handlers the site adds to the
	// stack with the catalogue's alarms of their kinds. CloudFront publishes
	// its metrics in us-east-1 only: build the site there. Required.
	Alarms *alarms.Alarms
	// Description names the site in the distribution's comment. Default:
	// "Static site".
	Description string
	// Markets are the ISO 3166-1 alpha-2 countries served, e.g. AU, NZ, GB,
	// BR; they choose the cheapest price class that reaches all of them.
	// Default: none named, every edge location (PriceClass_All).
	Markets []string
	// GeoAllowList, when set, restricts viewers to these countries. Default:
	// no restriction.
	GeoAllowList []string
	// SPAFallback answers 403 and 404 with /index.html (200) so client-side
	// routes work. Default: false.
	SPAFallback bool
	// ContentSecurityPolicy header. Default: DefaultContentSecurityPolicy.
	ContentSecurityPolicy string
	// DomainName serves the site under a custom name with an ACM certificate
	// (DNS-validated) and Route 53 alias records. Requires HostedZoneID and
	// HostedZoneName. Default: the CloudFront domain only.
	DomainName     string
	HostedZoneID   string
	HostedZoneName string
	// WAF attaches a CLOUDFRONT-scope web ACL with AWS managed rule groups
	// (common rules, known bad inputs, IP reputation). Default: false.
	WAF bool
	// HSTSPreload adds preload to the Strict-Transport-Security header,
	// asking browsers' preload lists to hold the domain (and its
	// subdomains) to HTTPS for good: a decision for the domain's owner.
	// Default: false.
	HSTSPreload bool
	// RemovalPolicy of the buckets. Default: RETAIN. DESTROY also empties
	// them (every object version) when the stack is deleted, so that the
	// deletion succeeds: CloudFormation cannot delete a bucket that holds
	// objects. This adds aws-cdk-lib's auto-delete custom resource and its
	// Lambda function to the stack (see AutoDeleteHandlerID).
	RemovalPolicy awscdk.RemovalPolicy
}

// Validate reports every problem of the props at once, naming fields with prefix.
func (p *Props) Validate(prefix string) error {
	l := problems.List{Subject: "configuration"}
	if p.ContentDir == "" {
		l.Add(prefix+"contentDir", p.ContentDir, "the folder of the site's content")
	} else if st, err := os.Stat(p.ContentDir); err != nil || !st.IsDir() {
		l.Add(prefix+"contentDir", p.ContentDir, "an existing folder (relative to the project root)")
	}
	for i, m := range p.Markets {
		if !KnownCountry(m) {
			l.Add(fmt.Sprintf("%smarkets[%d]", prefix, i), m, "an ISO 3166-1 alpha-2 country code such as AU, NZ, GB or BR")
		}
	}
	if want := awsrules.ContentSecurityPolicy(p.ContentSecurityPolicy); want != "" {
		l.Add(prefix+"contentSecurityPolicy", awsrules.Truncate(p.ContentSecurityPolicy), want)
	}
	for i, m := range p.GeoAllowList {
		if !KnownCountry(m) {
			l.Add(fmt.Sprintf("%sgeoAllowList[%d]", prefix, i), m, "an ISO 3166-1 alpha-2 country code such as AU, NZ, GB or BR")
		}
	}
	domain.Check(&l, prefix, p.DomainName, p.HostedZoneID, p.HostedZoneName, "www.example.com")
	return l.Err()
}

// StaticSite is a private bucket served by CloudFront with Origin Access
// Control, HTTPS only, HTTP/2 and HTTP/3, compression, security headers,
// standard logging, and the site's content deployed from ContentDir.
//
// Example:
//
//	s := site.New(edgeStack, "Site", &site.Props{
//		ContentDir: "web",
//		Markets:    []string{"AU", "NZ", "GB", "BR"}, // PriceClass_All: _100/_200 miss AU and BR
//		SPAFallback: true,
//		WAF:        true,
//	})
//	s.MetricErrorRate5xx(nil)
type StaticSite struct {
	constructs.Construct
	// Bucket holds the content; only the distribution may read it.
	Bucket awss3.Bucket
	// LogBucket receives the bucket's access logs and CloudFront's standard logs.
	LogBucket awss3.Bucket
	// Distribution serves the site.
	Distribution awscloudfront.Distribution
	// WebACL is the WAF web ACL, when Props.WAF.
	WebACL awswafv2.CfnWebACL
	// Certificate is the custom domain's certificate, when Props.DomainName.
	Certificate awscertificatemanager.Certificate
	// PriceClass chosen for the markets.
	PriceClass string
	// Deployments copy the content: hashed assets and pages, with their cache headers.
	Deployments []awss3deployment.BucketDeployment
}

// New builds the site. It panics with a *problems.Error listing every invalid prop.
func New(scope constructs.Construct, id string, props *Props) *StaticSite {
	if err := props.Validate(""); err != nil {
		panic(err)
	}
	if props.Alarms == nil {
		l := problems.List{Subject: "site.Props"}
		l.Add("alarms", nil, "the alarms construct of the stack's region (alarms.New): the guard refuses a site nobody watches")
		panic(l.Err())
	}
	p := props.withDefaults()
	c := constructs.NewConstruct(scope, jsii.String(id))
	guard.Install(c)
	s := &StaticSite{Construct: c, PriceClass: PriceClassFor(p.Markets)}
	s.addBuckets(p)
	dist := s.distributionProps(p)
	var zone awsroute53.IHostedZone
	if p.DomainName != "" {
		zone = s.addCertificate(p, dist)
	}
	if p.WAF {
		s.WebACL = waf.NewManagedRulesACL(c, "WebACL", "CLOUDFRONT", "site")
		dist.WebAclId = s.WebACL.AttrArn()
	}
	s.Distribution = awscloudfront.NewDistribution(c, jsii.String("Distribution"), dist)
	s.suppressDistribution(p)
	if zone != nil {
		target := awsroute53.RecordTarget_FromAlias(awsroute53targets.NewCloudFrontTarget(s.Distribution))
		awsroute53.NewARecord(c, jsii.String("AliasA"), &awsroute53.ARecordProps{Zone: zone, RecordName: jsii.String(p.DomainName), Target: target})
		awsroute53.NewAaaaRecord(c, jsii.String("AliasAAAA"), &awsroute53.AaaaRecordProps{Zone: zone, RecordName: jsii.String(p.DomainName), Target: target})
	}
	s.addDeployments(p)
	s.watch(p.Alarms)
	return s
}

// withDefaults is a copy of p with every unset default filled in.
func (p *Props) withDefaults() *Props {
	d := *p
	d.RemovalPolicy = cmp.Or(d.RemovalPolicy, awscdk.RemovalPolicy_RETAIN)
	d.ContentSecurityPolicy = cmp.Or(d.ContentSecurityPolicy, DefaultContentSecurityPolicy)
	d.Description = cmp.Or(d.Description, "Static site")
	return &d
}

func (s *StaticSite) addBuckets(p *Props) {
	// A versioned bucket with objects (or old versions) in it fails
	// CloudFormation's delete (DELETE_FAILED); autoDeleteObjects empties it
	// first, and needs the DESTROY policy:
	// https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3.Bucket.html#autodeleteobjects,
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
	autoDelete := jsii.Bool(p.RemovalPolicy == awscdk.RemovalPolicy_DESTROY)
	s.LogBucket = awss3.NewBucket(s.Construct, jsii.String("LogBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		// CloudFront standard logging writes with ACLs.
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		RemovalPolicy:     p.RemovalPolicy,
		AutoDeleteObjects: autoDelete,
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(400)), NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30))}},
	})
	suppress.Resource(s.LogBucket).
		Nag("AwsSolutions-S1", "This is the log bucket: logging its own access would log forever.").
		Checkov("CKV_AWS_18", "This is the log bucket: logging its own access would log forever.").
		Record()

	s.Bucket = awss3.NewBucket(s.Construct, jsii.String("Bucket"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Versioned:              jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: s.LogBucket,
		ServerAccessLogsPrefix: jsii.String("s3/"),
		RemovalPolicy:          p.RemovalPolicy,
		AutoDeleteObjects:      autoDelete,
		// Request metrics for the 4xx/5xx alarms.
		Metrics: &[]*awss3.BucketMetrics{{Id: jsii.String("EntireBucket")}},
	})
}

// securityHeaders is the response headers policy of every behavior.
func (s *StaticSite) securityHeaders(p *Props) awscloudfront.ResponseHeadersPolicy {
	return awscloudfront.NewResponseHeadersPolicy(s.Construct, jsii.String("Headers"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Security headers: " + p.Description),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(730)), IncludeSubdomains: jsii.Bool(true), Preload: jsii.Bool(p.HSTSPreload), Override: jsii.Bool(true)},
			ContentSecurityPolicy:   &awscloudfront.ResponseHeadersContentSecurityPolicy{ContentSecurityPolicy: jsii.String(p.ContentSecurityPolicy), Override: jsii.Bool(true)},
			ContentTypeOptions:      &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions:            &awscloudfront.ResponseHeadersFrameOptions{FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)},
			ReferrerPolicy:          &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true)},
			XssProtection:           &awscloudfront.ResponseHeadersXSSProtection{Protection: jsii.Bool(true), ModeBlock: jsii.Bool(true), Override: jsii.Bool(true)},
		},
	})
}

// distributionProps are the distribution's settings without its certificate
// and web ACL; caching as HashedAssetsPrefix says.
func (s *StaticSite) distributionProps(p *Props) *awscloudfront.DistributionProps {
	headers := s.securityHeaders(p)
	pages := awscloudfront.NewCachePolicy(s.Construct, jsii.String("PagesCache"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("index.html and other unhashed files: a minute at the edge"),
		DefaultTtl:                 awscdk.Duration_Seconds(jsii.Number(60)),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		MaxTtl:                     awscdk.Duration_Minutes(jsii.Number(5)),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
	origin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(s.Bucket, nil)
	behavior := func(cache awscloudfront.ICachePolicy) *awscloudfront.BehaviorOptions {
		return &awscloudfront.BehaviorOptions{
			Origin:                origin,
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			Compress:              jsii.Bool(true),
			CachePolicy:           cache,
			ResponseHeadersPolicy: headers,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
		}
	}
	dist := &awscloudfront.DistributionProps{
		Comment:                  jsii.String(p.Description),
		DefaultBehavior:          behavior(pages),
		AdditionalBehaviors:      &map[string]*awscloudfront.BehaviorOptions{HashedAssetsPrefix + "*": behavior(awscloudfront.CachePolicy_CACHING_OPTIMIZED())},
		DefaultRootObject:        jsii.String("index.html"),
		HttpVersion:              awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:               map[string]awscloudfront.PriceClass{PriceClass100: awscloudfront.PriceClass_PRICE_CLASS_100, PriceClass200: awscloudfront.PriceClass_PRICE_CLASS_200, PriceClassAll: awscloudfront.PriceClass_PRICE_CLASS_ALL}[s.PriceClass],
		EnableLogging:            jsii.Bool(true),
		LogBucket:                s.LogBucket,
		LogFilePrefix:            jsii.String("cloudfront/"),
		PublishAdditionalMetrics: jsii.Bool(true), // OriginLatency for its alarm
	}
	if len(p.GeoAllowList) > 0 {
		dist.GeoRestriction = awscloudfront.GeoRestriction_Allowlist(*jsii.Strings(p.GeoAllowList...)...)
	}
	if p.SPAFallback {
		dist.ErrorResponses = &[]*awscloudfront.ErrorResponse{
			{HttpStatus: jsii.Number(403), ResponseHttpStatus: jsii.Number(200), ResponsePagePath: jsii.String("/index.html"), Ttl: awscdk.Duration_Seconds(jsii.Number(10))},
			{HttpStatus: jsii.Number(404), ResponseHttpStatus: jsii.Number(200), ResponsePagePath: jsii.String("/index.html"), Ttl: awscdk.Duration_Seconds(jsii.Number(10))},
		}
	}
	return dist
}

func (s *StaticSite) addCertificate(p *Props, dist *awscloudfront.DistributionProps) awsroute53.IHostedZone {
	zone, cert := domain.Certificate(s.Construct, p.DomainName, p.HostedZoneID, p.HostedZoneName)
	s.Certificate = cert
	dist.Certificate = s.Certificate
	dist.DomainNames = jsii.Strings(p.DomainName)
	dist.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
	return zone
}

// suppressDistribution records why the distribution's findings that the
// configuration chose do not apply.
func (s *StaticSite) suppressDistribution(p *Props) {
	findings := suppress.Resource(s.Distribution)
	if p.DomainName == "" {
		why := "Without a custom domain CloudFront serves its own certificate, whose minimum protocol CloudFront sets; with one, TLSv1.2_2021 is required."
		findings.Nag("AwsSolutions-CFR4", why).Checkov("CKV_AWS_174", why)
	}
	if !p.WAF {
		why := "The web ACL is off in this configuration (site.waf); turn it on for production."
		findings.Nag("AwsSolutions-CFR2", why).Checkov("CKV_AWS_68", why)
	}
	if len(p.GeoAllowList) == 0 {
		findings.Nag("AwsSolutions-CFR1", "Served worldwide on purpose: customers travel; markets only choose the price class. Set site.geoAllowList to restrict.")
	}
	findings.
		Checkov("CKV_AWS_310", "One S3 origin: there is no second origin to fail over to; S3's own durability and CloudFront's retries cover it.").
		Checkov("CKV_AWS_305", "DefaultRootObject is index.html.").
		Record()
}

// addDeployments copies the content. Hashed assets never change under the
// same name: cache them for a year and never invalidate them. Pages are
// invalidated on every deploy; only their paths are, so invalidation tracks
// what can change. Prune is off: objects this deployment does not own
// (uploaded by other tools) stay.
func (s *StaticSite) addDeployments(p *Props) {
	assets := awss3deployment.NewBucketDeployment(s.Construct, jsii.String("DeployAssets"), &awss3deployment.BucketDeploymentProps{
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(p.ContentDir), nil)},
		DestinationBucket: s.Bucket,
		Include:           jsii.Strings(HashedAssetsPrefix + "*"),
		Exclude:           jsii.Strings("*"),
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_SetPublic(), awss3deployment.CacheControl_MaxAge(awscdk.Duration_Days(jsii.Number(365))), awss3deployment.CacheControl_Immutable()},
		Prune:             jsii.Bool(false),
		MemoryLimit:       jsii.Number(512),
	})
	pagesDeploy := awss3deployment.NewBucketDeployment(s.Construct, jsii.String("DeployPages"), &awss3deployment.BucketDeploymentProps{
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(p.ContentDir), nil)},
		DestinationBucket: s.Bucket,
		Exclude:           jsii.Strings(HashedAssetsPrefix + "*"),
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_SetPublic(), awss3deployment.CacheControl_MaxAge(awscdk.Duration_Minutes(jsii.Number(1)))},
		Prune:             jsii.Bool(false),
		MemoryLimit:       jsii.Number(512),
	})
	pagesDeploy.Node().AddDependency(assets) // pages refer to assets: upload those first
	s.invalidateOnDeploy(pagesDeploy, pagePaths(p.ContentDir))
	s.Deployments = []awss3deployment.BucketDeployment{assets, pagesDeploy}
}

// invalidateOnDeploy has the deployment invalidate paths of the site's
// distribution, allowed on that distribution only. Given its Distribution
// prop, aws-cdk-lib's BucketDeployment allows its handler to invalidate
// any distribution of the account (cloudfront:CreateInvalidation on "*");
// the handler takes the distribution from the custom resource's
// DistributionId, and CloudFront accepts the distribution's ARN as the
// resource of CreateInvalidation and GetInvalidation
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html).
func (s *StaticSite) invalidateOnDeploy(d awss3deployment.BucketDeployment, paths []string) {
	for _, child := range *d.Node().Children() {
		if cr, ok := child.Node().DefaultChild().(awscdk.CfnResource); ok && *cr.CfnResourceType() == "Custom::CDKBucketDeployment" {
			cr.AddPropertyOverride(jsii.String("DistributionId"), s.Distribution.DistributionId())
			cr.AddPropertyOverride(jsii.String("DistributionPaths"), paths)
		}
	}
	s.Distribution.Grant(d.HandlerRole(), jsii.String("cloudfront:CreateInvalidation"), jsii.String("cloudfront:GetInvalidation"))
}

// pagePaths lists the invalidation paths of every file outside the hashed
// assets, plus "/" for the root object.
func pagePaths(dir string) []string {
	out := []string{"/"}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if !strings.HasPrefix(rel, HashedAssetsPrefix) {
			out = append(out, "/"+rel)
		}
		return nil
	})
	sort.Strings(out[1:])
	return out
}

// Metrics are where the distribution's metrics are (AWS/CloudFront,
// Region=Global, read in us-east-1): its alarms, the overview dashboard and
// the Metric* methods read them.
func (s *StaticSite) Metrics() alarms.Source {
	return alarms.DistributionMetrics(*s.Distribution.DistributionId())
}

// Widgets are the site's dashboard lines: its 5xx error rate against its
// origin latency, as their alarms read them.
func (s *StaticSite) Widgets() []awscloudwatch.IWidget {
	site := s.Metrics()
	return []awscloudwatch.IWidget{alarms.Graph("Site: 5xx error rate (%) and origin latency p90 (ms)",
		alarms.KindDistribution.Metric(site, "5xxErrorRate").Line("5xx %"),
		alarms.KindDistribution.Metric(site, "OriginLatency").Line("origin latency p90"))}
}

// MetricErrorRate5xx is the share of viewer requests answered with a 5xx
// (percent), read in us-east-1 where CloudFront publishes, whichever
// region uses it. By default (opts nil or unset) what the distribution's
// 5xxErrorRate alarm evaluates.
func (s *StaticSite) MetricErrorRate5xx(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return s.metric("5xxErrorRate", opts)
}

// MetricOriginLatency is the time (ms) the origin takes to answer. By
// default the p90 per minute, what the distribution's OriginLatency alarm
// evaluates.
func (s *StaticSite) MetricOriginLatency(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return s.metric("OriginLatency", opts)
}

// metric is the distribution's metric name as its alarm evaluates it, read
// in us-east-1, with opts applied. Not the Distribution's own metric
// methods: they leave out the Region=Global dimension CloudFront publishes
// with, and would read no data.
func (s *StaticSite) metric(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	o := alarms.KindDistribution.MetricOptions(name, opts)
	if o.Region == nil {
		o.Region = jsii.String("us-east-1")
	}
	return alarms.KindDistribution.Metric(s.Metrics(), name).CDK().With(o)
}
