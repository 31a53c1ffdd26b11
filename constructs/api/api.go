// Package api is the REST front door between the mobile app and website and
// the microservices: one API Gateway REST API per gateway and region, routing
// each service's base path to its backend with proxy integration, with the
// stage settings production needs (JSON access logs, execution logs without
// bodies, X-Ray, explicit throttling), authorizers, usage plans, CORS,
// request validation, a regional WAF web ACL and a custom domain with
// latency-based records as options.
package api

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/domain"
	"github.com/brokerage/platform/internal/guard"
	"github.com/brokerage/platform/internal/suppress"
	"github.com/brokerage/platform/internal/waf"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/regions"
	"github.com/brokerage/platform/valid"
)

// Backend types.
const (
	BackendHTTP    = "http"     // a public https endpoint; never a host with an "internal" label
	BackendLambda  = "lambda"   // a Lambda function, by ARN
	BackendVPCLink = "vpc-link" // a private endpoint behind a VPC link (NLB)
	BackendGateway = "gateway"  // another, private, gateway of the same region (an internal one)
)

// PrivateEndpoint is how a private gateway is reached in one region.
type PrivateEndpoint struct {
	// VPCEndpointIDs are the interface VPC endpoints for execute-api
	// (com.amazonaws.<region>.execute-api) the gateway accepts calls
	// through; the gateway is associated with each. At least one.
	VPCEndpointIDs []string
	// VPCLinkID is the REST API VPC link, to a network load balancer whose
	// targets are the first endpoint's network interfaces (TCP 443), that
	// other gateways of the region reach this one through.
	VPCLinkID string
}

// vpcEndpointID is an EC2 VPC endpoint id: "vpce-" and 17 hexadecimal
// digits (8 for endpoints created before EC2's longer ids)
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcEndpoint.html,
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
var vpcEndpointID = regexp.MustCompile(`^vpce-([0-9a-f]{17}|[0-9a-f]{8})$`)

// vpcLinkID is a REST API VPC link's id, as CreateVpcLink returns it (the
// id, not the network load balancer's ARN).
var vpcLinkID = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// MaxAuthorizers is how many authorizers API Gateway allows per REST API
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
const MaxAuthorizers = 10

// Backend is where a service's requests go.
type Backend struct {
	Type        string
	URL         string // http, vpc-link: base URL; the proxied path is appended
	FunctionARN string // lambda
	VPCLinkID   string // vpc-link
	Gateway     string // gateway: the name of a gateway built earlier (Props.Gateways)
}

// SchemaMethod is the method whose body a Service's RequestSchema checks,
// on the service's base path: the create.
const SchemaMethod = "POST"

// Service is one microservice behind the gateway.
type Service struct {
	// Name of the service; BasePath is its first path segment (e.g. "orders").
	Name, BasePath string
	Backend        Backend
	// Authorizer names one of Props.Authorizers; "" means the gateway's
	// DefaultAuthorizer.
	Authorizer string
	// RateLimit and BurstLimit throttle this service's routes; 0 keeps the gateway's.
	RateLimit, BurstLimit float64
	// APIKeyRequired makes the routes need a usage plan's API key (partners).
	APIKeyRequired bool
	// RequestSchema, when set, is a JSON schema (draft 4) the body of a
	// create (SchemaMethod, POST /<BasePath>) must match; API Gateway rejects
	// other bodies with 400. Other methods and paths are not checked against
	// it. Default: no schema.
	RequestSchema map[string]any
}

// Authorizer checks callers before a request reaches a service.
type Authorizer struct {
	Name string
	// Type is "cognito" (UserPoolARNs) or "lambda" (FunctionARN, a TOKEN
	// authorizer that validates bearer JWTs).
	Type string
	// UserPoolARNs are the Cognito user pools by region; a gateway uses the
	// pool of its stack's region. Each must be a user pool ARN of that
	// region (CheckUserPoolARN). Required for "cognito".
	UserPoolARNs map[string]string
	FunctionARN  string
}

// userPoolID is Cognito's user pool id: "<region>_<random>"
// (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_DescribeUserPool.html).
var userPoolID = regexp.MustCompile(`^([a-z0-9-]+)_([0-9A-Za-z]+)$`)

// CheckUserPoolARN returns what is wrong with value as the ARN of a Cognito
// user pool in region, or "" when nothing is. API Gateway checks a Cognito
// authorizer's provider ARNs when it creates the authorizer, so a wrong one
// fails the deployment; a pool may be in another account
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-cross-account-cognito-authorizer.html).
func CheckUserPoolARN(value, region string) string {
	want := "arn:<partition>:cognito-idp:" + region + ":<account>:userpool/" + region + "_<id>"
	a, err := arn.Parse(value)
	if err != nil || !valid.Partition(a.Partition) || a.Service != "cognito-idp" || !valid.AccountID(a.AccountID) {
		return "a Cognito user pool ARN, " + want
	}
	if a.Region != region {
		return "a user pool in " + region + ", the region it is listed for (" + want + ")"
	}
	if a.Partition != regions.Partition(region) {
		return "a user pool in " + region + "'s partition " + regions.Partition(region) + " (" + want + ")"
	}
	id, ok := strings.CutPrefix(a.Resource, "userpool/")
	m := userPoolID.FindStringSubmatch(id)
	if !ok || m == nil || m[1] != region || len(id) > 55 {
		return "a user pool id " + region + "_<id> after userpool/ (" + want + ")"
	}
	return ""
}

// UsagePlan is a partner tier: its API key's throttling and daily quota.
type UsagePlan struct {
	Name                  string
	RateLimit, BurstLimit float64
	QuotaPerDay           float64
	// APIKeySecret names the Secrets Manager secret whose SecretString is
	// the plan's API key value (at least 20 characters): its name, or its
	// ARN for a secret of another account. Every region imports the same
	// value, so a partner's key works wherever the latency records send it;
	// the secret must exist in every region (a replica keeps its name).
	// Required.
	APIKeySecret string
}

// secretName is what Secrets Manager accepts as a secret name
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
var secretName = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)

// CheckSecretID returns what is wrong with value as the name or ARN of a
// Secrets Manager secret, or "" when nothing is. A CloudFormation dynamic
// reference takes either; a secret of another account needs its ARN
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html).
func CheckSecretID(value string) string {
	const want = "a Secrets Manager secret name such as partners/api-key, or its ARN arn:<partition>:secretsmanager:<region>:<account>:secret:<name>"
	name := value
	if strings.HasPrefix(value, "arn:") {
		if awsrules.ARN(value, "secretsmanager", "secret:") != "" {
			return want
		}
		a, _ := arn.Parse(value)
		name = strings.TrimPrefix(a.Resource, "secret:")
	}
	if !secretName.MatchString(name) {
		return want
	}
	return ""
}

const functionARNWant = "a Lambda function ARN, arn:<partition>:lambda:<region>:<account>:function:<name>"

// Props configures one gateway.
type Props struct {
	// Name of the REST API, which its metrics, alarms and dashboard lines
	// use. Default: "<stack name>-<construct id>", its punctuation made
	// hyphens; set it for a name another region's dashboard can know
	// beforehand (Props.Metrics).
	Name string
	// Alarms is the alarms construct of the stack's region: it watches the
	// stage with the catalogue's alarms. Required: a gateway nobody watches
	// fails the "nothing lost" rules' coverage.
	Alarms *alarms.Alarms
	// Label names the gateway in its alarms' names ("api-<label>-5XXError")
	// and dashboard titles. Default: Name.
	Label string
	// StageName. Default: DefaultStageName.
	StageName string
	// RateLimit (requests per second) and BurstLimit throttle every route;
	// both required and positive: never the account maximums.
	RateLimit, BurstLimit float64
	// LoggingLevel of execution logs, "ERROR" or "INFO". Request and response
	// bodies are never logged. Default: "ERROR".
	LoggingLevel string
	// AccessLogRetention of the JSON access logs. Default: three months.
	AccessLogRetention awslogs.RetentionDays
	// Services routed by base path. At least one.
	Services []Service
	// Authorizers available to services; DefaultAuthorizer names the one
	// used by services that name none ("" for none).
	Authorizers       []Authorizer
	DefaultAuthorizer string
	// UsagePlans with one API key each, for partner clients. Default: none.
	UsagePlans []UsagePlan
	// CORSOrigins allowed by browsers; empty disables CORS.
	CORSOrigins []string
	// WAF attaches a REGIONAL web ACL with AWS managed rules. Default: false.
	WAF bool
	// DomainName, in the Route 53 zone HostedZoneID/HostedZoneName, serves the
	// gateway with a regional certificate; with LatencyRecords the record is
	// latency-based so one host name serves clients from the nearest region.
	DomainName, HostedZoneID, HostedZoneName string
	LatencyRecords                           bool
	// PrivateEndpoints, keyed by region, make the gateway a PRIVATE REST API:
	// it has no public endpoint, and its resource policy lets execute-api
	// calls in only through the region's VPCEndpointIDs. A gateway uses the
	// entry of its stack's region. Default: a public Regional endpoint.
	PrivateEndpoints map[string]PrivateEndpoint
	// Gateways built earlier in this stack, by name, for "gateway" backends;
	// each must be private (PrivateEndpoints).
	Gateways map[string]*Gateway
	// RemovalPolicy of the access log group. Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
	// Account is the region's API Gateway account setting (NewAccount) when
	// this stack owns it: the stage, which turns on execution and access
	// logging, is created after it. Default: none, the setting is owned by
	// another stack that deploys first.
	Account awsapigateway.CfnAccount
}

var pathSegment = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Validate reports every problem at once, naming fields with prefix.
func (p *Props) Validate(prefix string) error {
	l := problems.List{Subject: "configuration"}
	p.validateLimits(&l, prefix)
	authTypes := p.validateAuthorizers(&l, prefix)
	if _, ok := authTypes[p.DefaultAuthorizer]; p.DefaultAuthorizer != "" && !ok {
		l.Add(prefix+"defaultAuthorizer", p.DefaultAuthorizer, "the name of one of the authorizers")
	}
	p.validateServices(&l, prefix, authTypes)
	p.validateUsagePlans(&l, prefix)
	for i, o := range p.CORSOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" {
			l.Add(fmt.Sprintf("%scorsOrigins[%d]", prefix, i), o, "an https origin such as https://www.example.com")
		}
	}
	p.validatePrivateEndpoints(&l, prefix)
	p.validateDomain(&l, prefix)
	return l.Err()
}

// validateLimits checks the gateway's throttle, its logging level and,
// with a web ACL, the name its metric takes.
func (p *Props) validateLimits(l *problems.List, prefix string) {
	if p.RateLimit <= 0 {
		l.Add(prefix+"rateLimit", p.RateLimit, "requests per second above 0")
	}
	if p.BurstLimit <= 0 {
		l.Add(prefix+"burstLimit", p.BurstLimit, "a burst above 0")
	}
	whole(l, prefix+"burstLimit", p.BurstLimit, "a stage's burst limit")
	if p.LoggingLevel != "" && p.LoggingLevel != "ERROR" && p.LoggingLevel != "INFO" {
		l.Add(prefix+"loggingLevel", p.LoggingLevel, `"ERROR" or "INFO"`)
	}
	if want := awsrules.WAFMetricName(p.Name); p.WAF && p.Name != "" && want != "" {
		l.Add(prefix+"name", p.Name, "a name that makes a valid WAF metric name (the web ACL's metric is the API's name): "+want)
	}
}

// whole adds a problem at field when v, which CloudFormation types as an
// integer, has a fraction.
func whole(l *problems.List, field string, v float64, what string) {
	if want := awsrules.WholeNumber(v, what); want != "" {
		l.Add(field, v, want)
	}
}

// validateAuthorizers checks the authorizers and returns their types by name.
func (p *Props) validateAuthorizers(l *problems.List, prefix string) map[string]string {
	if len(p.Authorizers) > MaxAuthorizers {
		l.Add(prefix+"authorizers", fmt.Sprintf("%d authorizers", len(p.Authorizers)), fmt.Sprintf("at most %d: API Gateway allows %d authorizers per REST API", MaxAuthorizers, MaxAuthorizers))
	}
	authTypes := map[string]string{}
	for i, a := range p.Authorizers {
		f := fmt.Sprintf("%sauthorizers[%d]", prefix, i)
		if _, seen := authTypes[a.Name]; a.Name == "" || seen {
			l.Add(f+".name", a.Name, "a unique authorizer name")
		}
		authTypes[a.Name] = a.Type
		switch a.Type {
		case "cognito":
			if len(a.UserPoolARNs) == 0 {
				l.Add(f+".userPoolArns", "{}", "the Cognito user pool ARN of every region, by region")
			}
			for _, r := range slices.Sorted(maps.Keys(a.UserPoolARNs)) {
				if want := CheckUserPoolARN(a.UserPoolARNs[r], r); want != "" {
					l.Add(fmt.Sprintf("%s.userPoolArns[%q]", f, r), a.UserPoolARNs[r], want)
				}
			}
		case "lambda":
			if awsrules.ARN(a.FunctionARN, "lambda", "function:") != "" {
				l.Add(f+".functionArn", a.FunctionARN, functionARNWant)
			}
		default:
			l.Add(f+".type", a.Type, `"cognito" or "lambda"`)
		}
	}
	return authTypes
}

// validateServices checks each service's path, authorizer, throttle and
// backend; authTypes are the authorizers' types by name.
func (p *Props) validateServices(l *problems.List, prefix string, authTypes map[string]string) {
	if len(p.Services) == 0 {
		l.Add(prefix+"services", "[]", "at least one service")
	}
	paths, names := map[string]bool{}, map[string]bool{}
	for i, s := range p.Services {
		f := fmt.Sprintf("%sservices[%d]", prefix, i)
		l.Distinct(names, f+".name", s.Name, s.Name != "", "a service name", "a name no other service of the gateway has")
		l.Distinct(paths, f+".basePath", s.BasePath, pathSegment.MatchString(s.BasePath),
			"one lower-case path segment such as orders",
			"a base path no other service has")
		requestModel(l, f+".requestSchema", s.RequestSchema) // for its problems: New builds the model
		p.validateServiceAccess(l, f, s, authTypes)
		p.validateBackend(l, f, s.Backend)
	}
}

// jsonSchemaTypes are the types of JSON schema draft 4, which API Gateway models use.
var jsonSchemaTypes = []string{"array", "boolean", "integer", "null", "number", "object", "string"}

// requestModel is the model (draft 4) of a request schema: an object, its
// required names and its properties' types, which is what the api construct
// reads of it. It adds at field what it cannot read: another type, required
// names that are not a list of strings, a property that is not an object
// with a JSON schema type.
func requestModel(l *problems.List, field string, schema map[string]any) *awsapigateway.JsonSchema {
	model := &awsapigateway.JsonSchema{Schema: awsapigateway.JsonSchemaVersion_DRAFT4, Type: awsapigateway.JsonSchemaType_OBJECT}
	if t, ok := schema["type"]; ok && t != "object" {
		l.Add(field+".type", t, `"object" (a request body schema describes a JSON object), or unset`)
	}
	if req, ok := schema["required"]; ok {
		list, isList := req.([]any)
		names := make([]string, len(list))
		for i, r := range list {
			names[i], ok = r.(string)
			isList = isList && ok
		}
		if !isList {
			l.Add(field+".required", fmt.Sprint(req), "a list of property names")
		}
		model.Required = jsii.Strings(names...)
	}
	props, ok := schema["properties"]
	if !ok {
		return model
	}
	m, ok := props.(map[string]any)
	if !ok {
		l.Add(field+".properties", fmt.Sprint(props), "an object of property schemas")
		return model
	}
	types := map[string]*awsapigateway.JsonSchema{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
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
		types[k] = &awsapigateway.JsonSchema{Type: awsapigateway.JsonSchemaType(strings.ToUpper(t))}
	}
	model.Properties = &types
	return model
}

func (p *Props) validateServiceAccess(l *problems.List, f string, s Service, authTypes map[string]string) {
	if _, ok := authTypes[s.Authorizer]; s.Authorizer != "" && !ok {
		l.Add(f+".authorizer", s.Authorizer, "the name of one of the authorizers")
	}
	if s.RateLimit < 0 || (s.RateLimit == 0) != (s.BurstLimit == 0) || s.BurstLimit < 0 {
		l.Add(f+".rateLimit", fmt.Sprintf("%v/%v", s.RateLimit, s.BurstLimit), "rateLimit and burstLimit both above 0, or both unset")
	}
	whole(l, f+".burstLimit", s.BurstLimit, "a method's burst limit")
	if s.APIKeyRequired && len(p.UsagePlans) == 0 {
		l.Add(f+".apiKeyRequired", true, "a usage plan to issue the keys")
	}
	name := p.authorizerOf(s)
	if s.APIKeyRequired && p.LatencyRecords && authTypes[name] == "cognito" {
		// Behind latency records a partner reaches whichever region is
		// nearest, and a Cognito authorizer accepts only the tokens of
		// the one user pool of its region.
		l.Add(f+".authorizer", name, `a "lambda" authorizer that accepts the partner's token in every region: with latencyRecords a partner may reach any region, and a Cognito authorizer accepts only its own region's user pool`)
	}
}

func (p *Props) validateBackend(l *problems.List, f string, b Backend) {
	switch b.Type {
	case BackendHTTP:
		if u, err := url.Parse(b.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			l.Add(f+".backend.url", b.URL, "an https:// URL")
		} else if slices.Contains(strings.Split(u.Hostname(), "."), "internal") {
			// An HTTP integration calls its host over the public internet;
			// only a VPC link reaches a private one:
			// https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html
			l.Add(f+".backend.type", b.Type, `"vpc-link" for the private host `+u.Hostname()+` (an "http" backend is called over the public internet)`)
		}
	case BackendVPCLink:
		if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			l.Add(f+".backend.url", b.URL, "the URL of the NLB behind the VPC link")
		}
		if !vpcLinkID.MatchString(b.VPCLinkID) {
			l.Add(f+".backend.vpcLinkId", b.VPCLinkID, "a REST API VPC link id such as abc123 (the id CreateVpcLink returns, not the load balancer's ARN, without spaces)")
		}
	case BackendLambda:
		if awsrules.ARN(b.FunctionARN, "lambda", "function:") != "" {
			l.Add(f+".backend.functionArn", b.FunctionARN, functionARNWant)
		}
	case BackendGateway:
		if inner, ok := p.Gateways[b.Gateway]; !ok {
			l.Add(f+".backend.gateway", b.Gateway, "the name of a gateway listed before this one")
		} else if !inner.Private {
			// A Regional endpoint is public: the inner gateway could be
			// called around this one's web ACL, throttles and usage plans.
			l.Add(f+".backend.gateway", b.Gateway, "a private gateway (with privateEndpoints): a public one can be called directly, around this gateway")
		}
	default:
		l.Add(f+".backend.type", b.Type, `"http", "lambda", "vpc-link" or "gateway"`)
	}
}

func (p *Props) validateUsagePlans(l *problems.List, prefix string) {
	names := map[string]bool{}
	for i, u := range p.UsagePlans {
		f := fmt.Sprintf("%susagePlans[%d]", prefix, i)
		l.Distinct(names, f+".name", u.Name, u.Name != "", "a plan name", "a name no other usage plan of the gateway has")
		if u.RateLimit <= 0 || u.BurstLimit <= 0 {
			l.Add(f+".rateLimit", fmt.Sprintf("%v/%v", u.RateLimit, u.BurstLimit), "rateLimit and burstLimit above 0")
		}
		whole(l, f+".burstLimit", u.BurstLimit, "a usage plan's burst limit")
		if u.QuotaPerDay < 0 {
			l.Add(f+".quotaPerDay", u.QuotaPerDay, "0 (no quota) or more")
		}
		whole(l, f+".quotaPerDay", u.QuotaPerDay, "a usage plan's quota")
		if want := CheckSecretID(u.APIKeySecret); want != "" {
			l.Add(f+".apiKeySecret", u.APIKeySecret, want+", holding the partner's API key")
		}
	}
}

func (p *Props) validatePrivateEndpoints(l *problems.List, prefix string) {
	for _, r := range slices.Sorted(maps.Keys(p.PrivateEndpoints)) {
		e := p.PrivateEndpoints[r]
		f := fmt.Sprintf("%sprivateEndpoints[%q]", prefix, r)
		if len(e.VPCEndpointIDs) == 0 {
			l.Add(f+".vpcEndpointIds", "[]", "at least one interface VPC endpoint id for execute-api in "+r+", such as vpce-0123456789abcdef0")
		}
		seen := map[string]bool{}
		for i, id := range e.VPCEndpointIDs {
			l.Distinct(seen, fmt.Sprintf("%s.vpcEndpointIds[%d]", f, i), id, vpcEndpointID.MatchString(id),
				"a VPC endpoint id: vpce- and 17 hexadecimal digits, such as vpce-0123456789abcdef0", "each endpoint listed once")
		}
		if !vpcLinkID.MatchString(e.VPCLinkID) {
			l.Add(f+".vpcLinkId", e.VPCLinkID, "the REST API VPC link id (to the network load balancer in front of the endpoints, such as abc123, not its ARN) the gateway is reached through from other gateways")
		}
	}
}

func (p *Props) validateDomain(l *problems.List, prefix string) {
	if len(p.PrivateEndpoints) > 0 && p.DomainName != "" {
		l.Add(prefix+"domainName", p.DomainName, "unset for a private gateway: its callers use the endpoints' host names")
	}
	if p.DomainName == "" && p.LatencyRecords {
		l.Add(prefix+"latencyRecords", true, "a domainName to create the records for")
	}
	domain.Check(l, prefix, p.DomainName, p.HostedZoneID, p.HostedZoneName, "api.example.com")
}

// Gateway is one REST API and its stage.
//
// Example:
//
//	gw := api.New(stack, "PublicApi", &api.Props{
//		Name: "brokerage-prod-public", RateLimit: 500, BurstLimit: 1000,
//		Services: []api.Service{{Name: "orders", BasePath: "orders",
//			Backend: api.Backend{Type: api.BackendHTTP, URL: "https://orders.internal.example.com"}}},
//	})
//	gw.Metric5XX(nil)
type Gateway struct {
	constructs.Construct
	// RestAPI is the API.
	RestAPI awsapigateway.RestApi
	// Stage is the API's deployment stage (RestAPI.DeploymentStage()).
	Stage awsapigateway.Stage
	// AccessLogs receives one JSON line per request.
	AccessLogs awslogs.LogGroup
	// Name and StageName are what CloudWatch metrics use as ApiName and Stage.
	Name, StageName string
	// APIKeys by usage plan name.
	APIKeys map[string]awsapigateway.IApiKey
	// WebACL, when Props.WAF.
	WebACL awswafv2.CfnWebACL
	// Private is true for a PRIVATE API (Props.PrivateEndpoints), and
	// Endpoint the region's endpoints and VPC link then.
	Private  bool
	Endpoint PrivateEndpoint

	label  string // Props.Label
	region string // the stack's
}

// New builds a gateway. It panics with a *problems.Error listing every invalid prop.
// The account-wide CloudWatch role is not created here: see NewAccount.
func New(scope constructs.Construct, id string, props *Props) *Gateway {
	p := props.withDefaults()
	if p.Name == "" {
		p.Name = nonName.ReplaceAllString(*awscdk.Stack_Of(scope).StackName()+"-"+id, "-")
	}
	if err := p.Validate(""); err != nil { // the name it takes, given or not
		panic(err)
	}
	if props.Alarms == nil {
		invalid("alarms", nil, "the alarms construct of the stack's region (alarms.New)")
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	guard.Install(c)
	g := &Gateway{Construct: c, Name: p.Name, StageName: p.StageName, APIKeys: map[string]awsapigateway.IApiKey{}, Private: len(p.PrivateEndpoints) > 0, label: cmp.Or(p.Label, p.Name)}
	g.region = *awscdk.Stack_Of(scope).Region()
	if _, ok := p.PrivateEndpoints[g.region]; g.Private && !ok {
		invalid("PrivateEndpoints", g.region, "the endpoints of the stack's region "+g.region)
	}
	g.Endpoint = p.PrivateEndpoints[g.region] // none for a public gateway
	g.addAccessLogs(p)
	g.RestAPI = awsapigateway.NewRestApi(c, jsii.String("Resource"), g.restAPIProps(p))
	g.Stage = g.RestAPI.DeploymentStage()
	stage := g.Stage.Node().DefaultChild().(awscdk.CfnResource)
	g.configureStage(p, stage)
	g.addServices(p, g.addAuthorizers(p))
	g.addUsagePlans(p)
	g.addWebACL(p, stage)
	if p.DomainName != "" {
		g.addDomain(p)
	}
	p.Alarms.Watch(g.Stage, alarms.Target{Kind: alarms.KindAPIStage, Label: "api-" + g.label, Metrics: g.Metrics()})
	p.Alarms.AddWidgets(g.Widgets()...)
	return g
}

// Widgets are the gateway's dashboard lines: its errors as a share of
// requests, its latency and its requests.
func (g *Gateway) Widgets() []awscloudwatch.IWidget {
	stage := g.Metrics()
	return []awscloudwatch.IWidget{
		alarms.Graph("API "+g.label+": errors (share of requests)", alarms.KindAPIStage.Metric(stage, "4XXError").Line("4xx"), alarms.KindAPIStage.Metric(stage, "5XXError").Line("5xx")),
		alarms.Graph("API "+g.label+": latency (ms) and requests", LatencyP99(stage).Line("latency p99"), stage.Metric("Count", "Sum").Line("requests")),
	}
}

// DefaultStageName is a gateway's stage unless Props.StageName says
// otherwise.
const DefaultStageName = "v1"

// Metrics are where the stage's metrics are (AWS/ApiGateway, by the API's
// name and the stage's): its alarms, the dashboards and the Metric*
// methods read them.
func (g *Gateway) Metrics() alarms.Source { return alarms.APIStageMetrics(g.Name, g.StageName) }

// Metrics are where the metrics of the gateway p builds will be, before it
// is built (or in another region): the global overview graphs them. They
// need p.Name.
func (p *Props) Metrics() alarms.Source {
	return alarms.APIStageMetrics(p.Name, p.withDefaults().StageName)
}

// nonName matches what a generated gateway name leaves out.
var nonName = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// withDefaults is a copy of p with every unset default filled in.
func (p *Props) withDefaults() *Props {
	d := *p
	d.StageName = cmp.Or(d.StageName, DefaultStageName)
	d.LoggingLevel = cmp.Or(d.LoggingLevel, "ERROR")
	d.AccessLogRetention = cmp.Or(d.AccessLogRetention, awslogs.RetentionDays_THREE_MONTHS)
	d.RemovalPolicy = cmp.Or(d.RemovalPolicy, awscdk.RemovalPolicy_RETAIN)
	return &d
}

// invalid panics with a problem that New finds and Validate cannot: Validate
// runs before there is a stack (its region, its alarms construct).
func invalid(field string, value any, want string) {
	l := problems.List{Subject: "api.Props"}
	l.Add(field, value, want)
	panic(l.Err())
}

func (g *Gateway) addAccessLogs(p *Props) {
	g.AccessLogs = awslogs.NewLogGroup(g.Construct, jsii.String("AccessLogs"), &awslogs.LogGroupProps{Retention: p.AccessLogRetention, RemovalPolicy: p.RemovalPolicy})
	suppress.Checkov(g.AccessLogs, "CKV_AWS_158", "Access logs hold request metadata (caller IP, path, status, latency), never bodies; CloudWatch Logs encrypts them at rest with its own keys.")
}

// methodOptions are the services' throttles. A service's throttle is a
// method setting of each of its methods. Each setting restates the stage's
// logging, metrics and data trace, so that a method's settings never depend
// on what API Gateway fills in for the ones left out of an override:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-stage-methodsetting.html
func methodOptions(p *Props) map[string]*awsapigateway.MethodDeploymentOptions {
	options := map[string]*awsapigateway.MethodDeploymentOptions{}
	for _, s := range p.Services {
		if s.RateLimit > 0 {
			paths := []string{"/" + s.BasePath + "/ANY", "/" + s.BasePath + "/{proxy+}/ANY"}
			if s.RequestSchema != nil {
				paths = append(paths, "/"+s.BasePath+"/"+SchemaMethod)
			}
			for _, path := range paths {
				options[path] = &awsapigateway.MethodDeploymentOptions{
					ThrottlingRateLimit: jsii.Number(s.RateLimit), ThrottlingBurstLimit: jsii.Number(s.BurstLimit),
					LoggingLevel: awsapigateway.MethodLoggingLevel(p.LoggingLevel), MetricsEnabled: jsii.Bool(true), DataTraceEnabled: jsii.Bool(false),
				}
			}
		}
	}
	return options
}

func (g *Gateway) restAPIProps(p *Props) *awsapigateway.RestApiProps {
	options := methodOptions(p)
	apiProps := &awsapigateway.RestApiProps{
		RestApiName:    jsii.String(p.Name),
		Description:    jsii.String("REST front door: " + p.Name),
		CloudWatchRole: jsii.Bool(false), // one AWS::ApiGateway::Account per region: NewAccount
		EndpointTypes:  &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(p.StageName),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(g.AccessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_JsonWithStandardFields(nil), // every standard field
			LoggingLevel:         awsapigateway.MethodLoggingLevel(p.LoggingLevel),
			DataTraceEnabled:     jsii.Bool(false), // never log request or response bodies
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(true),
			ThrottlingRateLimit:  jsii.Number(p.RateLimit),
			ThrottlingBurstLimit: jsii.Number(p.BurstLimit),
			MethodOptions:        &options,
		},
	}
	if g.Private {
		g.makePrivate(apiProps)
	}
	if len(p.CORSOrigins) > 0 {
		apiProps.DefaultCorsPreflightOptions = &awsapigateway.CorsOptions{AllowOrigins: jsii.Strings(p.CORSOrigins...)} // every method, the default headers
	}
	return apiProps
}

// makePrivate makes apiProps a PRIVATE API. A PRIVATE API has no public
// endpoint; associating the VPC endpoints gives it the endpoint-specific
// host names other gateways call
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html).
// The resource policy refuses every caller that does not come through one
// of them, and API Gateway refuses a private API's calls without a policy
// that allows them
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html).
func (g *Gateway) makePrivate(apiProps *awsapigateway.RestApiProps) {
	var endpoints []awsec2.IVpcEndpoint
	for i, id := range g.Endpoint.VPCEndpointIDs {
		endpoints = append(endpoints, awsec2.InterfaceVpcEndpoint_FromInterfaceVpcEndpointAttributes(g.Construct, jsii.String(fmt.Sprintf("Endpoint%d", i)), &awsec2.InterfaceVpcEndpointAttributes{VpcEndpointId: jsii.String(id), Port: jsii.Number(443)}))
	}
	apiProps.EndpointTypes = nil
	apiProps.EndpointConfiguration = &awsapigateway.EndpointConfiguration{Types: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_PRIVATE}, VpcEndpoints: &endpoints}
	anyone := &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()}
	invoke := func(effect awsiam.Effect, test string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect: effect, Principals: anyone,
			Actions: jsii.Strings("execute-api:Invoke"), Resources: jsii.Strings("execute-api:/*"),
			Conditions: &map[string]any{test: map[string]any{"aws:SourceVpce": g.Endpoint.VPCEndpointIDs}},
		})
	}
	apiProps.Policy = awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		invoke(awsiam.Effect_DENY, "StringNotEquals"),
		invoke(awsiam.Effect_ALLOW, "StringEquals"),
	}})
}

// configureStage orders the stage after the account setting and records
// why the stage and the API are as they are.
func (g *Gateway) configureStage(p *Props, stage awscdk.CfnResource) {
	if p.Account != nil {
		// A stage that logs is refused ("CloudWatch Logs role ARN must be set
		// in account settings to enable logging") until the account setting
		// names a role, and nothing else orders the two:
		// https://github.com/aws/aws-cdk/issues/10722
		stage.AddResourceDependency(p.Account, jsii.String("logging needs the account setting's role"))
	}
	suppress.Checkov(stage, "CKV_AWS_120", "Responses are per customer (holdings, orders): caching them at the gateway would serve one customer's data to another.")
	if len(p.CORSOrigins) > 0 {
		const why = "CORS preflight (OPTIONS) must answer browsers without credentials; every other method has an authorizer."
		suppress.Subtree(g.RestAPI).Nag("AwsSolutions-APIG4", why).Nag("AwsSolutions-COG4", why).Record()
	}
}

// addAuthorizers creates the authorizers that a service uses, by name; a
// Cognito one uses the user pool of the stack's region. One that no service
// uses yet is not created: aws-cdk-lib refuses an authorizer attached to no
// method.
func (g *Gateway) addAuthorizers(p *Props) map[string]awsapigateway.IAuthorizer {
	c := g.Construct
	used := map[string]bool{}
	for _, s := range p.Services {
		used[p.authorizerOf(s)] = true
	}
	authorizers := map[string]awsapigateway.IAuthorizer{}
	for _, a := range p.Authorizers {
		if !used[a.Name] {
			continue
		}
		switch a.Type {
		case "cognito":
			arn, ok := a.UserPoolARNs[g.region]
			if !ok {
				invalid("Authorizers["+a.Name+"].UserPoolARNs", g.region, "a user pool for the stack's region "+g.region)
			}
			pool := awscognito.UserPool_FromUserPoolArn(c, jsii.String("Pool-"+a.Name), jsii.String(arn))
			authorizers[a.Name] = awsapigateway.NewCognitoUserPoolsAuthorizer(c, jsii.String("Authorizer-"+a.Name), &awsapigateway.CognitoUserPoolsAuthorizerProps{CognitoUserPools: &[]awscognito.IUserPool{pool}})
		case "lambda":
			fn := awslambda.Function_FromFunctionAttributes(c, jsii.String("AuthFn-"+a.Name), &awslambda.FunctionAttributes{FunctionArn: jsii.String(a.FunctionARN), SameEnvironment: jsii.Bool(true)})
			authorizers[a.Name] = awsapigateway.NewTokenAuthorizer(c, jsii.String("Authorizer-"+a.Name), &awsapigateway.TokenAuthorizerProps{Handler: fn})
		}
	}
	return authorizers
}

// addServices routes each service's base path to its backend: the base
// path and its proxy resource take any method. Every method validates its
// declared parameters; methods with a schema validate the body too.
func (g *Gateway) addServices(p *Props, authorizers map[string]awsapigateway.IAuthorizer) {
	params := g.RestAPI.AddRequestValidator(jsii.String("Validator"), &awsapigateway.RequestValidatorOptions{ValidateRequestParameters: jsii.Bool(true), ValidateRequestBody: jsii.Bool(true)})
	root := g.RestAPI.Root()
	for _, s := range p.Services {
		name := p.authorizerOf(s)
		a, ok := authorizers[name] // a method takes its authorizer's authorization type
		opts := awsapigateway.MethodOptions{Authorizer: a, ApiKeyRequired: jsii.Bool(s.APIKeyRequired), RequestValidator: params}
		proxyOpts := opts
		proxyOpts.RequestParameters = &map[string]*bool{"method.request.path.proxy": jsii.Bool(true)}
		integration, rootIntegration := g.integrations(s, p.Gateways)
		base := root.AddResource(jsii.String(s.BasePath), nil)
		base.AddMethod(jsii.String("ANY"), rootIntegration, &opts)
		base.AddResource(jsii.String("{proxy+}"), nil).AddMethod(jsii.String("ANY"), integration, &proxyOpts)
		if s.RequestSchema != nil {
			// The create gets its own method (Service.RequestSchema), which API
			// Gateway prefers to ANY:
			// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-any-method.html
			schema := requestModel(new(problems.List), "", s.RequestSchema) // Validate has reported its problems
			model := g.RestAPI.AddModel(jsii.String("Model-"+s.Name), &awsapigateway.ModelOptions{ContentType: jsii.String("application/json"), Schema: schema})
			createOpts := opts
			// The validator checks body and parameters; the model makes it check the body.
			createOpts.RequestModels = &map[string]awsapigateway.IModel{"application/json": model}
			base.AddMethod(jsii.String(SchemaMethod), rootIntegration, &createOpts)
		}
		if !ok {
			why := "Service " + s.Name + " is configured without an authorizer (public data)."
			suppress.Subtree(base).Nag("AwsSolutions-APIG4", why).Nag("AwsSolutions-COG4", why).Record()
		} else if a.AuthorizationType() != awsapigateway.AuthorizationType_COGNITO {
			suppress.Nag(base, "AwsSolutions-COG4", "Service "+s.Name+" uses the Lambda (JWT) authorizer "+name+".")
		}
	}
}

func (g *Gateway) addUsagePlans(p *Props) {
	for _, u := range p.UsagePlans {
		// The key's value is resolved from Secrets Manager when CloudFormation
		// creates the key, in every region alike; it never appears in the
		// template:
		// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-apikey.html
		value := awscdk.SecretValue_SecretsManager(jsii.String(u.APIKeySecret), nil).UnsafeUnwrap()
		key := g.RestAPI.AddApiKey(jsii.String("Key-"+u.Name), &awsapigateway.ApiKeyOptions{ApiKeyName: jsii.String(p.Name + "-" + u.Name), Value: value})
		var quota *awsapigateway.QuotaSettings // none for 0
		if u.QuotaPerDay > 0 {
			quota = &awsapigateway.QuotaSettings{Limit: jsii.Number(u.QuotaPerDay), Period: awsapigateway.Period_DAY}
		}
		g.RestAPI.AddUsagePlan(jsii.String("Plan-"+u.Name), &awsapigateway.UsagePlanProps{
			Name:      jsii.String(p.Name + "-" + u.Name),
			Throttle:  &awsapigateway.ThrottleSettings{RateLimit: jsii.Number(u.RateLimit), BurstLimit: jsii.Number(u.BurstLimit)},
			Quota:     quota,
			ApiStages: &[]*awsapigateway.UsagePlanPerApiStage{{Stage: g.Stage}},
		}).AddApiKey(key, nil)
		g.APIKeys[u.Name] = key
	}
}

// addWebACL attaches the regional web ACL when p.WAF, or says on stage why
// there is none.
func (g *Gateway) addWebACL(p *Props, stage awscdk.CfnResource) {
	if p.WAF {
		g.WebACL = waf.NewManagedRulesACL(g.Construct, "WebACL", "REGIONAL", p.Name)
		awswafv2.NewCfnWebACLAssociation(g.Construct, jsii.String("WebACLAssociation"), &awswafv2.CfnWebACLAssociationProps{ResourceArn: g.Stage.StageArn(), WebAclArn: g.WebACL.AttrArn()})
		return
	}
	why := "The web ACL is off in this configuration (the gateway's waf option); turn it on for production."
	if g.Private {
		// A web ACL on a private API is allowed but not required: the
		// endpoints and the resource policy decide who gets in
		// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html,
		// https://repost.aws/questions/QUIhLsAUROQpKrMbIN_Gvtlg/private-api-gateway-architecture).
		why = "A private gateway: its resource policy lets in only calls through its VPC endpoints, and the public gateway's calls have passed that gateway's web ACL already; the gateway's waf option adds a web ACL here as well."
	}
	suppress.Resource(stage).Checkov("CKV2_AWS_29", why).Nag("AwsSolutions-APIG3", why).Record()
}

// addDomain serves the gateway at p.DomainName with a regional certificate;
// with LatencyRecords the record is the region's latency record.
func (g *Gateway) addDomain(p *Props) {
	c := g.Construct
	zone, cert := domain.Certificate(c, p.DomainName, p.HostedZoneID, p.HostedZoneName)
	custom := g.RestAPI.AddDomainName(jsii.String("Domain"), &awsapigateway.DomainNameOptions{DomainName: jsii.String(p.DomainName), Certificate: cert, SecurityPolicy: awsapigateway.SecurityPolicy_TLS_1_2})
	record := &awsroute53.ARecordProps{Zone: zone, RecordName: jsii.String(p.DomainName), Target: awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayDomain(custom))}
	if p.LatencyRecords {
		record.Region = jsii.String(g.region)
		record.SetIdentifier = jsii.String(p.Name + "-" + g.region)
	}
	awsroute53.NewARecord(c, jsii.String("Record"), record)
}

// integrations are a service's two routes to its backend: proxy forwards
// /<basePath>/{proxy+} with the rest of the path to <url>/{proxy}, base
// forwards /<basePath> itself to <url> and maps no parameter. The backend
// (function, VPC link) is referenced once for both.
func (g *Gateway) integrations(s Service, gateways map[string]*Gateway) (proxy, base awsapigateway.Integration) {
	b := s.Backend
	u := strings.TrimSuffix(b.URL, "/")
	vpcLink := func(id string) awsapigateway.IVpcLink {
		return awsapigateway.VpcLink_FromVpcLinkId(g.Construct, jsii.String("Link-"+s.Name), jsii.String(id))
	}
	// A VPC link makes the connection VPC_LINK (IntegrationOptions.ConnectionType's
	// default); none, for an http backend, calls it over the internet.
	var link awsapigateway.IVpcLink
	switch b.Type {
	case BackendLambda:
		// A proxy Lambda integration passes the whole request path.
		fn := awslambda.Function_FromFunctionAttributes(g.Construct, jsii.String("Backend-"+s.Name), &awslambda.FunctionAttributes{FunctionArn: jsii.String(b.FunctionARN), SameEnvironment: jsii.Bool(true)})
		opts := &awsapigateway.LambdaIntegrationOptions{AllowTestInvoke: jsii.Bool(false)}
		return awsapigateway.NewLambdaIntegration(fn, opts), awsapigateway.NewLambdaIntegration(fn, opts)
	case BackendVPCLink:
		link = vpcLink(b.VPCLinkID)
	case BackendGateway:
		// The inner gateway is private: it is called through its VPC link (a
		// network load balancer in front of its interface VPC endpoint) at
		// the endpoint-specific host name its association with the endpoint
		// creates, https://<rest-api-id>-<vpce-id>.execute-api.<region>.<url-suffix>/<stage>
		// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html);
		// the host name also names the API for API Gateway and TLS. The
		// caller's Authorization header passes through and is checked again there.
		inner := gateways[b.Gateway]
		link = vpcLink(inner.Endpoint.VPCLinkID)
		u = "https://" + *inner.RestAPI.RestApiId() + "-" + inner.Endpoint.VPCEndpointIDs[0] + ".execute-api." + g.region + "." + *awscdk.Aws_URL_SUFFIX() +
			"/" + inner.StageName + "/" + s.BasePath
	}
	baseOptions := awsapigateway.IntegrationOptions{VpcLink: link}
	proxyOptions := baseOptions
	proxyOptions.RequestParameters = &map[string]*string{"integration.request.path.proxy": jsii.String("method.request.path.proxy")}
	route := func(u string, o *awsapigateway.IntegrationOptions) awsapigateway.Integration {
		return awsapigateway.NewHttpIntegration(jsii.String(u), &awsapigateway.HttpIntegrationProps{HttpMethod: jsii.String("ANY"), Options: o})
	}
	return route(u+"/{proxy}", &proxyOptions), route(u, &baseOptions)
}

// AccountProps configures the role of the account setting (NewAccount).
type AccountProps struct {
	// ScopedPolicy gives the role an inline policy whose log actions reach
	// only the log groups of this account and region, instead of the AWS
	// managed AmazonAPIGatewayPushToCloudWatchLogs, whose "*" reaches every
	// log group of the account in every region. The actions are the ones
	// AWS lists for this role, which the managed policy holds
	// (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html#set-up-access-logging-permissions):
	// API Gateway checks for them when the setting is written. It is the
	// policy AWS Solutions Constructs (configureCloudwatchRoleForApi in
	// @aws-solutions-constructs/core) deploys for this setting.
	// The scope is the region, not the platform's log groups: every API of
	// the account and region logs through this role, with access log
	// groups of any name. Default: false, the managed policy.
	ScopedPolicy bool
}

// NewAccount creates the region's AWS::ApiGateway::Account with the role API
// Gateway uses to write logs. The setting is one per account and region,
// shared by every API there: create it in exactly one stack per account and
// region (two would overwrite each other's role), and pass it to the
// gateways of that stack (Props.Account). props may be nil.
//
// The role and the setting are retained when the stack is deleted, whatever
// the stage: every API of the account and region logs through that role, and
// the setting keeps naming it after the stack is gone
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-account.html).
func NewAccount(scope constructs.Construct, id string, props *AccountProps) awsapigateway.CfnAccount {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	roleProps := &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String("Lets API Gateway write execution and access logs in this region"),
	}
	// The policy is the role's own property, not an AWS::IAM::Policy of its
	// own: the setting, created once the role is, must find the permissions
	// there already (aws/aws-cdk#2194), and the retained role keeps them.
	var logsARN *string // every log group of this account and region, when scoped
	if props != nil && props.ScopedPolicy {
		logsARN = stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("logs"), Resource: jsii.String("*"), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
		roleProps.InlinePolicies = &map[string]awsiam.PolicyDocument{"PushToCloudWatchLogs": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
					"logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"),
				Resources: jsii.Strings(*logsARN),
			})},
		})}
	}
	role := awsiam.NewRole(c, jsii.String("Role"), roleProps)
	if logsARN != nil {
		suppress.Nag(role, "AwsSolutions-IAM5", "API Gateway writes the log groups of every API of the account and region, named outside this stack; the grant is limited to this account and region.",
			"Resource::"+cfn.NagName(stack.Resolve(logsARN)))
	} else {
		role.AddManagedPolicy(awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("service-role/AmazonAPIGatewayPushToCloudWatchLogs")))
		suppress.Nag(role, "AwsSolutions-IAM4", "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS maintains for exactly this account-wide logging role.")
	}
	role.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
	account := awsapigateway.NewCfnAccount(c, jsii.String("Resource"), &awsapigateway.CfnAccountProps{CloudWatchRoleArn: role.RoleArn()})
	account.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	return account
}

// authorizerOf is the authorizer service s uses: its own, or the gateway's
// default; "" for a public service.
func (p *Props) authorizerOf(s Service) string { return cmp.Or(s.Authorizer, p.DefaultAuthorizer) }

// Metric5XX is the share of requests answered with a 5xx. By default
// (opts nil or unset) what the stage's 5XXError alarm evaluates.
func (g *Gateway) Metric5XX(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return g.metric("5XXError", opts)
}

// Metric4XX is the share of requests answered with a 4xx (throttling
// among them). By default what the stage's 4XXError alarm evaluates.
func (g *Gateway) Metric4XX(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return g.metric("4XXError", opts)
}

// MetricCount is the number of requests. By default what the stage's
// Count alarm evaluates.
func (g *Gateway) MetricCount(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return g.metric("Count", opts)
}

// metric is the stage's metric name as its alarm evaluates it, by the
// API's and the stage's names (the Stage's own metric methods name the
// stage by a Ref, which resolves to the same), with opts applied.
func (g *Gateway) metric(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return alarms.KindAPIStage.Metric(g.Metrics(), name).CDK().With(alarms.KindAPIStage.MetricOptions(name, opts))
}

// LatencyP99 is the p99 latency (ms) of the stage whose metrics are stage,
// per minute: the dashboards' latency line.
func LatencyP99(stage alarms.Source) alarms.Metric { return stage.Metric("Latency", "p99") }
