package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/guard/suppress"
	"github.com/brokerage/platform/constructs/site"
	"github.com/brokerage/platform/regions"
)

// SiteProps turns the configuration's site section into the construct's
// props; main validates the configuration with them.
func SiteProps(c *config.Config) *site.Props {
	removal := awscdk.RemovalPolicy_DESTROY
	if c.IsProd() {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	s := c.Site
	return &site.Props{
		ContentDir: s.ContentDir, Markets: s.Markets, GeoAllowList: s.GeoAllowList, SPAFallback: s.SPAFallback,
		ContentSecurityPolicy: s.ContentSecurityPolicy, DomainName: s.DomainName, HostedZoneID: s.HostedZoneID,
		HostedZoneName: s.HostedZoneName, WAF: s.WAF, RemovalPolicy: removal,
	}
}

// bucketDeploymentHandler is the construct ID prefix of the Lambda that
// aws-cdk-lib's BucketDeployment adds to the stack (a singleton per memory size).
const bucketDeploymentHandler = "Custom::CDKBucketDeployment"

// newEdge builds the us-east-1 stack: the static site with everything
// CloudFront needs there (certificate, web ACL, metrics and so alarms), and
// the global overview dashboard.
func (p *Platform) newEdge() awscdk.Stack {
	c := p.c
	s := p.newStack(regions.Edge, RoleEdge, "Desktop web platform (S3 + CloudFront) and the global overview")
	al := p.alarms(s, RoleEdge, nil)
	st := site.New(s, "Site", SiteProps(c))
	al.Watch(st.Distribution, alarms.Target{Kind: alarms.KindDistribution, Label: "site", Dimension: st.Distribution.DistributionId()})
	al.Watch(st.Bucket, alarms.Target{Kind: alarms.KindSiteBucket, Label: "site-bucket", Dimension: st.Bucket.BucketName()})

	for _, child := range *s.Node().Children() {
		switch id := *child.Node().Id(); {
		case strings.HasPrefix(id, bucketDeploymentHandler):
			fn := child.Node().DefaultChild().(awscdk.CfnResource)
			al.Watch(fn, alarms.Target{Kind: alarms.KindFunction, Label: "site-deployment", Dimension: fn.Ref(), TimeoutSeconds: 900})
			suppressBucketDeployment(child, fn)
		case id == site.AutoDeleteHandlerID:
			// Outside prod the buckets empty themselves when the stack is
			// deleted; the function that does it is watched like any other.
			fn := child.Node().FindChild(jsii.String("Handler")).(awscdk.CfnResource)
			al.Watch(fn, alarms.Target{Kind: alarms.KindFunction, Label: "site-auto-delete", Dimension: fn.Ref(), TimeoutSeconds: 900})
			suppressAutoDelete(child, fn)
		}
	}
	al.WatchAccountConcurrency(al.Construct)

	fifo := c.Fanout.Ordering == config.OrderingFIFO
	widgets := []alarms.Widget{
		al.AlarmStatus("Site alarms (us-east-1)"),
		alarms.Graph("Site: 5xx error rate (%) and origin latency p90 (ms)",
			alarms.MetricLine{Namespace: "AWS/CloudFront", Metric: "5xxErrorRate", Dimensions: []string{"DistributionId", *st.Distribution.DistributionId(), "Region", "Global"}, Stat: "Average", Label: "5xx %"},
			alarms.MetricLine{Namespace: "AWS/CloudFront", Metric: "OriginLatency", Dimensions: []string{"DistributionId", *st.Distribution.DistributionId(), "Region", "Global"}, Stat: "p90", Label: "origin latency p90"}),
		fanoutStatus(c),
	}
	widgets = append(widgets, apiWidgets(c)...)
	alarms.NewDashboard(s, "Overview", p.prefix+"-overview", append(widgets, fanoutWidgets(c, fifo)...))
	return s
}

// apiWidgets show every gateway's errors and latency in every region; API
// names are deterministic, so the metrics need no reference to the stacks.
func apiWidgets(c *config.Config) []alarms.Widget {
	var widgets []alarms.Widget
	for _, g := range c.API.Gateways {
		name := c.App + "-" + c.Stage + "-" + g.Name
		var errs, latency []alarms.MetricLine
		for _, r := range c.Regions {
			dims := []string{"ApiName", name, "Stage", "v1"}
			errs = append(errs, alarms.MetricLine{Namespace: "AWS/ApiGateway", Metric: "5XXError", Dimensions: dims, Stat: "Average", Label: "5xx " + r.Name, Region: r.Name})
			latency = append(latency, alarms.MetricLine{Namespace: "AWS/ApiGateway", Metric: "Latency", Dimensions: dims, Stat: "p99", Label: "p99 " + r.Name, Region: r.Name})
		}
		widgets = append(widgets, alarms.Graph("API "+g.Name+": 5xx share per region", errs...), alarms.Graph("API "+g.Name+": latency p99 (ms) per region", latency...))
	}
	return widgets
}

// fanoutStatus shows the per-region "not reaching" composite alarms of the
// primary region by their deterministic ARNs.
func fanoutStatus(c *config.Config) alarms.Widget {
	var arns []any
	for _, r := range c.RegionNames() {
		arns = append(arns, alarms.AlarmARN(c.PrimaryRegion, c.Account, alarms.AlarmName(c.App+"-"+c.Stage, notReachingAlarm(r))))
	}
	return alarms.Widget{"type": "alarm", "properties": map[string]any{"title": "Executions reaching each region", "alarms": arns}}
}

// suppressBucketDeployment records why the checks that aws-cdk-lib's own
// BucketDeployment handler fails do not apply.
func suppressBucketDeployment(handler constructs.IConstruct, fn awscdk.CfnResource) {
	const owned = "aws-cdk-lib's BucketDeployment handler, which runs only while a deploy copies the site: "
	suppress.Nag(fn, "AwsSolutions-L1", owned+"its runtime is chosen and updated by aws-cdk-lib.")
	suppress.Nag(fn, "Serverless-LambdaLatestVersion", owned+"its runtime is chosen and updated by aws-cdk-lib.")
	suppress.Nag(fn, "Serverless-LambdaDLQ", owned+"CloudFormation invokes it and reports a failure as a failed deploy.")
	suppress.Nag(fn, "Serverless-LambdaTracing", owned+"its logs and the deploy's events are enough to debug it.")
	role := handler.Node().FindChild(jsii.String("ServiceRole"))
	suppress.Nag(role, "AwsSolutions-IAM4", owned+"aws-cdk-lib gives it AWSLambdaBasicExecutionRole for its logs.")
	suppress.Nag(role, "AwsSolutions-IAM5", owned+"it copies objects from the CDK assets bucket to the site bucket and needs object-level wildcards on both (scoped by aws-cdk-lib to those two buckets and the distribution's invalidation).")
	// aws-cdk-lib makes it depend on its role explicitly as well as through
	// Fn::GetAtt, which cfn-lint reports as redundant.
	suppress.CfnLint(fn, "W3005")
	suppress.Checkov(fn, "CKV_AWS_116", owned+"CloudFormation invokes it and reports a failure as a failed deploy.")
	suppress.Checkov(fn, "CKV_AWS_117", owned+"it calls only S3 and CloudFront APIs.")
	suppress.Checkov(fn, "CKV_AWS_115", owned+"one invocation per deploy.")
	suppress.Checkov(fn, "CKV_AWS_173", owned+"its environment holds no secrets.")
	policy := role.Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild().(awscdk.CfnResource)
	suppress.Checkov(policy, "CKV_AWS_111", owned+"its writes are limited by aws-cdk-lib to the site bucket and the distribution's invalidations.")
	if lg := handler.Node().TryFindChild(jsii.String("LogGroup")); lg != nil {
		suppress.Checkov(lg.Node().DefaultChild().(awscdk.CfnResource), "CKV_AWS_158", owned+"its logs list file names, no customer data.")
	}
}

// suppressAutoDelete records why the checks that aws-cdk-lib's own
// auto-delete handler (buckets emptied when a non-prod stack is deleted)
// fails do not apply.
func suppressAutoDelete(provider constructs.IConstruct, fn awscdk.CfnResource) {
	const owned = "aws-cdk-lib's S3 auto-delete handler, which runs only when CloudFormation deletes a non-prod site bucket: "
	// aws-cdk-lib makes it depend on its role explicitly as well as through
	// Fn::GetAtt, which cfn-lint reports as redundant.
	suppress.CfnLint(fn, "W3005")
	suppress.Checkov(fn, "CKV_AWS_116", owned+"CloudFormation invokes it and reports a failure as a failed delete.")
	suppress.Checkov(fn, "CKV_AWS_117", owned+"it calls only S3 APIs.")
	suppress.Checkov(fn, "CKV_AWS_115", owned+"one invocation per bucket deletion.")
	suppress.Checkov(fn, "CKV_AWS_173", owned+"it has no environment variables.")
	role := provider.Node().FindChild(jsii.String("Role"))
	suppress.Nag(role, "AwsSolutions-IAM4", owned+"aws-cdk-lib gives it AWSLambdaBasicExecutionRole for its logs.")
}
