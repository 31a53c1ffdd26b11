package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/api"
	"github.com/brokerage/platform/constructs/fanout"
	"github.com/brokerage/platform/constructs/site"
	"github.com/brokerage/platform/regions"
)

// SiteProps turns the configuration's site section into the construct's
// props; main validates the configuration with them.
func SiteProps(c *config.Config) *site.Props {
	s := c.Site
	return &site.Props{
		ContentDir: s.ContentDir, Markets: s.Markets, GeoAllowList: s.GeoAllowList, SPAFallback: s.SPAFallback,
		ContentSecurityPolicy: s.ContentSecurityPolicy, DomainName: s.DomainName, HostedZoneID: s.HostedZoneID,
		HostedZoneName: s.HostedZoneName, WAF: s.WAF, RemovalPolicy: removalPolicy(c),
		Description: "Desktop web platform", HSTSPreload: true,
	}
}

// newEdge builds the us-east-1 stack: the static site with everything
// CloudFront needs there (certificate, web ACL, metrics and so alarms), and
// the global overview dashboard.
func (p *Platform) newEdge() awscdk.Stack {
	c := p.c
	s := p.newStack(regions.Edge, RoleEdge, "Desktop web platform (S3 + CloudFront) and the global overview")
	al := p.alarms(s, regions.Edge, nil)
	props := SiteProps(c)
	props.Alarms = al
	site.New(s, "Site", props)
	al.WatchAccountConcurrency(al.Construct)

	// The overview: the site's alarms and lines (the site adds them), then
	// every region's fan-out and gateways by their deterministic names.
	al.AddWidgets(fanoutStatus(s, c)...)
	al.AddWidgets(apiWidgets(c)...)
	labels := map[string]string{}
	for _, r := range c.Regions {
		labels[r.Name] = r.Name + " (" + r.Market + ")"
	}
	var consumers []string
	for _, cons := range c.Fanout.Consumers {
		consumers = append(consumers, cons.Name)
	}
	al.AddWidgets(fanout.OverviewWidgets(IngestProps(c).RegionalProps(c.PrimaryRegion), consumers, c.RegionNames(), labels)...)
	al.Dashboard(s, "Overview", c.Prefix()+"-overview", "Site alarms (us-east-1)")
	return s
}

// apiWidgets show every gateway's errors and latency in every region; API
// and stage names are deterministic (GatewayProps), so the metrics need no
// reference to the stacks.
func apiWidgets(c *config.Config) []awscloudwatch.IWidget {
	var widgets []awscloudwatch.IWidget
	for _, g := range c.API.Gateways {
		var errs, latency []awscloudwatch.IMetric
		stage := GatewayProps(c, c.PrimaryRegion, g, nil).Metrics() // the same names in every region
		for _, r := range c.Regions {
			errs = append(errs, alarms.KindAPIStage.Metric(stage, "5XXError").LineIn("5xx "+r.Name, r.Name))
			latency = append(latency, api.LatencyP99(stage).LineIn("p99 "+r.Name, r.Name))
		}
		widgets = append(widgets, alarms.Graph("API "+g.Name+": 5xx share per region", errs...), alarms.Graph("API "+g.Name+": latency p99 (ms) per region", latency...))
	}
	return widgets
}

// fanoutStatus shows the per-region "not reaching" composite alarms of the
// primary region by their deterministic ARNs.
func fanoutStatus(scope constructs.Construct, c *config.Config) []awscloudwatch.IWidget {
	var notReaching []interfacesawscloudwatch.IAlarmRef
	for _, r := range c.RegionNames() {
		arn := alarms.AlarmARN(c.PrimaryRegion, c.Account, alarms.AlarmName(c.Prefix(), fanout.NotReachingAlarmName(r)))
		notReaching = append(notReaching, awscloudwatch.Alarm_FromAlarmArn(scope, jsii.String("NotReaching-"+r), jsii.String(arn)))
	}
	return alarms.Status("Executions reaching each region", notReaching)
}
