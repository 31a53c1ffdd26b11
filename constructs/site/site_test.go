package site

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/alarms/alarmstest"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/problems"
)

var asm *cfn.Assembly

func TestMain(m *testing.M) {
	tmp, _ := os.MkdirTemp("", "site-test")
	app := cfn.NewApp(filepath.Join(tmp, "out"))
	stack := func(name string) (awscdk.Stack, *alarms.Alarms) {
		s := awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-east-1")}})
		return s, alarmstest.New(s, name)
	}
	full, al := stack("full")
	New(full, "Site", &Props{
		ContentDir: "../../web", Alarms: al, Markets: []string{"AU", "NZ", "GB", "BR"}, GeoAllowList: []string{"AU", "NZ", "GB", "BR"},
		SPAFallback: true, WAF: true, DomainName: "www.broker.example.com", HostedZoneID: "Z123", HostedZoneName: "broker.example.com", HSTSPreload: true,
	})
	minimal, al := stack("minimal")
	New(minimal, "Site", &Props{ContentDir: "../../web", Alarms: al, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	asm = cfn.Synth(app)
	rc := m.Run()
	os.RemoveAll(tmp)
	os.Exit(rc)
}

func distConfig(t *testing.T, stack string) map[string]any {
	t.Helper()
	return cfntest.Get(t, asm, stack, "Site/Distribution/Resource").Props["DistributionConfig"].(map[string]any)
}

func TestBucketIsPrivateEncryptedVersionedTLSOnlyLoggedAndRetained(t *testing.T) {
	b := cfntest.Get(t, asm, "full", "Site/Bucket/Resource")
	logs := cfntest.Get(t, asm, "full", "Site/LogBucket/Resource")
	cfntest.Check(t, "public access block", map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}, b.Props["PublicAccessBlockConfiguration"])
	cfntest.Check(t, "encryption", "AES256", b.Props["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"].([]any)[0].(map[string]any)["ServerSideEncryptionByDefault"].(map[string]any)["SSEAlgorithm"])
	cfntest.Check(t, "versioning", map[string]any{"Status": "Enabled"}, b.Props["VersioningConfiguration"])
	cfntest.Check(t, "access logs", logs.LogicalID, cfn.Ref(b.Props["LoggingConfiguration"].(map[string]any)["DestinationBucketName"]))
	cfntest.Check(t, "retained by default", "Retain", b.Raw["DeletionPolicy"])
	cfntest.Check(t, "log bucket ownership (CloudFront logs use ACLs)", "BucketOwnerPreferred", logs.Props["OwnershipControls"].(map[string]any)["Rules"].([]any)[0].(map[string]any)["ObjectOwnership"])
	pol := cfntest.Get(t, asm, "full", "Site/Bucket/Policy/Resource")
	if !strings.Contains(cfntest.JSON(pol.Props["PolicyDocument"]), `"aws:SecureTransport":"false"`) {
		t.Error("bucket policy does not deny non-TLS requests")
	}
	if !strings.Contains(cfntest.JSON(pol.Props["PolicyDocument"]), `"cloudfront.amazonaws.com"`) {
		t.Error("bucket policy does not let CloudFront (OAC) read")
	}
	cfntest.Check(t, "dev removal", "Delete", cfntest.Get(t, asm, "minimal", "Site/Bucket/Resource").Raw["DeletionPolicy"])
}

func TestDistributionServesOverHTTPSWithOACCompressionAndHTTP3(t *testing.T) {
	d := distConfig(t, "full")
	origin := d["Origins"].([]any)[0].(map[string]any)
	if origin["OriginAccessControlId"] == nil {
		t.Error("origin has no Origin Access Control")
	}
	if oai := cfntest.JSON(origin["S3OriginConfig"]); strings.Contains(oai, "origin-access-identity") {
		t.Errorf("origin uses a legacy OAI: %s", oai)
	}
	cfntest.Check(t, "HTTP version", "http2and3", d["HttpVersion"])
	def := d["DefaultCacheBehavior"].(map[string]any)
	cfntest.Check(t, "viewer protocol", "redirect-to-https", def["ViewerProtocolPolicy"])
	cfntest.Check(t, "compress", true, def["Compress"])
	cfntest.Check(t, "logging bucket", cfntest.Get(t, asm, "full", "Site/LogBucket/Resource").LogicalID, cfn.Ref(d["Logging"].(map[string]any)["Bucket"]))
	cfntest.Check(t, "short cache for pages", cfntest.Get(t, asm, "full", "Site/PagesCache/Resource").LogicalID, cfn.Ref(def["CachePolicyId"]))
	assets := d["CacheBehaviors"].([]any)[0].(map[string]any)
	cfntest.Check(t, "assets path", "assets/*", assets["PathPattern"])
	cfntest.Check(t, "long cache for hashed assets (CachingOptimized)", "658327ea-f89d-4fab-a63d-7e88639e58f6", assets["CachePolicyId"])
	pages := cfntest.Get(t, asm, "full", "Site/PagesCache/Resource").Props["CachePolicyConfig"].(map[string]any)
	cfntest.Check(t, "pages TTLs", []any{60.0, 300.0}, []any{pages["DefaultTTL"], pages["MaxTTL"]})
}

func TestPriceClassCoversTheMarkets(t *testing.T) {
	cfntest.Check(t, "AU, NZ, GB, BR", "PriceClass_All", distConfig(t, "full")["PriceClass"])
	cfntest.Check(t, "no markets named: everywhere", "PriceClass_All", distConfig(t, "minimal")["PriceClass"])
	for _, tc := range []struct {
		markets []string
		want    string
	}{{[]string{"GB"}, PriceClass100}, {[]string{"GB", "US", "IL"}, PriceClass100}, {[]string{"GB", "JP"}, PriceClass200}, {[]string{"ZA"}, PriceClass200}, {[]string{"GB", "BR"}, PriceClassAll}, {[]string{"NZ"}, PriceClassAll}} {
		if got := PriceClassFor(tc.markets); got != tc.want {
			t.Errorf("PriceClassFor(%v) = %s, want %s", tc.markets, got, tc.want)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := cfntest.Get(t, asm, "full", "Site/Headers/Resource").Props["ResponseHeadersPolicyConfig"].(map[string]any)["SecurityHeadersConfig"].(map[string]any)
	cfntest.Check(t, "HSTS", map[string]any{"AccessControlMaxAgeSec": 63072000.0, "IncludeSubdomains": true, "Preload": true, "Override": true}, h["StrictTransportSecurity"])
	cfntest.Check(t, "CSP", DefaultContentSecurityPolicy, h["ContentSecurityPolicy"].(map[string]any)["ContentSecurityPolicy"])
	cfntest.Check(t, "nosniff", map[string]any{"Override": true}, h["ContentTypeOptions"])
	cfntest.Check(t, "frame options", "DENY", h["FrameOptions"].(map[string]any)["FrameOption"])
	cfntest.Check(t, "referrer", "strict-origin-when-cross-origin", h["ReferrerPolicy"].(map[string]any)["ReferrerPolicy"])
}

func TestOptionsGeoSPADomainAndWAF(t *testing.T) {
	d := distConfig(t, "full")
	cfntest.Check(t, "geo allow-list", map[string]any{"GeoRestriction": map[string]any{"Locations": []any{"AU", "NZ", "GB", "BR"}, "RestrictionType": "whitelist"}}, d["Restrictions"])
	cfntest.Check(t, "SPA fallback", 2, len(d["CustomErrorResponses"].([]any)))
	cfntest.Check(t, "aliases", []any{"www.broker.example.com"}, d["Aliases"])
	cfntest.Check(t, "TLS", "TLSv1.2_2021", d["ViewerCertificate"].(map[string]any)["MinimumProtocolVersion"])
	cert := cfntest.Get(t, asm, "full", "Site/Certificate/Resource")
	cfntest.Check(t, "certificate", cert.LogicalID, cfn.Ref(d["ViewerCertificate"].(map[string]any)["AcmCertificateArn"]))
	cfntest.Check(t, "alias records", 2, len(asm.Stack("full").Template.Resources("AWS::Route53::RecordSet")))
	acl := cfntest.Get(t, asm, "full", "Site/WebACL")
	cfntest.Check(t, "WAF scope", "CLOUDFRONT", acl.Props["Scope"])
	cfntest.Check(t, "web ACL attached", acl.LogicalID, cfn.Ref(d["WebACLId"]))
	var groups []string
	for _, r := range acl.Props["Rules"].([]any) {
		groups = append(groups, r.(map[string]any)["Statement"].(map[string]any)["ManagedRuleGroupStatement"].(map[string]any)["Name"].(string))
	}
	cfntest.Check(t, "managed rule groups", []string{"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}, groups)

	m := distConfig(t, "minimal")
	for _, k := range []string{"Restrictions", "CustomErrorResponses", "Aliases", "WebACLId"} {
		if m[k] != nil {
			t.Errorf("minimal site has %s = %s, want it unset", k, cfntest.JSON(m[k]))
		}
	}
}

func TestDeploymentKeepsForeignObjectsAndInvalidatesOnlyPages(t *testing.T) {
	deploys := asm.Stack("full").Template.Resources("Custom::CDKBucketDeployment")
	if len(deploys) != 2 {
		t.Fatalf("%d deployments, want 2 (assets, pages)", len(deploys))
	}
	for _, d := range deploys {
		cfntest.Check(t, d.LogicalID+" prune", false, d.Props["Prune"])
	}
	// One deployment invalidates the pages; the other uploads hashed assets as
	// immutable and invalidates nothing.
	var invalidated []any
	immutable := 0
	for _, d := range deploys {
		if p, ok := d.Props["DistributionPaths"].([]any); ok {
			invalidated = append(invalidated, p...)
		} else if strings.Contains(cfntest.JSON(d.Props["SystemMetadata"]), "immutable") {
			immutable++
		}
	}
	cfntest.Check(t, "invalidated paths", []any{"/", "/index.html"}, invalidated)
	cfntest.Check(t, "immutable asset deployments", 1, immutable)
}

func TestInvalidPropsAreAllReported(t *testing.T) {
	csp := "default-src 'self'; " + strings.Repeat("img-src https://cdn.example.com; ", 60)
	err := (&Props{ContentDir: "no/such/folder", Markets: []string{"GB", "UK"}, GeoAllowList: []string{"XX"}, DomainName: "www.broker.example.com",
		ContentSecurityPolicy: csp}).Validate("site.")
	var perr *problems.Error
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want a *problems.Error", err)
	}
	cfntest.Check(t, "problems", []string{"site.contentDir", "site.markets[1]", "site.contentSecurityPolicy", "site.geoAllowList[0]", "site.hostedZoneId"}, perr.Fields())
	if !strings.Contains(err.Error(), `got "UK"`) {
		t.Errorf("error does not show the bad value: %v", err)
	}
	// A long value is shown cut to 60 characters, not whole.
	if !strings.Contains(err.Error(), `got "`+csp[:57]+`..."`) || strings.Contains(err.Error(), csp[:61]) {
		t.Errorf("error does not show the policy cut to 60 characters: %v", err)
	}
}

// A DESTROY bucket empties itself before CloudFormation deletes it (a
// versioned bucket with objects cannot be deleted); a retained one never does.
func TestDestroyedBucketsAreEmptiedFirstRetainedOnesNever(t *testing.T) {
	emptied := func(stack string) []string {
		var got []string
		for _, r := range asm.Stack(stack).Template.Resources("Custom::S3AutoDeleteObjects") {
			got = append(got, cfn.Ref(r.Props["BucketName"]))
		}
		sort.Strings(got)
		return got
	}
	bucket := cfntest.Get(t, asm, "minimal", "Site/Bucket/Resource")
	logs := cfntest.Get(t, asm, "minimal", "Site/LogBucket/Resource")
	cfntest.Check(t, "buckets emptied on deletion (DESTROY)", []string{bucket.LogicalID, logs.LogicalID}, emptied("minimal"))
	cfntest.Check(t, "buckets emptied on deletion (RETAIN)", []string(nil), emptied("full"))
	cfntest.Check(t, "auto-delete functions (RETAIN)", 0, len(asm.Stack("full").Template.Resources("AWS::Lambda::Function"))-1) // the BucketDeployment handler only
	for _, path := range []string{"Site/Bucket/Resource", "Site/LogBucket/Resource"} {
		cfntest.Check(t, "full "+path+" DeletionPolicy", "Retain", cfntest.Get(t, asm, "full", path).Raw["DeletionPolicy"])
	}
}

// HSTS preload is the domain owner's decision: off unless asked for.
func TestHSTSPreloadOnlyWhenAsked(t *testing.T) {
	for stack, want := range map[string]bool{"full": true, "minimal": false} {
		hsts := cfntest.Get(t, asm, stack, "Site/Headers/Resource").Props["ResponseHeadersPolicyConfig"].(map[string]any)["SecurityHeadersConfig"].(map[string]any)["StrictTransportSecurity"].(map[string]any)
		cfntest.Check(t, stack+" preload", want, hsts["Preload"])
	}
}

// The site watches the handlers it causes: its deployments' (found
// through their role) and, with DESTROY, the buckets' auto-delete provider.
func TestSiteWatchesItsHandlers(t *testing.T) {
	var alarmed []string
	for _, r := range asm.Stack("minimal").Template.Resources("AWS::CloudWatch::Alarm") {
		if name := r.Props["AlarmName"].(string); strings.HasPrefix(name, "minimal-site-") && strings.HasSuffix(name, "-Errors") {
			alarmed = append(alarmed, name)
		}
	}
	sort.Strings(alarmed)
	cfntest.Check(t, "handler alarms", []string{"minimal-site-auto-delete-Errors", "minimal-site-deployment-Errors"}, alarmed)
}

// The deployment handler may invalidate the site's distribution only, not
// every distribution of the account, and still invalidates the pages.
func TestDeploymentInvalidatesOnlyTheSitesDistribution(t *testing.T) {
	dist := cfntest.Get(t, asm, "full", "Site/Distribution/Resource")
	var invalidation []map[string]any
	for _, p := range asm.Stack("full").Template.Resources("AWS::IAM::Policy") {
		for _, s := range cfn.Statements(p.Props["PolicyDocument"]) {
			if strings.Contains(cfntest.JSON(s["Action"]), "cloudfront:CreateInvalidation") {
				invalidation = append(invalidation, s)
			}
		}
	}
	if len(invalidation) != 1 || !strings.Contains(cfntest.JSON(invalidation[0]["Resource"]), dist.LogicalID) || strings.Contains(cfntest.JSON(invalidation[0]["Resource"]), `"*"`) {
		t.Errorf("CreateInvalidation statements %s, want one on the site's distribution only", cfntest.JSON(invalidation))
	}
	var ids []string
	for _, d := range asm.Stack("full").Template.Resources("Custom::CDKBucketDeployment") {
		if id, ok := d.Props["DistributionId"]; ok {
			ids = append(ids, cfn.Ref(id))
		}
	}
	cfntest.Check(t, "deployments that invalidate", []string{dist.LogicalID}, ids)
}
