// Package config holds the typed configuration of the platform: which
// regions it runs in, who may publish trade executions, who consumes them and
// who is told when something stops flowing. The embedded default.json lets the
// app synthesize on a machine with no AWS account; a file given with
// `-c config=path` replaces it.
//
// Load parses and Validate checks a configuration, reporting every problem at
// once; nothing else in the app reads context, files or the environment.
package config

import (
	_ "embed"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/regions"
	"github.com/brokerage/platform/valid"
)

//go:embed default.json
var defaultJSON []byte

// PlaceholderAccount is the account of the embedded default configuration. It
// lets `make synth` run with no AWS credentials; replace it (with a config file)
// before deploying.
const PlaceholderAccount = "111111111111"

// Placeholders of the default configuration for what each deployment
// provides itself: VPC link ids, and interface VPC endpoint ids made of
// zeros but for their last digit. Like PlaceholderAccount, they are refused
// outside dev.
const PlaceholderVPCLink = "PLACEHOLDER"

var placeholderEndpoint = regexp.MustCompile(`^vpce-0{16}[0-9]$`)

// Stages the app knows. Only prod retains data-bearing resources when a stack is
// deleted; the others destroy them so that test stages clean up after themselves.
var Stages = []string{"dev", "staging", "prod"}

// Config is the whole platform configuration.
type Config struct {
	// Schema names the JSON Schema the file follows, for editors that
	// complete and check it: config/schema.json, generated from these types
	// by `make docs`. The app checks every file against it whatever this says.
	Schema string `json:"$schema,omitempty"`
	// App prefixes every stack and physical name. Lower-case letters, digits
	// and hyphens, 2 to 20 characters.
	App string `json:"app"`
	// Stage is one of Stages; `-c stage=...` overrides it.
	Stage string `json:"stage"`
	// Account is the 12-digit AWS account every stack deploys to.
	Account string `json:"account"`
	// PrimaryRegion receives the broker's trade executions; it must be one of Regions.
	PrimaryRegion string `json:"primaryRegion"`
	// Regions the platform runs in, each serving a market. At least one, no duplicates.
	Regions []Region `json:"regions"`
	// Fanout configures the trade-execution fan-out.
	Fanout Fanout `json:"fanout"`
	// Alarms says who is told, and when.
	Alarms Alarms `json:"alarms"`
	// Site configures the desktop web platform (S3 + CloudFront, in us-east-1).
	Site Site `json:"site"`
	// API configures the REST gateways deployed in every region.
	API API `json:"api"`
	// Pipeline configures the delivery pipeline (`-c pipeline=true`).
	Pipeline Pipeline `json:"pipeline,omitempty"`
	// Sessions are the markets' trading sessions: the idle "nothing
	// arrived" alarms act only inside them. Empty: idle alarms always act.
	Sessions []Session `json:"sessions,omitempty"`

	src *origin // the file it was parsed from (Locate)
}

// API configures the gateways. In ARNs and URLs, {region} and {account}
// stand for the deploying region and the account. The rules are checked by
// the api construct's validation (constructs/api), reported with the others.
type API struct {
	// Gateways in build order: a gateway may route a service to one listed
	// before it (an internal gateway behind the public one).
	Gateways []Gateway `json:"gateways"`
	// AccountSettingsOwners are the stages whose regional stacks create and
	// own the API Gateway account setting of their account and region (the
	// role every API there writes its logs through; one setting per account
	// and region, so two owners would overwrite each other). At most one
	// owner per account among pipeline.stages. The other stages in an
	// owner's account log through the owner's setting, so the owner deploys
	// first in each region; the role is retained when its stack is deleted.
	// An empty list ([]) leaves the setting to be managed outside the app.
	// Default: the first stage of each account in pipeline.stages; with
	// gateways and neither this nor pipeline.stages set, the configuration
	// is refused, since every stage deployed to the account would own it.
	AccountSettingsOwners []string `json:"accountSettingsOwners,omitempty"`
	// ScopedLoggingPolicy gives the owners' logging role an inline policy
	// whose log actions reach only the log groups of its account and
	// region, instead of AWS's managed AmazonAPIGatewayPushToCloudWatchLogs,
	// which reaches every region's (the api construct's
	// AccountProps.ScopedPolicy says what it grants and why). Changing it
	// updates the role in place; a stage that owns no setting has no role
	// and ignores it. Default: false, the managed policy.
	ScopedLoggingPolicy bool `json:"scopedLoggingPolicy,omitempty"`
}

// APIAccountSettingsOwners is api.accountSettingsOwners, or its default:
// the first stage of each account in the pipeline's stages.
func (c *Config) APIAccountSettingsOwners() []string {
	if c.API.AccountSettingsOwners != nil {
		return c.API.AccountSettingsOwners
	}
	var owners []string
	seen := map[string]bool{}
	for _, s := range c.PipelineStages() {
		if !seen[s.Account] {
			owners = append(owners, s.Name)
		}
		seen[s.Account] = true
	}
	return owners
}

// OwnsAPIAccountSettings reports whether this stage's regional stacks create
// the API Gateway account setting of their account and region.
func (c *Config) OwnsAPIAccountSettings() bool {
	return slices.Contains(c.APIAccountSettingsOwners(), c.Stage)
}

// Gateway is one REST API per region.
type Gateway struct {
	// Name, unique; the REST API is named <app>-<stage>-<name>.
	Name string `json:"name"`
	// RateLimit is the requests per second every route of the stage takes.
	RateLimit float64 `json:"rateLimit"`
	// BurstLimit is the requests every route takes at once (a whole number).
	BurstLimit float64 `json:"burstLimit"`
	// LoggingLevel of execution logs: "ERROR" (default) or "INFO"; bodies are never logged.
	LoggingLevel string `json:"loggingLevel,omitempty"`
	// Authorizers callable by services (at most 10: API Gateway's quota).
	Authorizers []Authorizer `json:"authorizers,omitempty"`
	// DefaultAuthorizer is the authorizer of services that name none;
	// unset, such a service is public.
	DefaultAuthorizer string `json:"defaultAuthorizer,omitempty"`
	// UsagePlans issue API keys to partner clients.
	UsagePlans []UsagePlan `json:"usagePlans,omitempty"`
	// CORSOrigins allowed by browsers (https origins); empty disables CORS.
	CORSOrigins []string `json:"corsOrigins,omitempty"`
	// WAF attaches a regional web ACL with AWS managed rules.
	WAF bool `json:"waf"`
	// DomainName in the Route 53 zone serves the gateway with a regional
	// certificate; LatencyRecords makes one host name answer from the nearest
	// region. Behind latency records a route that requires an API key needs
	// a "lambda" authorizer: a Cognito one accepts only its region's pool.
	DomainName string `json:"domainName,omitempty"`
	// HostedZoneID is the Route 53 hosted zone that holds DomainName.
	HostedZoneID string `json:"hostedZoneId,omitempty"`
	// HostedZoneName is that zone's name, e.g. example.com.
	HostedZoneName string `json:"hostedZoneName,omitempty"`
	// LatencyRecords answers DomainName from the nearest region (a latency
	// record per region) instead of from this region alone.
	LatencyRecords bool `json:"latencyRecords,omitempty"`
	// Private makes the gateway a PRIVATE REST API, unreachable from the
	// internet: in each region it accepts calls only through the interface
	// VPC endpoints for execute-api that the region lists for it
	// (regions[].privateEndpoints), and other gateways reach it through the
	// VPC link listed there (a network load balancer whose targets are the
	// first endpoint's network interfaces, TCP 443, provided outside the
	// app). A gateway that another routes to ("gateway" backends) must be
	// private. Default: false, a public Regional endpoint.
	Private bool `json:"private,omitempty"`
	// Services routed by base path.
	Services []Service `json:"services"`
}

// PrivateEndpoint is how a private gateway is reached in one region
// (regions[].privateEndpoints).
type PrivateEndpoint struct {
	// VPCEndpointIDs are the interface VPC endpoints for execute-api
	// (vpce- and 17 hexadecimal digits) allowed to call the gateway; the
	// first is the one the VPC link's load balancer sends to. At least one.
	VPCEndpointIDs []string `json:"vpcEndpointIds"`
	// VPCLinkID is the REST API VPC link other gateways of the region call
	// the gateway through.
	VPCLinkID string `json:"vpcLinkId"`
}

// Authorizer is a Cognito user pool ("cognito", userPoolArns) or a Lambda
// TOKEN authorizer validating JWTs ("lambda", functionArn).
type Authorizer struct {
	// Name, unique in its gateway; services name it as their authorizer.
	Name string `json:"name"`
	// Type is "cognito" or "lambda".
	Type string `json:"type"`
	// UserPool, for "cognito", names the user pool that every region lists
	// under this name in regions[].userPools.
	UserPool string `json:"userPool,omitempty"`
	// FunctionARN, for "lambda", is the authorizer function; {region} and
	// {account} stand for the deploying region and the account.
	FunctionARN string `json:"functionArn,omitempty"`
}

// UsagePlan is a partner tier with its own API key.
type UsagePlan struct {
	// Name, unique in its gateway; it names the plan and its key.
	Name string `json:"name"`
	// RateLimit is the requests per second the plan's key may send.
	RateLimit float64 `json:"rateLimit"`
	// BurstLimit is the requests the plan's key may send at once (a whole number).
	BurstLimit float64 `json:"burstLimit"`
	// QuotaPerDay caps the key's requests per day (a whole number); 0: no quota.
	QuotaPerDay float64 `json:"quotaPerDay,omitempty"`
	// APIKeySecret is the Secrets Manager secret whose SecretString is the
	// plan's API key value (at least 20 characters): a name, the same
	// secret in every region (replicate it: a replica keeps the name), or
	// an ARN for a secret of another account, with {region} as its region
	// when more than one region is listed. Every region imports the same
	// key value, so a partner's key works in whichever region the latency
	// records send it to. Required.
	APIKeySecret string `json:"apiKeySecret"`
}

// Service is one microservice behind a gateway.
type Service struct {
	// Name, unique in its gateway, e.g. "orders".
	Name string `json:"name"`
	// BasePath routes /<basePath> and everything under it to the backend.
	BasePath string `json:"basePath"`
	// Backend: {"type": "http", "url": "https://..."} for a public host,
	// {"type": "lambda", "functionArn": ...}, {"type": "vpc-link",
	// "vpcLink": "<a name in regions[].vpcLinks>", "url": ...} for a private host, or
	// {"type": "gateway", "gateway": "<an earlier, private gateway>"}. A host with an
	// "internal" label (orders.eu-west-2.internal.example.com) is private:
	// it must be a vpc-link backend, as an http backend is called over the
	// public internet.
	Backend Backend `json:"backend"`
	// Authorizer names one of the gateway's authorizers; unset, the
	// gateway's defaultAuthorizer.
	Authorizer string `json:"authorizer,omitempty"`
	// RateLimit, per second, throttles the service's routes below the
	// stage's; 0 keeps the stage's.
	RateLimit float64 `json:"rateLimit,omitempty"`
	// BurstLimit throttles the service's routes below the stage's (a whole
	// number); 0 keeps the stage's.
	BurstLimit float64 `json:"burstLimit,omitempty"`
	// APIKeyRequired asks callers for a usage plan's API key.
	APIKeyRequired bool `json:"apiKeyRequired,omitempty"`
	// RequestSchema is a JSON schema (draft 4) the body of POST /<basePath>
	// (a create) must match, or API Gateway answers 400. Other methods and
	// paths of the service (amend, cancel) are not checked against it.
	RequestSchema map[string]any `json:"requestSchema,omitempty"`
}

// Backend is where a service's requests go.
type Backend struct {
	// Type is "http", "lambda", "vpc-link" or "gateway".
	Type string `json:"type"`
	// URL, for "http" and "vpc-link", is the base URL the path is appended
	// to; {region} stands for the deploying region.
	URL string `json:"url,omitempty"`
	// FunctionARN, for "lambda", is the function that answers.
	FunctionARN string `json:"functionArn,omitempty"`
	// VPCLink, for "vpc-link", names the REST API VPC link (to the network
	// load balancer in front of the service) that every region lists under
	// this name in regions[].vpcLinks: a VPC link belongs to one region.
	VPCLink string `json:"vpcLink,omitempty"`
	// Gateway, for "gateway", names an earlier, private gateway.
	Gateway string `json:"gateway,omitempty"`
}

// Site configures the static site. Its rules are checked by the site
// construct's validation (constructs/site), reported with the other problems.
type Site struct {
	// ContentDir is the folder deployed to the bucket, relative to the project root.
	ContentDir string `json:"contentDir"`
	// Markets are the ISO 3166-1 alpha-2 countries served (e.g. AU, NZ, GB,
	// BR); they choose the cheapest CloudFront price class that reaches them all.
	Markets []string `json:"markets"`
	// GeoAllowList restricts viewers to these countries; empty serves everyone.
	GeoAllowList []string `json:"geoAllowList,omitempty"`
	// SPAFallback answers 403/404 with /index.html for client-side routes.
	SPAFallback bool `json:"spaFallback"`
	// ContentSecurityPolicy overrides the default CSP header.
	ContentSecurityPolicy string `json:"contentSecurityPolicy,omitempty"`
	// DomainName, with the Route 53 zone that holds it, serves the site under
	// a custom name (ACM certificate in us-east-1, alias records).
	DomainName string `json:"domainName,omitempty"`
	// HostedZoneID is the Route 53 hosted zone that holds DomainName.
	HostedZoneID string `json:"hostedZoneId,omitempty"`
	// HostedZoneName is that zone's name, e.g. example.com.
	HostedZoneName string `json:"hostedZoneName,omitempty"`
	// WAF attaches a web ACL with AWS managed rule groups.
	WAF bool `json:"waf"`
}

// Region is one AWS region the platform runs in.
type Region struct {
	// Name is the AWS region name, e.g. "eu-west-2".
	Name string `json:"name"`
	// Market is the customers it serves, for humans (dashboards, docs).
	Market string `json:"market"`
	// Sessions names the sessions (of sessions) whose trading the region's
	// idle alarms watch. Default: every session.
	Sessions []string `json:"sessions,omitempty"`
	// UserPools are the region's Cognito user pools, by the name a "cognito"
	// authorizer gives as userPool:
	// arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id> (a pool
	// may be in another account, e.g. a central identity account); {region}
	// and {account} stand for this region and the account. Outside dev,
	// pools in the placeholder account 111111111111 are refused.
	UserPools map[string]string `json:"userPools,omitempty"`
	// VPCLinks are the region's REST API VPC link ids, by the name a
	// "vpc-link" backend gives as vpcLink. Outside dev, PLACEHOLDER is
	// refused.
	VPCLinks map[string]string `json:"vpcLinks,omitempty"`
	// PrivateEndpoints are, by the name of a private gateway, the VPC
	// endpoints and the VPC link it is reached through in the region.
	// Outside dev, the default configuration's placeholders are refused.
	PrivateEndpoints map[string]PrivateEndpoint `json:"privateEndpoints,omitempty"`
}

// Orderings of the fan-out path.
const (
	OrderingFIFO     = "fifo"     // ordered per account and de-duplicated end to end
	OrderingStandard = "standard" // at-least-once, best-effort order
)

// Fanout configures the path from the broker to every region's consumers.
type Fanout struct {
	// BrokerAccounts are the 12-digit AWS accounts allowed to send to the ingest queue.
	BrokerAccounts []string `json:"brokerAccounts"`
	// BrokerRoles are the IAM role ARNs in the broker accounts that send
	// (a * in the name matches several): only they may send and encrypt.
	// Required unless trustBrokerAccounts.
	BrokerRoles []string `json:"brokerRoles,omitempty"`
	// TrustBrokerAccounts lets any principal of the broker accounts send, as
	// their own IAM policies allow: an explicit choice instead of brokerRoles.
	TrustBrokerAccounts bool `json:"trustBrokerAccounts,omitempty"`
	// Ordering is "fifo" (per-account order and de-duplication) or "standard".
	Ordering string `json:"ordering"`
	// MaxReceiveCount is how often a message may be received before it moves to
	// its queue's dead-letter queue (1 to 1000). Consumers may override it. It
	// applies to the consumer queues, and to the ingest queue on the standard
	// path only: the FIFO ingest queue has no dead-letter queue and stalls
	// instead (docs/runbook.md, ordering policy). 0 or absent takes the fanout
	// construct's default (fanout.DefaultMaxReceiveCount, 5).
	MaxReceiveCount int `json:"maxReceiveCount,omitempty"`
	// Consumers get one queue (and dead-letter queue) in every region.
	Consumers []Consumer `json:"consumers"`
}

// Consumer is a team's processing of trade executions, in every region.
type Consumer struct {
	// Name is lower-case letters, digits and hyphens, starting with a letter,
	// at most 40 characters; it names the queues.
	Name string `json:"name"`
	// TimeoutSeconds is how long the consumer takes at most to process one
	// batch (1 to 900). The queue's visibility timeout is six times this, as AWS
	// recommends for Lambda consumers, so retries don't overlap a slow attempt.
	// 0 or absent takes the fanout construct's default
	// (fanout.DefaultTimeoutSeconds, 30).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// MaxReceiveCount overrides Fanout.MaxReceiveCount for this consumer; 0 keeps it.
	MaxReceiveCount int `json:"maxReceiveCount,omitempty"`
	// Ordering, when set, must equal Fanout.Ordering: it states that the
	// consumer relies on that ordering, and a mismatch is rejected rather than
	// silently losing order.
	Ordering string `json:"ordering,omitempty"`
	// Handler names a reference consumer the platform runs on the queue in
	// every region, applying each execution once, in its account's sequence
	// (docs/consumers.md): "holdings" or "buying-power". A FIFO fan-out
	// only. Absent: another team's code reads the queue.
	Handler string `json:"handler,omitempty"`
	// Paused deploys the handler without letting it read the queue, to
	// move a live queue from another team's reader to the handler:
	// deploy paused, seed the sequence table, stop the reader, unpause
	// (docs/consumers.md). Only with a handler.
	Paused bool `json:"paused,omitempty"`
}

// Alarms configures notifications.
type Alarms struct {
	// Emails receive ALARM and OK notifications in every region. At least one.
	Emails []string `json:"emails"`
	// PagerURL is an optional https endpoint (chat or pager integration)
	// subscribed to every alarm topic.
	PagerURL string `json:"pagerUrl,omitempty"`
	// Recipients by severity ("page" or "notify", see the alarm runbook):
	// each severity has its own alarm topic per region. A severity not
	// listed notifies Emails and PagerURL.
	Recipients map[string]Recipients `json:"recipients,omitempty"`
	// Overrides tune alarms, keyed "<kind>/<metric>" as listed in the alarm
	// runbook, e.g. "consumer-queue/ApproximateAgeOfOldestMessage". Unset
	// fields keep the default.
	Overrides map[string]AlarmOverride `json:"overrides,omitempty"`
}

// AlarmOverride changes an alarm's threshold or its M-of-N datapoints.
type AlarmOverride struct {
	// Threshold in the metric's unit (seconds for ages, a count, a ratio), at least 0.
	Threshold *float64 `json:"threshold,omitempty"`
	// DatapointsToAlarm of EvaluationPeriods must breach, from 1 to
	// EvaluationPeriods.
	DatapointsToAlarm int `json:"datapointsToAlarm,omitempty"`
	// EvaluationPeriods is how many of the alarm's periods (the runbook
	// gives each alarm's) it looks at: at most a day's worth for a period
	// under an hour, as CloudWatch evaluates.
	EvaluationPeriods int `json:"evaluationPeriods,omitempty"`
}

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse(defaultJSON, "config/default.json")
	if err != nil {
		panic(fmt.Sprintf("embedded default.json: %v", err))
	}
	return c
}

// Load reads the configuration file at path (the embedded default when path
// is ""), and sets its stage when stage is not "". It does not Validate.
// With a problem in the file's shape it returns the configuration as far
// as it decodes beside the problems (Parse), or nil when nothing does.
func Load(path, stage string) (*Config, error) {
	c := Default()
	var shape error
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("context config: cannot read %q: %w", path, err)
		}
		if c, shape = Parse(data, path); c == nil {
			return nil, shape
		}
	}
	if stage != "" {
		c.Stage = stage
		delete(c.src.offsets, "stage") // from the context, not the file
	}
	return c, shape
}

var appPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,19}$`)

// Validate checks every rule and returns a *problems.Error listing every
// problem, or nil.
func (c *Config) Validate() error {
	l := problems.List{Subject: "configuration"}

	if !appPattern.MatchString(c.App) {
		l.Add("app", c.App, "2 to 20 lower-case letters, digits or hyphens, starting with a letter")
	}
	if !slices.Contains(Stages, c.Stage) {
		l.Add("stage", c.Stage, "one of "+strings.Join(Stages, ", "))
	}
	if !valid.AccountID(c.Account) {
		l.Add("account", c.Account, "a 12-digit AWS account id")
	}

	if len(c.Regions) == 0 {
		l.Add("regions", "[]", "at least one region")
	}
	seen := map[string]bool{}
	for i, r := range c.Regions {
		f := fmt.Sprintf("regions[%d]", i)
		l.Distinct(seen, f+".name", r.Name, regions.Known(r.Name),
			"an AWS region name such as eu-west-2",
			"each region listed once")
		if strings.TrimSpace(r.Market) == "" {
			l.Add(f+".market", r.Market, "the market the region serves, e.g. \"United Kingdom\"")
		}
	}
	switch {
	case !regions.Known(c.PrimaryRegion):
		l.Add("primaryRegion", c.PrimaryRegion, "an AWS region name such as ap-southeast-2")
	case !seen[c.PrimaryRegion]:
		l.Add("primaryRegion", c.PrimaryRegion, "one of the regions listed in regions")
	}

	c.Fanout.validate(&l)
	c.Alarms.validate(&l)
	c.validateSessions(&l)
	c.validateAPI(&l)
	// Without a custom domain CloudFront serves its default certificate and
	// sets the security policy to TLSv1 whatever the distribution asks for
	// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ViewerCertificate.html,
	// MinimumProtocolVersion); with one the site construct requires
	// TLSv1.2_2021. So prod serves the site under its own domain.
	if c.IsProd() && c.Site.DomainName == "" {
		l.Add("site.domainName", "", "a custom domain (with hostedZoneId and hostedZoneName) in prod: on CloudFront's default certificate the TLS floor is TLSv1")
	}
	c.validatePipeline(&l)
	return l.Err()
}

func (f *Fanout) validate(l *problems.List) {
	// The broker accounts and maxReceiveCount are the fanout construct's to
	// check (stacks.Validate); here, what spans consumers.
	if f.Ordering != OrderingFIFO && f.Ordering != OrderingStandard {
		l.Add("fanout.ordering", f.Ordering, `"fifo" or "standard"`)
	}
	if len(f.Consumers) == 0 {
		l.Add("fanout.consumers", "[]", "at least one consumer")
	}
	names := map[string]bool{}
	for i, c := range f.Consumers {
		field := fmt.Sprintf("fanout.consumers[%d]", i)
		if c.Name != "" && names[c.Name] {
			l.Add(field+".name", c.Name, "a name no other consumer has")
		}
		names[c.Name] = true
		if c.Ordering != "" && c.Ordering != f.Ordering {
			l.Add(field+".ordering", c.Ordering, fmt.Sprintf("%q like fanout.ordering, or unset: a %s consumer on a %s fan-out would lose per-account order or fail to subscribe", f.Ordering, c.Ordering, f.Ordering))
		}
	}
}

func (c *Config) validateAPI(l *problems.List) {
	// The secrets' names and ARNs are checked by the api construct's
	// validation; here, that an ARN names each region's replica, and that
	// every gateway has a name no other has (it makes its REST API's name
	// and its construct ID).
	names := map[string]bool{}
	for i, g := range c.API.Gateways {
		l.Distinct(names, fmt.Sprintf("api.gateways[%d].name", i), g.Name, g.Name != "",
			"a gateway name: the REST API is <app>-<stage>-<name>", "a name no other gateway has")
		for j, u := range g.UsagePlans {
			f := fmt.Sprintf("api.gateways[%d].usagePlans[%d].apiKeySecret", i, j)
			a, err := arn.Parse(u.APIKeySecret)
			if err != nil {
				continue // a name, or not an ARN: the api construct's to say
			}
			if a.Region != "{region}" && len(c.Regions) > 1 {
				l.Add(f, u.APIKeySecret, "an ARN with {region} as its region, so that each region imports its own replica of the secret (or the secret's name)")
			}
			for _, r := range c.Regions {
				if p := regions.Partition(r.Name); a.Partition != p {
					l.Add(f, u.APIKeySecret, fmt.Sprintf("an ARN in partition %s, where %s is (a secret of another partition cannot be read)", p, r.Name))
					break
				}
			}
		}
	}
	c.validateRegionValues(l)
	c.validateAccountSettingsOwners(l)
}

// regionValues are what the gateways ask every region for, by name: user
// pools (authorizers' userPool), VPC links (backends' vpcLink) and private
// endpoints (private gateways), each with the field that names it.
func (c *Config) regionValues(l *problems.List) (pools, links, private map[string]string) {
	pools, links, private = map[string]string{}, map[string]string{}, map[string]string{}
	for i, g := range c.API.Gateways {
		if g.Private {
			private[g.Name] = fmt.Sprintf("api.gateways[%d].private", i)
		}
		for j, a := range g.Authorizers {
			f := fmt.Sprintf("api.gateways[%d].authorizers[%d].userPool", i, j)
			switch {
			case a.Type == "cognito" && a.UserPool == "":
				l.Add(f, a.UserPool, "the name of the user pool every region lists in regions[].userPools (required for a cognito authorizer)")
			case a.Type == "cognito":
				pools[a.UserPool] = f
			}
		}
		for j, s := range g.Services {
			f := fmt.Sprintf("api.gateways[%d].services[%d].backend.vpcLink", i, j)
			switch {
			case s.Backend.Type == "vpc-link" && s.Backend.VPCLink == "":
				l.Add(f, s.Backend.VPCLink, "the name of the VPC link every region lists in regions[].vpcLinks (required for a vpc-link backend)")
			case s.Backend.Type == "vpc-link":
				links[s.Backend.VPCLink] = f
			}
		}
	}
	return pools, links, private
}

// Fill is s, an ARN or URL of the gateways or the regions' blocks, with
// {region} and {account} replaced by region and the account.
func (c *Config) Fill(s, region string) string {
	return strings.NewReplacer("{region}", region, "{account}", c.Account).Replace(s)
}

// validateRegionValues checks that every region lists each value the
// gateways name, nothing they do not, and no placeholder outside dev. The
// values' formats are the api construct's to check (stacks.ValidateAPI).
func (c *Config) validateRegionValues(l *problems.List) {
	pools, links, private := c.regionValues(l)
	for k, r := range c.Regions {
		f := fmt.Sprintf("regions[%d]", k)
		values(l, f+".userPools", r.UserPools, pools, "user pool")
		values(l, f+".vpcLinks", r.VPCLinks, links, "VPC link")
		values(l, f+".privateEndpoints", r.PrivateEndpoints, private, "private gateway's endpoints")
		for _, name := range slices.Sorted(maps.Keys(r.UserPools)) {
			v := c.Fill(r.UserPools[name], r.Name)
			parsed, err := arn.Parse(v)
			c.placeholder(l, fmt.Sprintf("%s.userPools[%q]", f, name), v, err == nil && parsed.AccountID == PlaceholderAccount, "user pool")
		}
		for _, name := range slices.Sorted(maps.Keys(r.VPCLinks)) {
			c.placeholder(l, fmt.Sprintf("%s.vpcLinks[%q]", f, name), r.VPCLinks[name], r.VPCLinks[name] == PlaceholderVPCLink, "VPC link id")
		}
		for _, name := range slices.Sorted(maps.Keys(r.PrivateEndpoints)) {
			e, fe := r.PrivateEndpoints[name], fmt.Sprintf("%s.privateEndpoints[%q]", f, name)
			c.placeholder(l, fe+".vpcLinkId", e.VPCLinkID, e.VPCLinkID == PlaceholderVPCLink, "VPC link id")
			for i, id := range e.VPCEndpointIDs {
				c.placeholder(l, fmt.Sprintf("%s.vpcEndpointIds[%d]", fe, i), id, placeholderEndpoint.MatchString(id), "VPC endpoint id")
			}
		}
	}
}

// values checks a region's map of named values at field f against the
// names the gateways use (with the field that uses each): every used name
// is listed, and nothing else is.
func values[V any](l *problems.List, f string, listed map[string]V, used map[string]string, what string) {
	names := slices.Sorted(maps.Keys(used))
	for _, name := range names {
		if _, ok := listed[name]; !ok {
			l.Add(fmt.Sprintf("%s[%q]", f, name), "none listed", fmt.Sprintf("the region's %s: %s names it, and every region lists it", what, used[name]))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(listed)) {
		if _, ok := used[name]; !ok {
			l.Add(fmt.Sprintf("%s[%q]", f, name), name, fmt.Sprintf("a name the gateways use (%s): nothing uses this %s", strings.Join(names, ", "), what))
		}
	}
}

// placeholder reports value, at field f, when it is one of the default
// configuration's placeholders (isPlaceholder) and the stage deploys for
// real: a known one but dev.
func (c *Config) placeholder(l *problems.List, f, value string, isPlaceholder bool, what string) {
	if isPlaceholder && c.Stage != "dev" && slices.Contains(Stages, c.Stage) {
		l.Add(f, value, "a real "+what+": "+value+" is the default configuration's placeholder, refused outside dev")
	}
}

// validateAccountSettingsOwners checks that each account's API Gateway
// account setting has one owning stage.
func (c *Config) validateAccountSettingsOwners(l *problems.List) {
	if c.API.AccountSettingsOwners == nil && len(c.Pipeline.Stages) == 0 && len(c.API.Gateways) > 0 {
		l.Add("api.accountSettingsOwners", "unset", `the stages that create their account's API Gateway account setting, e.g. ["prod"], or pipeline.stages: `+
			"with neither, every stage deployed to the account would create it, and the stages would overwrite each other's setting")
	}
	accounts := map[string]string{} // stage -> its account
	for _, s := range c.PipelineStages() {
		accounts[s.Name] = s.Account
	}
	owner, listed := map[string]string{}, map[string]bool{} // account -> its owning stage; the stages listed
	for i, o := range c.API.AccountSettingsOwners {
		f := fmt.Sprintf("api.accountSettingsOwners[%d]", i)
		if !l.Distinct(listed, f, o, slices.Contains(Stages, o), "one of "+strings.Join(Stages, ", "), "each stage listed once") {
			continue
		}
		acct, ok := accounts[o]
		if !ok {
			continue // deployed outside the pipeline, with its own configuration
		}
		if owner[acct] != "" {
			l.Add(f, o, fmt.Sprintf("one owner per account: %s already owns the API Gateway account setting of account %s", owner[acct], acct))
			continue
		}
		owner[acct] = o
	}
}

func (a *Alarms) validate(l *problems.List) {
	if len(a.Emails) == 0 {
		l.Add("alarms.emails", "[]", "at least one e-mail address")
	}
	Recipients{a.Emails, a.PagerURL}.validate(l, "alarms")
	for _, k := range slices.Sorted(maps.Keys(a.Recipients)) {
		f := fmt.Sprintf("alarms.recipients[%q]", k)
		if !slices.Contains(Severities, k) {
			l.Add(f, k, "a severity: one of "+strings.Join(Severities, ", "))
			continue
		}
		r := a.Recipients[k]
		if len(r.Emails) == 0 && r.PagerURL == "" {
			l.Add(f, "no recipient", "at least one e-mail address or a pagerUrl: an alarm nobody receives is not an alarm")
		}
		r.validate(l, f)
	}
}

// IsProd reports whether data-bearing resources must survive stack deletion.
func (c *Config) IsProd() bool { return c.Stage == "prod" }

// Prefix is "<app>-<stage>": it starts the name of every stack and of every
// resource with a physical name.
func (c *Config) Prefix() string { return c.App + "-" + c.Stage }

// RegionNames lists the configured regions in order.
func (c *Config) RegionNames() []string {
	out := make([]string, len(c.Regions))
	for i, r := range c.Regions {
		out[i] = r.Name
	}
	return out
}

// SelectRegions parses the `-c regions=a,b` context value against the
// configuration (us-east-1 selects the edge stack). An empty value returns
// nil: every stack.
func (c *Config) SelectRegions(value string) ([]string, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	l := problems.List{Subject: "context"}
	configured := c.RegionNames()
	var out []string
	seen := map[string]bool{}
	for _, r := range strings.Split(value, ",") {
		r = strings.TrimSpace(r)
		if l.Distinct(seen, "regions", r, slices.Contains(configured, r) || r == regions.Edge,
			"one of the configured regions ("+strings.Join(configured, ", ")+") or "+regions.Edge, "each region selected once") {
			out = append(out, r)
		}
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
