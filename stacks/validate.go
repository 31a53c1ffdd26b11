package stacks

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/fanout"
	"github.com/brokerage/platform/constructs/site"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/regions"
)

// Validate checks a whole configuration for what the app builds from it:
// the configuration's own rules, the constructs' props (site, gateways,
// alarm overrides) and AWS's rules and quotas (CheckConfig). It is the one
// validation main and scripts/delivery run, and
// it reports every problem at once.
func Validate(c *config.Config, now time.Time) error {
	errs := []error{c.Validate(), alarms.CheckOverrides("alarms.overrides", AlarmOverrides(c)), SiteProps(c).Validate("site."), validateSessions(c, now)}
	errs = append(errs, ValidateAPI(c)...)
	errs = append(errs, validateGateways(c), CheckConfig(c))
	return withoutEchoes(problems.Join("configuration", errs...))
}

// validateSessions checks the sessions as the idle alarms' gates need them
// (alarms.CheckSessions), and that the gate of every stack's alarms fits
// one CloudWatch alarm: the ingest stack's watches every session, a
// regional stack's those of its region.
func validateSessions(c *config.Config, now time.Time) error {
	l := problems.List{Subject: "configuration"}
	if len(c.Sessions) > 0 {
		if want := alarms.CheckGate(AlarmSessions(c.Sessions), now); want != "" {
			l.Add("sessions", fmt.Sprintf("%d sessions (the primary region's ingest watches all)", len(c.Sessions)), want)
		}
	}
	for i, r := range c.Regions {
		if ss := c.SessionsOf(r); len(r.Sessions) > 0 {
			if want := alarms.CheckGate(AlarmSessions(ss), now); want != "" {
				l.Add(fmt.Sprintf("regions[%d].sessions", i), r.Sessions, want)
			}
		}
	}
	return problems.Join("configuration", l.Err(), alarms.CheckSessions("sessions", AlarmSessions(c.Sessions), now, AlarmOverrides(c), calendarDays(c)))
}

// withoutEchoes drops a construct's problem with a value the configuration
// keys by region (e.g. backend.vpcLinkId) when the configuration's per-region
// map (backend.vpcLinkIds) is reported already: the map's problem names the
// missing regions, the construct's only repeats it for one of them.
func withoutEchoes(err error) error {
	perr, ok := err.(*problems.Error)
	if !ok {
		return err
	}
	fields := map[string]bool{}
	for _, p := range perr.Problems {
		fields[p.Field] = true
	}
	l := problems.List{Subject: perr.Subject}
	for _, p := range perr.Problems {
		if !fields[p.Field+"s"] {
			l.Add(p.Field, p.Value, p.Want)
		}
	}
	return l.Err()
}

// ResourcesPerConsumer is how many resources one consumer adds to each
// regional stack (queue, DLQ, their policies, the subscription, alarms); a
// test pins it against the synthesized app.
const ResourcesPerConsumer = 10

// CheckConfig applies AWS's rules and quotas to what the configuration
// will make the app build, before any construct exists.
func CheckConfig(c *config.Config) error {
	l := problems.List{Subject: "configuration"}
	checkFanoutLimits(c, &l)
	for i, r := range c.Regions {
		if want := awsrules.SNSOptInForwarding(c.PrimaryRegion, r.Name); want != "" {
			l.Add(fmt.Sprintf("regions[%d].name", i), r.Name, want)
		}
		if want := awsrules.StackDescription(regionalDescription(r)); want != "" {
			l.Add(fmt.Sprintf("regions[%d].market", i), truncate(r.Market), fmt.Sprintf("a market name of at most %d bytes: it goes into the regional stack's description, and %s", awsrules.StackDescriptionBytes-len(regionalDescription(config.Region{})), want))
		}
	}
	if csp := c.Site.ContentSecurityPolicy; csp != "" {
		if want := awsrules.ContentSecurityPolicy(csp); want != "" {
			l.Add("site.contentSecurityPolicy", truncate(csp), want)
		}
	}
	checkOverrideDatapoints(c, &l)
	checkGatewayLimits(c, &l)
	checkNames(c, &l)
	return l.Err()
}

// checkFanoutLimits checks the fan-out against SNS's and CloudFormation's limits.
func checkFanoutLimits(c *config.Config, l *problems.List) {
	if c.Fanout.Ordering == config.OrderingFIFO {
		if want := awsrules.SNSFIFOSubscriptions(len(c.Regions), len(c.Fanout.Consumers)); want != "" {
			l.Add("fanout.consumers", fmt.Sprintf("%d consumers", len(c.Fanout.Consumers)), want)
		}
	}
	if want := awsrules.BrokerAccounts(len(c.Fanout.BrokerAccounts)); want != "" {
		l.Add("fanout.brokerAccounts", fmt.Sprintf("%d accounts", len(c.Fanout.BrokerAccounts)), want)
	}
	if n := len(c.Fanout.Consumers) * ResourcesPerConsumer; n > awsrules.StackResources {
		l.Add("fanout.consumers", fmt.Sprintf("%d consumers", len(c.Fanout.Consumers)), fmt.Sprintf("at most %d consumers: each adds %d resources to every regional stack (%d x %d = %d), and a CloudFormation stack takes %d",
			awsrules.StackResources/ResourcesPerConsumer-1, ResourcesPerConsumer, len(c.Fanout.Consumers), ResourcesPerConsumer, n, awsrules.StackResources))
	}
}

// checkGatewayLimits checks the gateways' values against API Gateway's and
// WAF's rules.
func checkGatewayLimits(c *config.Config, l *problems.List) {
	whole := func(field string, v float64, what string) {
		if want := awsrules.WholeNumber(v, what); want != "" {
			l.Add(field, v, want)
		}
	}
	for i, g := range c.API.Gateways {
		f := fmt.Sprintf("api.gateways[%d]", i)
		whole(f+".burstLimit", g.BurstLimit, "a stage's burst limit")
		for j, s := range g.Services {
			whole(fmt.Sprintf("%s.services[%d].burstLimit", f, j), s.BurstLimit, "a method's burst limit")
		}
		for j, u := range g.UsagePlans {
			whole(fmt.Sprintf("%s.usagePlans[%d].burstLimit", f, j), u.BurstLimit, "a usage plan's burst limit")
			whole(fmt.Sprintf("%s.usagePlans[%d].quotaPerDay", f, j), u.QuotaPerDay, "a usage plan's quota")
		}
		if g.WAF {
			if want := awsrules.WAFMetricName(gatewayName(c, g.Name)); want != "" {
				l.Add(f+".name", g.Name, "a gateway name that makes a valid WAF metric name (the web ACL's metric is <app>-<stage>-<name>): "+want)
			}
		}
	}
	// Each usage plan's key value is a {{resolve:secretsmanager:...}} in
	// every regional stack, which holds every gateway.
	plans := 0
	for _, g := range c.API.Gateways {
		plans += len(g.UsagePlans)
	}
	if want := awsrules.TemplateDynamicReferences(plans); want != "" {
		l.Add("api.gateways", fmt.Sprintf("%d usage plans", plans), fmt.Sprintf("at most %d usage plans across the gateways: each plan's API key resolves its secret in every regional stack, and %s", awsrules.DynamicReferences, want))
	}
}

// checkNames checks the physical names: alarm names AWS accepts, and no
// name taken twice. One problem per configured name, however many of its
// resources collide.
func checkNames(c *config.Config, l *problems.List) {
	names := PhysicalNames(c)
	for _, n := range names {
		if n.Kind == awsrules.KindAlarm {
			if want := awsrules.AlarmName(n.Name); want != "" {
				l.Add(n.Owner, n.Name, want)
			}
		}
	}
	var owners []string
	taken := map[string][]awsrules.Collision{}
	for _, col := range awsrules.Collisions(names) {
		for _, o := range col.Owners[1:] {
			if o == col.Owners[0] {
				continue
			}
			if len(taken[o]) == 0 {
				owners = append(owners, o)
			}
			if !slices.ContainsFunc(taken[o], func(t awsrules.Collision) bool { return t.Name == col.Name }) {
				taken[o] = append(taken[o], col)
			}
		}
	}
	values := configuredNames(c)
	for _, o := range owners {
		want := taken[o][0].Want()
		if n := len(taken[o]); n > 1 {
			want += fmt.Sprintf(" (and %d more of its names are taken)", n-1)
		}
		l.Add(o, values[o], want)
	}
}

// configuredNames are the configured names by field.
func configuredNames(c *config.Config) map[string]string {
	values := map[string]string{}
	for i, cons := range c.Fanout.Consumers {
		values[fmt.Sprintf("fanout.consumers[%d].name", i)] = cons.Name
	}
	for i, g := range c.API.Gateways {
		values[fmt.Sprintf("api.gateways[%d].name", i)] = g.Name
		for j, u := range g.UsagePlans {
			values[fmt.Sprintf("api.gateways[%d].usagePlans[%d].name", i, j)] = u.Name
		}
	}
	return values
}

func regionalDescription(r config.Region) string { return "Trade-execution consumers for " + r.Market }

func truncate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// checkOverrideDatapoints merges each override with the catalogue's alarm
// as the alarms construct does, and checks the M of N that results.
func checkOverrideDatapoints(c *config.Config, l *problems.List) {
	keys := make([]string, 0, len(c.Alarms.Overrides))
	for k := range c.Alarms.Overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	overrides := AlarmOverrides(c)
	for _, k := range keys {
		o := c.Alarms.Overrides[k]
		kind, metric, _ := strings.Cut(k, "/")
		for _, s := range alarms.Catalogue[alarms.Kind(kind)].Alarms {
			if s.Metric != metric {
				continue
			}
			merged := overrides[k].Apply(s)
			if want := awsrules.AlarmDatapoints(merged.DatapointsToAlarm, merged.EvaluationPeriods); want != "" {
				l.Add("alarms.overrides["+strconv.Quote(k)+"].datapointsToAlarm", o.DatapointsToAlarm, want)
			}
		}
	}
}

// validateGateways checks what the gateways' constructs need beyond their
// props' validation: unique gateway, service and usage-plan names (they make
// construct IDs), request schemas the api construct can read, and ARNs with
// a resource part. Gateway names that differ only in punctuation make the
// same alarm names: CheckConfig reports them.
func validateGateways(c *config.Config) error {
	l := problems.List{Subject: "configuration"}
	fill := strings.NewReplacer("{region}", c.PrimaryRegion, "{account}", c.Account)
	lambdaARN := func(field, arn string) {
		if want := awsrules.ARN(fill.Replace(arn), "lambda", "function:"); arn != "" && want != "" {
			l.Add(field, arn, "a Lambda function ARN, arn:<partition>:lambda:<region>:<account>:function:<name>; this is "+want)
		}
	}
	names := map[string]bool{}
	for i, g := range c.API.Gateways {
		gf := fmt.Sprintf("api.gateways[%d]", i)
		if g.Name != "" && names[g.Name] {
			l.Add(gf+".name", g.Name, "a name no other gateway has")
		}
		names[g.Name] = true
		plans := map[string]bool{}
		for j, u := range g.UsagePlans {
			if u.Name != "" && plans[u.Name] {
				l.Add(fmt.Sprintf("%s.usagePlans[%d].name", gf, j), u.Name, "a name no other usage plan of the gateway has")
			}
			plans[u.Name] = true
		}
		services := map[string]bool{}
		for j, s := range g.Services {
			sf := fmt.Sprintf("%s.services[%d]", gf, j)
			if s.Name != "" && services[s.Name] {
				l.Add(sf+".name", s.Name, "a name no other service of the gateway has")
			}
			services[s.Name] = true
			checkSchema(&l, sf+".requestSchema", s.RequestSchema)
			if s.Backend.Type == "lambda" {
				lambdaARN(sf+".backend.functionArn", s.Backend.FunctionARN)
			}
		}
		for j, a := range g.Authorizers {
			if a.Type == "lambda" {
				lambdaARN(fmt.Sprintf("%s.authorizers[%d].functionArn", gf, j), a.FunctionARN)
			}
		}
	}
	return l.Err()
}

// jsonSchemaTypes are the types of JSON schema draft 4, which API Gateway models use.
var jsonSchemaTypes = []string{"array", "boolean", "integer", "null", "number", "object", "string"}

// checkSchema checks what the api construct reads of a request schema: an
// object type, a list of required names, and properties that are objects
// with a JSON schema type.
func checkSchema(l *problems.List, field string, schema map[string]any) {
	if schema == nil {
		return
	}
	if t, ok := schema["type"]; ok && t != "object" {
		l.Add(field+".type", t, `"object" (a request body schema describes a JSON object), or unset`)
	}
	if req, ok := schema["required"]; ok {
		list, isList := req.([]any)
		for _, r := range list {
			if _, ok := r.(string); !ok {
				isList = false
			}
		}
		if !isList {
			l.Add(field+".required", fmt.Sprint(req), "a list of property names")
		}
	}
	props, ok := schema["properties"]
	if !ok {
		return
	}
	m, ok := props.(map[string]any)
	if !ok {
		l.Add(field+".properties", fmt.Sprint(props), "an object of property schemas")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pf := field + ".properties[" + strconv.Quote(k) + "]"
		p, ok := m[k].(map[string]any)
		if !ok {
			l.Add(pf, fmt.Sprint(m[k]), `a property schema object such as {"type": "string"}`)
			continue
		}
		t, _ := p["type"].(string)
		if !slices.Contains(jsonSchemaTypes, t) {
			l.Add(pf+".type", fmt.Sprint(p["type"]), "a JSON schema type: one of "+strings.Join(jsonSchemaTypes, ", "))
		}
	}
}

// PhysicalNames lists the physical names the app creates for c in its
// account, each with who creates it: platform-owned names first, so that
// a configured name reproducing one is the one blamed. A test checks the
// list against the synthesized app.
func PhysicalNames(c *config.Config) []awsrules.Name {
	n := &nameList{c: c, prefix: c.Prefix(), fifo: c.Fanout.Ordering == config.OrderingFIFO, topicOwned: map[string]bool{}}
	n.edge()
	n.ingest()
	n.regional()
	n.consumers()
	return n.out
}

// nameList collects the physical names of one configuration's platform.
type nameList struct {
	c          *config.Config
	prefix     string
	fifo       bool
	topicOwned map[string]bool // regions whose alarm topics are listed
	out        []awsrules.Name
}

func (n *nameList) add(kind, region, name, owner string) {
	n.out = append(n.out, awsrules.Name{Kind: kind, Account: n.c.Account, Region: region, Name: name, Owner: owner})
}

// alarm adds the names of the alarms of kind on the target labelled label.
func (n *nameList) alarm(region string, kind alarms.Kind, label, owner string) {
	for _, s := range alarms.Catalogue[kind].Alarms {
		n.add(awsrules.KindAlarm, region, alarms.TargetAlarmName(n.prefix, label, s.Metric), owner)
	}
}

// account adds the name of region's account concurrency alarm.
func (n *nameList) account(region, owner string) {
	n.add(awsrules.KindAlarm, region, alarms.AlarmName(n.prefix, "account-"+alarms.AccountConcurrency.Metric), owner)
}

// withTopic adds the names of region's alarm topics, their key and their
// alarms, once per region.
func (n *nameList) withTopic(region string) {
	if n.topicOwned[region] {
		return
	}
	n.topicOwned[region] = true
	for _, sev := range alarms.Severities {
		n.add(awsrules.KindTopic, region, alarms.TopicName(n.prefix, sev), "the "+string(sev)+" alarm topic of "+region)
	}
	n.add(awsrules.KindAlias, region, "alias/"+n.prefix+"/alarms", "the alarm topics' key in "+region)
	n.alarm(region, alarms.KindAlarmTopic, "alarm-topic", "the notify alarm topic of "+region)
	n.alarm(region, alarms.KindAlarmTopic, "alarm-topic-page", "the page alarm topic of "+region)
}

// edge adds the names of the edge stack (us-east-1).
func (n *nameList) edge() {
	n.withTopic(regions.Edge)
	n.alarm(regions.Edge, alarms.KindDistribution, "site", "the site's distribution")
	n.alarm(regions.Edge, alarms.KindSiteBucket, "site-bucket", "the site's bucket")
	n.alarm(regions.Edge, alarms.KindFunction, "site-"+site.HandlerDeployment, "the site's deployment function")
	if !n.c.IsProd() {
		n.alarm(regions.Edge, alarms.KindFunction, "site-"+site.HandlerAutoDelete, "the site buckets' auto-delete function")
	}
	n.account(regions.Edge, "the edge stack's account concurrency alarm")
	n.add(awsrules.KindDashboard, regions.Edge, n.prefix+"-overview", "the overview dashboard")
}

// ingest adds the names of the ingest stack (primary region).
func (n *nameList) ingest() {
	p, prefix, fifo := n.c.PrimaryRegion, n.prefix, n.fifo
	n.withTopic(p)
	owner := "the ingest stack in " + p
	n.add(awsrules.KindQueue, p, fanout.IngestQueueName(prefix, fifo), "the ingest queue ("+owner+")")
	n.add(awsrules.KindQueue, p, fanout.IngestDLQName(prefix, fifo), "the ingest queue's DLQ ("+owner+")")
	n.add(awsrules.KindTopic, p, fanout.TopicName(prefix, fifo), "the fan-out topic ("+owner+")")
	n.add(awsrules.KindAlias, p, "alias/"+prefix+"/trade-executions-ingest", "the ingest key ("+owner+")")
	n.add(awsrules.KindAlias, p, "alias/"+prefix+"/trade-executions-fanout", "the fan-out topic key ("+owner+")")
	n.alarm(p, alarms.KindIngestQueue, "ingest", "the ingest queue's alarms ("+owner+")")
	n.alarm(p, alarms.KindDLQ, "ingest-dlq", "the ingest DLQ's alarms ("+owner+")")
	n.alarm(p, alarms.KindFanoutTopic, "fanout-topic", "the fan-out topic's alarms ("+owner+")")
	n.alarm(p, alarms.KindFunction, "redistributor", "the redistributor's alarms ("+owner+")")
	n.alarm(p, alarms.KindRedistributor, "redistributor", "the redistributor's alarms ("+owner+")")
	if p != regions.Edge {
		n.account(p, "the ingest stack's account concurrency alarm")
	}
	for _, r := range slices.Compact(slices.Sorted(slices.Values(n.c.RegionNames()))) {
		n.add(awsrules.KindQueue, p, fanout.DeliveryDLQName(prefix, r, fifo), "the delivery DLQ for "+r+" ("+owner+")")
		n.alarm(p, alarms.KindDLQ, "delivery-dlq-"+r, "the delivery DLQ alarms for "+r+" ("+owner+")")
		n.add(awsrules.KindAlarm, p, alarms.AlarmName(prefix, notReachingAlarm(r)), "the not-reaching alarm of "+r+" ("+owner+")")
	}
}

// regional adds the names of the regional stacks; a region listed twice is
// reported by the configuration's rules.
func (n *nameList) regional() {
	regionNames := slices.Compact(slices.Sorted(slices.Values(n.c.RegionNames())))
	for _, r := range n.c.Regions {
		if !slices.Contains(regionNames, r.Name) {
			continue
		}
		regionNames = slices.DeleteFunc(regionNames, func(name string) bool { return name == r.Name })
		n.withTopic(r.Name)
		n.add(awsrules.KindAlias, r.Name, "alias/"+n.prefix+"/trade-executions-consumers", "the consumer key in "+r.Name)
		n.add(awsrules.KindDashboard, r.Name, n.prefix+"-"+r.Name, "the dashboard of "+r.Name)
		n.gateways(r.Name)
	}
}

// gateways adds the names of the gateways of region.
func (n *nameList) gateways(region string) {
	gateways := map[string]bool{}
	for i, g := range n.c.API.Gateways {
		if gateways[g.Name] {
			continue // a duplicate gateway, reported by validateGateways
		}
		gateways[g.Name] = true
		n.alarm(region, alarms.KindAPIStage, "api-"+g.Name, fmt.Sprintf("api.gateways[%d].name", i))
		plans := map[string]bool{}
		for j, u := range g.UsagePlans {
			if !plans[u.Name] {
				n.add(awsrules.KindUsagePlan, region, n.prefix+"-"+g.Name+"-"+u.Name, fmt.Sprintf("api.gateways[%d].usagePlans[%d].name", i, j))
			}
			plans[u.Name] = true
		}
	}
}

// consumers adds the names of every consumer's queues in every region.
func (n *nameList) consumers() {
	seen := map[string]bool{}
	for i, cons := range n.c.Fanout.Consumers {
		if seen[cons.Name] {
			continue // a duplicate consumer, reported by the configuration's rules
		}
		seen[cons.Name] = true
		f := fmt.Sprintf("fanout.consumers[%d].name", i)
		for _, r := range slices.Compact(slices.Sorted(slices.Values(n.c.RegionNames()))) {
			n.add(awsrules.KindQueue, r, fanout.ConsumerQueueName(n.prefix, cons.Name, n.fifo), f)
			n.add(awsrules.KindQueue, r, fanout.ConsumerDLQName(n.prefix, cons.Name, n.fifo), f)
			n.alarm(r, alarms.KindConsumerQueue, cons.Name, f)
			n.alarm(r, alarms.KindDLQ, cons.Name+"-dlq", f)
		}
	}
}
