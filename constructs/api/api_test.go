package api

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/brokerage/platform/constructs/alarms/alarmstest"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/problems"
	"github.com/google/go-cmp/cmp"
)

var asm *cfn.Assembly

var cognito = map[string]string{"eu-west-2": "arn:aws:cognito-idp:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7"}

func TestMain(m *testing.M) {
	tmp, _ := os.MkdirTemp("", "api-test")
	app := cfn.NewApp(filepath.Join(tmp, "out"))
	s := cfntest.StackIn(app, "uk", "eu-west-2")
	account := NewAccount(s, "Account", nil)
	al := alarmstest.New(s, "t")
	internal := New(s, "Internal", &Props{Name: "t-internal", Alarms: al, RateLimit: 50, BurstLimit: 100, Account: account,
		PrivateEndpoints: map[string]PrivateEndpoint{"eu-west-2": {VPCEndpointIDs: []string{"vpce-0123456789abcdef0", "vpce-0fedcba9876543210"}, VPCLinkID: "rsk123"}},
		Services:         []Service{{Name: "risk", BasePath: "risk", Backend: Backend{Type: BackendVPCLink, VPCLinkID: "abc123", URL: "http://risk.internal:8080"}}}})
	New(s, "Public", &Props{
		Name: "t-public", Alarms: al, RateLimit: 500, BurstLimit: 1000, LoggingLevel: "INFO", Account: account,
		Authorizers: []Authorizer{
			{Name: "customers", Type: "cognito", UserPoolARNs: cognito},
			{Name: "partners-jwt", Type: "lambda", FunctionARN: "arn:aws:lambda:eu-west-2:111111111111:function:jwt"},
		},
		DefaultAuthorizer: "customers",
		UsagePlans:        []UsagePlan{{Name: "partners", RateLimit: 10, BurstLimit: 20, QuotaPerDay: 5000, APIKeySecret: "partners/api-key"}},
		CORSOrigins:       []string{"https://www.example.com"},
		WAF:               true,
		DomainName:        "api.broker.example.com", HostedZoneID: "Z1", HostedZoneName: "broker.example.com", LatencyRecords: true,
		Gateways: map[string]*Gateway{"internal": internal},
		Services: []Service{
			{Name: "orders", BasePath: "orders", Backend: Backend{Type: BackendHTTP, URL: "https://orders.example.com"}, RateLimit: 100, BurstLimit: 200,
				RequestSchema: map[string]any{"required": []any{"symbol"}, "properties": map[string]any{"symbol": map[string]any{"type": "string"}}}},
			{Name: "quotes", BasePath: "quotes", Backend: Backend{Type: BackendLambda, FunctionARN: "arn:aws:lambda:eu-west-2:111111111111:function:quotes"}, Authorizer: "partners-jwt", APIKeyRequired: true},
			{Name: "risk", BasePath: "risk", Backend: Backend{Type: BackendGateway, Gateway: "internal"}},
			// A name ending in -root is an ordinary service: its proxy route forwards the path.
			{Name: "positions-root", BasePath: "positions", Backend: Backend{Type: BackendHTTP, URL: "https://positions.example.com/"}},
		},
	})
	// A gateway given no name, in a stack of its own.
	orders := cfntest.StackIn(app, "shop-api", "eu-west-2")
	New(orders, "Orders Api", &Props{Alarms: alarmstest.New(orders, "t"), RateLimit: 10, BurstLimit: 20, Account: NewAccount(orders, "Account", &AccountProps{ScopedPolicy: true}),
		Services: []Service{{Name: "orders", BasePath: "orders", Backend: Backend{Type: BackendHTTP, URL: "https://orders.example.com"}}}})
	asm = cfn.Synth(app)
	rc := m.Run()
	os.RemoveAll(tmp)
	os.Exit(rc)
}

func tmpl() cfn.Template { return asm.Stack("uk").Template }

// methods returns the methods of the API whose logical IDs start with prefix, by HTTP method and path part.
func methods(prefix string) []cfn.Resource {
	var out []cfn.Resource
	for _, m := range tmpl().Resources("AWS::ApiGateway::Method") {
		if strings.HasPrefix(m.LogicalID, prefix) {
			out = append(out, m)
		}
	}
	return out
}

func TestStageHasJSONAccessLogsExecutionLogsWithoutBodiesTracingAndThrottling(t *testing.T) {
	stage := cfntest.Get(t, asm, "uk", "Public/Resource/DeploymentStage.v1/Resource")
	logs := cfntest.Get(t, asm, "uk", "Public/AccessLogs/Resource")
	access := stage.Props["AccessLogSetting"].(map[string]any)
	if !strings.Contains(cfntest.JSON(access["DestinationArn"]), `"Ref":"`+logs.LogicalID+`"`) {
		t.Errorf("access logs go to %s, want log group %s", cfntest.JSON(access["DestinationArn"]), logs.LogicalID)
	}
	if !strings.HasPrefix(access["Format"].(string), "{") {
		t.Errorf("access log format is not JSON: %s", access["Format"])
	}
	cfntest.Check(t, "retention", 90.0, logs.Props["RetentionInDays"])
	cfntest.Check(t, "tracing", true, stage.Props["TracingEnabled"])
	var all map[string]any
	perRoute := map[string]any{}
	for _, s := range stage.Props["MethodSettings"].([]any) {
		m := s.(map[string]any)
		if m["ResourcePath"] == "/*" {
			all = m
		} else {
			perRoute[m["HttpMethod"].(string)+" "+m["ResourcePath"].(string)] = m
		}
	}
	cfntest.Check(t, "stage-wide settings", map[string]any{"DataTraceEnabled": false, "HttpMethod": "*", "LoggingLevel": "INFO", "MetricsEnabled": true, "ResourcePath": "/*", "ThrottlingBurstLimit": 1000.0, "ThrottlingRateLimit": 500.0}, all)
	// A per-route override restates logging, metrics and data trace.
	route := func(method, path string) map[string]any {
		return map[string]any{"DataTraceEnabled": false, "HttpMethod": method, "LoggingLevel": "INFO", "MetricsEnabled": true, "ResourcePath": path, "ThrottlingBurstLimit": 200.0, "ThrottlingRateLimit": 100.0}
	}
	cfntest.Check(t, "per-route settings", map[string]any{
		"ANY /~1orders":           route("ANY", "/~1orders"),
		"POST /~1orders":          route("POST", "/~1orders"),
		"ANY /~1orders~1{proxy+}": route("ANY", "/~1orders~1{proxy+}"),
	}, perRoute)
}

// The create-order schema checks POST /orders only: amending or cancelling
// (other methods, sub-paths) sends other bodies.
func TestRequestModelOnlyOnTheCreateMethod(t *testing.T) {
	paths := map[string]string{} // logical ID -> path
	for _, r := range tmpl().Resources("AWS::ApiGateway::Resource") {
		paths[r.LogicalID] = r.Props["PathPart"].(string)
	}
	got := map[string]any{}
	for _, m := range methods("Public") {
		if models, ok := m.Props["RequestModels"]; ok {
			got[m.Props["HttpMethod"].(string)+" "+paths[cfn.Ref(m.Props["ResourceId"])]] = cfntest.JSON(models)
		}
	}
	model := tmpl().Resources("AWS::ApiGateway::Model")[0]
	cfntest.Check(t, "methods with a request model", map[string]any{"POST orders": `{"application/json":{"Ref":"` + model.LogicalID + `"}}`}, got)
}

func TestOneAccountRolePerRegionNotPerAPI(t *testing.T) {
	cfntest.Check(t, "AWS::ApiGateway::Account resources", 1, len(tmpl().Resources("AWS::ApiGateway::Account")))
	for _, api := range tmpl().Resources("AWS::ApiGateway::RestApi") {
		if strings.Contains(cfntest.JSON(api.Raw), "CloudWatchRole") {
			t.Errorf("%s creates its own CloudWatch role", api.LogicalID)
		}
	}
}

// The account setting's role gets AWS's managed policy, or, asked for, an
// inline one whose log actions reach this account and region only; either
// way the permissions are the role's own properties, there when the
// setting is created and retained with the role.
func TestAccountRoleTakesTheManagedOrAScopedPolicy(t *testing.T) {
	managed := cfntest.Get(t, asm, "uk", "Account/Role/Resource")
	cfntest.Check(t, "managed policies of the default role", `[{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]]}]`,
		cfntest.JSON(managed.Props["ManagedPolicyArns"]))
	scoped := cfntest.Get(t, asm, "shop-api", "Account/Role/Resource")
	if arns, ok := scoped.Props["ManagedPolicyArns"]; ok {
		t.Errorf("scoped role: ManagedPolicyArns = %v, want none", arns)
	}
	policies, _ := scoped.Props["Policies"].([]any)
	if len(policies) != 1 {
		t.Fatalf("scoped role: Policies = %v, want one inline policy", scoped.Props["Policies"])
	}
	statements := cfn.Statements(policies[0].(map[string]any)["PolicyDocument"])
	if len(statements) != 1 {
		t.Fatalf("scoped role: statements = %v, want one", statements)
	}
	for _, st := range statements {
		cfntest.Check(t, "the scoped statement's resource", `"arn:aws:logs:eu-west-2:111111111111:*"`, cfntest.JSON(st["Resource"]))
		for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
			if !strings.Contains(cfntest.JSON(st["Action"]), a) {
				t.Errorf("scoped statement: Action = %v, want it to include %s", st["Action"], a)
			}
		}
	}
	for _, p := range asm.Stack("shop-api").Template.Resources("AWS::IAM::Policy") {
		if strings.Contains(cfntest.JSON(p.Props["Roles"]), scoped.LogicalID) {
			t.Errorf("%s attaches to the account role: the setting may be created before it", p.LogicalID)
		}
	}
}

// Every stage turns on execution and access logging, which API Gateway
// refuses until the account setting names a role: each stage is created
// after the setting. The role and the setting outlive the stack, as other
// stacks' APIs in the account and region log through them.
func TestStagesDependOnTheRetainedAccountSetting(t *testing.T) {
	account := cfntest.Get(t, asm, "uk", "Account/Resource")
	role := cfntest.Get(t, asm, "uk", "Account/Role/Resource")
	for _, r := range []cfn.Resource{account, role} {
		cfntest.Check(t, r.LogicalID+" DeletionPolicy/UpdateReplacePolicy", "Retain/Retain", fmt.Sprint(r.Raw["DeletionPolicy"], "/", r.Raw["UpdateReplacePolicy"]))
	}
	stages := tmpl().Resources("AWS::ApiGateway::Stage")
	cfntest.Check(t, "stages", 2, len(stages))
	for _, st := range stages {
		deps, _ := st.Raw["DependsOn"].([]any)
		found := false
		for _, d := range deps {
			found = found || d == account.LogicalID
		}
		if !found {
			t.Errorf("stage %s: DependsOn = %v, want it to include the account setting %s", st.LogicalID, deps, account.LogicalID)
		}
	}
}

func TestRoutesUseProxyIntegrationsToTheirBackends(t *testing.T) {
	var got []string
	for _, m := range methods("Public") {
		integ, _ := m.Props["Integration"].(map[string]any)
		if m.Props["HttpMethod"] != "ANY" || integ == nil {
			continue
		}
		got = append(got, integ["Type"].(string)+" "+cfntest.JSON(integ["Uri"]))
		if uri, _ := integ["Uri"].(string); strings.Contains(uri, ".example.com") && (integ["ConnectionType"] != nil || integ["ConnectionId"] != nil) {
			t.Errorf("the http backend %s is called through a VPC link (%v %v), want over the internet", uri, integ["ConnectionType"], integ["ConnectionId"])
		}
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{`HTTP_PROXY "https://orders.example.com/{proxy}"`, `HTTP_PROXY "https://orders.example.com"`, "AWS_PROXY", "execute-api"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no integration like %s in:\n%s", want, joined)
		}
	}
	var vpcLink bool
	for _, m := range methods("Internal") {
		if integ, ok := m.Props["Integration"].(map[string]any); ok && integ["ConnectionType"] == "VPC_LINK" && integ["ConnectionId"] == "abc123" {
			vpcLink = true
		}
	}
	if !vpcLink {
		t.Error("the internal gateway does not reach its backend through the VPC link")
	}
}

// Which route is the base path is decided by the route, not by the service's
// name: a service named "<x>-root" still forwards /<basePath>/<rest> to
// <url>/<rest>.
func TestEveryServiceHasABaseAndAProxyRoute(t *testing.T) {
	var got []string
	for _, m := range methods("Public") {
		integ, _ := m.Props["Integration"].(map[string]any)
		if uri, _ := integ["Uri"].(string); strings.HasPrefix(uri, "https://positions.example.com") {
			got = append(got, uri+" "+cfntest.JSON(integ["RequestParameters"]))
		}
	}
	sort.Strings(got)
	want := []string{
		`https://positions.example.com null`,
		`https://positions.example.com/{proxy} {"integration.request.path.proxy":"method.request.path.proxy"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions-root integrations (-want +got):\n%s", diff)
	}
}

func TestAuthorizersPerRouteAndAPIKeys(t *testing.T) {
	auth := map[string]string{}
	for _, a := range tmpl().Resources("AWS::ApiGateway::Authorizer") {
		auth[a.LogicalID] = a.Props["Type"].(string)
	}
	types := map[string]bool{}
	for _, m := range methods("Public") {
		if m.Props["HttpMethod"] == "OPTIONS" {
			continue
		}
		id := cfn.Ref(m.Props["AuthorizerId"])
		if id == "" {
			t.Errorf("method %s has no authorizer", m.LogicalID)
		}
		types[auth[id]] = true
		// cdk-nag's COG4 wants Cognito: a route behind the Lambda (JWT)
		// authorizer says why it has none, a Cognito one needs not.
		md, _ := m.Raw["Metadata"].(map[string]any)
		if suppressed := strings.Contains(cfntest.JSON(md["cdk_nag"]), `"AwsSolutions-COG4"`); suppressed != (auth[id] == "TOKEN") {
			t.Errorf("method %s (%s authorizer) has COG4 suppressed: %t", m.LogicalID, auth[id], suppressed)
		}
		if strings.Contains(m.LogicalID, "quotes") && m.Props["ApiKeyRequired"] != true {
			t.Errorf("partner route %s does not require an API key", m.LogicalID)
		}
	}
	cfntest.Check(t, "authorizer types in use", map[string]bool{"COGNITO_USER_POOLS": true, "TOKEN": true}, types)
	plan := tmpl().Resources("AWS::ApiGateway::UsagePlan")[0]
	cfntest.Check(t, "plan throttle", map[string]any{"RateLimit": 10.0, "BurstLimit": 20.0}, plan.Props["Throttle"])
	cfntest.Check(t, "plan quota", map[string]any{"Limit": 5000.0, "Period": "DAY"}, plan.Props["Quota"])
	cfntest.Check(t, "API keys", 1, len(tmpl().Resources("AWS::ApiGateway::ApiKey")))
}

func TestRequestValidationCORSWAFAndLatencyRecord(t *testing.T) {
	if len(tmpl().Resources("AWS::ApiGateway::Model")) != 1 {
		t.Error("no model for the orders schema")
	}
	for _, v := range tmpl().Resources("AWS::ApiGateway::RequestValidator") {
		cfntest.Check(t, v.LogicalID, []any{true, true}, []any{v.Props["ValidateRequestBody"], v.Props["ValidateRequestParameters"]})
	}
	options := 0
	for _, m := range methods("Public") {
		if m.Props["HttpMethod"] == "OPTIONS" {
			options++
		}
	}
	if options == 0 {
		t.Error("no CORS preflight methods")
	}
	acl := cfntest.Get(t, asm, "uk", "Public/WebACL")
	cfntest.Check(t, "WAF scope", "REGIONAL", acl.Props["Scope"])
	assoc := tmpl().Resources("AWS::WAFv2::WebACLAssociation")
	cfntest.Check(t, "web ACL associations", 1, len(assoc))
	rec := tmpl().Resources("AWS::Route53::RecordSet")[0]
	cfntest.Check(t, "latency record", []any{"eu-west-2", "t-public-eu-west-2"}, []any{rec.Props["Region"], rec.Props["SetIdentifier"]})
	dom := tmpl().Resources("AWS::ApiGateway::DomainName")[0]
	cfntest.Check(t, "regional certificate", "REGIONAL", dom.Props["EndpointConfiguration"].(map[string]any)["Types"].([]any)[0])
	cfntest.Check(t, "TLS", "TLS_1_2", dom.Props["SecurityPolicy"])
}

func TestInvalidPropsAreAllReported(t *testing.T) {
	err := (&Props{Name: "x", RateLimit: 0, BurstLimit: -1,
		Services: []Service{
			{Name: "a", BasePath: "orders", Backend: Backend{Type: BackendHTTP, URL: "http://plain.example.com"}},
			{Name: "b", BasePath: "orders", Backend: Backend{Type: BackendHTTP, URL: "https://ok.example.com"}, Authorizer: "nobody"},
			{Name: "c", BasePath: "c", Backend: Backend{Type: BackendGateway, Gateway: "missing"}, RateLimit: -5, BurstLimit: 1},
			{Name: "d", BasePath: "d", Backend: Backend{Type: BackendHTTP, URL: "https://orders.eu-west-2.internal.example.com"}},
		}}).Validate("api.gateways[0].")
	var perr *problems.Error
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want a *problems.Error", err)
	}
	cfntest.Check(t, "problems", []string{
		"api.gateways[0].rateLimit", "api.gateways[0].burstLimit",
		"api.gateways[0].services[0].backend.url",
		"api.gateways[0].services[1].basePath", "api.gateways[0].services[1].authorizer",
		"api.gateways[0].services[2].rateLimit", "api.gateways[0].services[2].backend.gateway",
		"api.gateways[0].services[3].backend.type",
	}, perr.Fields())
}

// Values CloudFormation types as integers are whole numbers, and a web
// ACL's metric, the API's name, has no space: problems at synth, not a
// failed deploy.
func TestLimitsAreWholeNumbersAndTheWAFMetricNameValid(t *testing.T) {
	orders := Service{Name: "orders", BasePath: "orders", Backend: Backend{Type: BackendHTTP, URL: "https://orders.example.com"}}
	valid := &Props{Name: "t-public", RateLimit: 10, BurstLimit: 20, WAF: true, Services: []Service{orders},
		UsagePlans: []UsagePlan{{Name: "partners", RateLimit: 5, BurstLimit: 10, QuotaPerDay: 1000, APIKeySecret: "partners/key"}}}
	if err := valid.Validate(""); err != nil {
		t.Fatalf("valid props: %v", err)
	}
	fractions := *valid
	fractions.Name, fractions.BurstLimit = "t public", 20.5
	throttled := orders
	throttled.RateLimit, throttled.BurstLimit = 1, 2.5
	fractions.Services = []Service{throttled}
	fractions.UsagePlans = []UsagePlan{{Name: "partners", RateLimit: 5, BurstLimit: 10.5, QuotaPerDay: 1000.5, APIKeySecret: "partners/key"}}
	var perr *problems.Error
	if err := fractions.Validate(""); !errors.As(err, &perr) {
		t.Fatalf("err = %v, want a *problems.Error", err)
	}
	cfntest.Check(t, "problems", []string{"burstLimit", "name", "services[0].burstLimit", "usagePlans[0].burstLimit", "usagePlans[0].quotaPerDay"}, perr.Fields())
	// A custom domain is in the hosted zone given, and a zone comes with a domain.
	for _, tc := range []struct {
		domain, zone string
		want         []string
	}{
		{"api.example.com", "example.com", nil},
		{"api.example.com", "example.org", []string{"hostedZoneName"}},
		{"api.badexample.com", "example.com", []string{"hostedZoneName"}},
		{"", "example.com", []string{"domainName"}},
	} {
		d := *valid
		d.DomainName, d.HostedZoneID, d.HostedZoneName = tc.domain, "Z123", tc.zone
		var got []string
		if perr, ok := d.Validate("").(*problems.Error); ok {
			got = perr.Fields()
		}
		cfntest.Check(t, tc.domain+" in "+tc.zone, tc.want, got)
	}
	// The name a gateway takes by default is held to the same rule.
	s := cfntest.StackIn(cfn.NewApp(t.TempDir()), "t", "eu-west-2")
	unnamed := *valid
	unnamed.Name, unnamed.Alarms = "", alarmstest.New(s, "t")
	got := cfntest.ProblemFields(t, func() { New(s, strings.Repeat("Api", 50), &unnamed) })
	cfntest.Check(t, "a default name too long for a WAF metric", []string{"name"}, got)
}

// API Gateway refuses to create a Cognito authorizer whose provider ARN is
// not a user pool: each region's pool is checked strictly.
func TestUserPoolARNsAreCheckedStrictly(t *testing.T) {
	for _, tc := range []struct{ arn, region, want string }{
		{"arn:aws:cognito-idp:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7", "eu-west-2", ""},
		{"arn:aws:cognito-idp:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7", "sa-east-1", "a user pool in sa-east-1"},
		{"arn:aws:cognito-idp:{region}:{account}:userpool/{region}_customers", "eu-west-2", "a Cognito user pool ARN"},
		{"arn:aws:cognito-identity:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7", "eu-west-2", "a Cognito user pool ARN"},
		{"arn:aws:cognito-idp:eu-west-2:4444:userpool/eu-west-2_aB3dE5fG7", "eu-west-2", "a Cognito user pool ARN"},
		{"arn:aws:cognito-idp:eu-west-2:444444444444:userpool/sa-east-1_aB3dE5fG7", "eu-west-2", "a user pool id eu-west-2_<id>"},
		{"arn:aws:cognito-idp:eu-west-2:444444444444:userpool/customers", "eu-west-2", "a user pool id eu-west-2_<id>"},
		{"arn:aws:cognito-idp:eu-west-2:444444444444:identitypool/eu-west-2_aB3dE5fG7", "eu-west-2", "a user pool id eu-west-2_<id>"},
		{"eu-west-2_aB3dE5fG7", "eu-west-2", "a Cognito user pool ARN"},
		// Every partition: cdk.json targets aws-cn too.
		{"arn:aws-cn:cognito-idp:cn-north-1:444444444444:userpool/cn-north-1_aB3dE5fG7", "cn-north-1", ""},
		{"arn:aws-cn:cognito-idp:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7", "eu-west-2", "a user pool in eu-west-2's partition aws"},
		{"arn:azure:cognito-idp:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7", "eu-west-2", "a Cognito user pool ARN"},
	} {
		got := CheckUserPoolARN(tc.arn, tc.region)
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("CheckUserPoolARN(%q, %q) = %q, want %q...", tc.arn, tc.region, got, tc.want)
		}
	}
	err := (&Props{Name: "x", RateLimit: 1, BurstLimit: 1,
		Authorizers: []Authorizer{{Name: "a", Type: "cognito"}, {Name: "b", Type: "cognito", UserPoolARNs: map[string]string{
			"eu-west-2": "arn:aws:cognito-idp:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7",
			"sa-east-1": "arn:aws:cognito-idp:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7",
		}}},
		Services: []Service{{Name: "s", BasePath: "s", Backend: Backend{Type: BackendHTTP, URL: "https://s.example.com"}}},
	}).Validate("g.")
	var perr *problems.Error
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want a *problems.Error", err)
	}
	cfntest.Check(t, "problems", []string{"g.authorizers[0].userPoolArns", `g.authorizers[1].userPoolArns["sa-east-1"]`}, perr.Fields())
}

// Lambda authorizers and backends take a function ARN of any partition
// (cdk.json targets aws-cn too), and nothing else.
func TestLambdaARNsOfEveryPartition(t *testing.T) {
	props := func(fn string) *Props {
		return &Props{Name: "x", RateLimit: 1, BurstLimit: 1,
			Authorizers: []Authorizer{{Name: "jwt", Type: "lambda", FunctionARN: fn}},
			Services:    []Service{{Name: "s", BasePath: "s", Backend: Backend{Type: BackendLambda, FunctionARN: fn}, Authorizer: "jwt"}},
		}
	}
	for _, fn := range []string{
		"arn:aws:lambda:eu-west-2:111111111111:function:jwt",
		"arn:aws-cn:lambda:cn-north-1:111111111111:function:jwt",
		"arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:jwt:live",
	} {
		if err := props(fn).Validate("g."); err != nil {
			t.Errorf("%s refused: %v", fn, err)
		}
	}
	for _, fn := range []string{"", "jwt", "arn:aws:lambda:", "arn:aws:iam::111111111111:role/jwt", "arn:aws:lambda:eu-west-2:111111111111:layer:jwt", "arn:azure:lambda:eu-west-2:111111111111:function:jwt",
		// API Gateway invokes a function by its whole ARN: region, account and name.
		"arn:aws:lambda:::function:jwt", "arn:aws:lambda:eu-west-2::function:jwt", "arn:aws:lambda:eu-west-2:111111111111:function:"} {
		err := props(fn).Validate("g.")
		var perr *problems.Error
		if !errors.As(err, &perr) {
			t.Errorf("%q: err = %v, want a *problems.Error", fn, err)
			continue
		}
		cfntest.Check(t, fmt.Sprintf("problems with %q", fn), []string{"g.authorizers[0].functionArn", "g.services[0].backend.functionArn"}, perr.Fields())
		if !strings.Contains(err.Error(), "want a Lambda function ARN, arn:<partition>:lambda:") {
			t.Errorf("%q: the message does not say what a function ARN looks like:\n%v", fn, err)
		}
	}
}

// The internal gateway has no public endpoint: it is PRIVATE, associated
// with its VPC endpoints, and its resource policy refuses every call that
// does not come through one of them.
func TestPrivateGatewayOnlyThroughItsVPCEndpoints(t *testing.T) {
	api := cfntest.Get(t, asm, "uk", "Internal/Resource/Resource")
	endpoints := []any{"vpce-0123456789abcdef0", "vpce-0fedcba9876543210"}
	cfntest.Check(t, "endpoint configuration", map[string]any{"Types": []any{"PRIVATE"}, "VpcEndpointIds": endpoints}, api.Props["EndpointConfiguration"])
	statement := func(effect, test string) map[string]any {
		return map[string]any{"Action": "execute-api:Invoke", "Effect": effect, "Principal": map[string]any{"AWS": "*"}, "Resource": "execute-api:/*",
			"Condition": map[string]any{test: map[string]any{"aws:SourceVpce": endpoints}}}
	}
	cfntest.Check(t, "resource policy", map[string]any{"Version": "2012-10-17", "Statement": []any{
		statement("Deny", "StringNotEquals"), statement("Allow", "StringEquals"),
	}}, api.Props["Policy"])
	public := cfntest.Get(t, asm, "uk", "Public/Resource/Resource")
	cfntest.Check(t, "public gateway's endpoint", map[string]any{"Types": []any{"REGIONAL"}}, public.Props["EndpointConfiguration"])
}

// The public gateway calls the private one through the VPC link at the
// endpoint-specific host name https://<api>-<vpce>.execute-api.<region>.<suffix>/<stage>.
func TestGatewayBackendGoesThroughTheVPCLinkToTheEndpointHostName(t *testing.T) {
	api := cfntest.Get(t, asm, "uk", "Internal/Resource/Resource")
	var got []string
	for _, m := range methods("Public") {
		integ, _ := m.Props["Integration"].(map[string]any)
		if integ == nil || !strings.Contains(cfntest.JSON(integ["Uri"]), "execute-api") {
			continue
		}
		got = append(got, fmt.Sprint(integ["ConnectionType"], " ", integ["ConnectionId"], " ", cfntest.JSON(integ["Uri"])))
	}
	uri := func(path string) string {
		return fmt.Sprintf(`VPC_LINK rsk123 {"Fn::Join":["",["https://",{"Ref":"%s"},"-vpce-0123456789abcdef0.execute-api.eu-west-2.",{"Ref":"AWS::URLSuffix"},"/v1/risk%s"]]}`, api.LogicalID, path)
	}
	cfntest.Check(t, "integrations of the risk routes", []string{uri(""), uri("/{proxy}")}, got)
}

func TestPrivateEndpointsAndGatewayBackendsAreChecked(t *testing.T) {
	public := &Gateway{}
	err := (&Props{Name: "x", RateLimit: 1, BurstLimit: 1, DomainName: "api.example.com", HostedZoneID: "Z1", HostedZoneName: "example.com",
		PrivateEndpoints: map[string]PrivateEndpoint{
			"eu-west-2": {VPCEndpointIDs: []string{"vpce-0123456789abcdef0", "vpce-12345678", "vpce-0123456789abcdef0", "vpce-0123456789ABCDEF0", "vpc-0123456789abcdef0"}, VPCLinkID: "arn:aws:elasticloadbalancing:eu-west-2:111111111111:loadbalancer/net/nlb/50dc6c495c0c9188"},
			"sa-east-1": {},
		},
		Gateways: map[string]*Gateway{"public": public},
		Services: []Service{{Name: "s", BasePath: "s", Backend: Backend{Type: BackendGateway, Gateway: "public"}}},
	}).Validate("g.")
	var perr *problems.Error
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want a *problems.Error", err)
	}
	cfntest.Check(t, "problems", []string{
		"g.services[0].backend.gateway",
		`g.privateEndpoints["eu-west-2"].vpcEndpointIds[2]`, `g.privateEndpoints["eu-west-2"].vpcEndpointIds[3]`, `g.privateEndpoints["eu-west-2"].vpcEndpointIds[4]`,
		`g.privateEndpoints["eu-west-2"].vpcLinkId`, `g.privateEndpoints["sa-east-1"].vpcEndpointIds`, `g.privateEndpoints["sa-east-1"].vpcLinkId`,
		"g.domainName",
	}, perr.Fields())
	if msg := err.Error(); !strings.Contains(msg, `got "vpc-0123456789abcdef0", want a VPC endpoint id`) || !strings.Contains(msg, "want a private gateway") {
		t.Errorf("messages do not name the value and what is expected:\n%s", msg)
	}
}

// Every region imports the partner's one key value from Secrets Manager, so
// the key works wherever the latency records send the partner.
func TestPartnerKeyValueComesFromSecretsManager(t *testing.T) {
	keys := tmpl().Resources("AWS::ApiGateway::ApiKey")
	cfntest.Check(t, "API keys", 1, len(keys))
	cfntest.Check(t, "key value", "{{resolve:secretsmanager:partners/api-key:SecretString:::}}", keys[0].Props["Value"])
}

func TestPartnerSecretsAndAuthorizersAreChecked(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"partners/api-key", ""},
		{"arn:aws:secretsmanager:eu-west-2:444444444444:secret:partners/api-key-AbCdEf", ""},
		{"", "a Secrets Manager secret name"},
		{"partners api key", "a Secrets Manager secret name"},
		{"arn:aws:ssm:eu-west-2:444444444444:parameter/partners", "a Secrets Manager secret name"},
		{"arn:aws:secretsmanager:eu-west-2:4444:secret:partners", "a Secrets Manager secret name"},
		{"arn:aws:secretsmanager:eu-west-2:444444444444:partners", "a Secrets Manager secret name"},
		{"arn:aws-cn:secretsmanager:cn-north-1:444444444444:secret:partners/api-key-AbCdEf", ""},
		{"arn:awscn:secretsmanager:cn-north-1:444444444444:secret:partners/api-key-AbCdEf", "a Secrets Manager secret name"},
	} {
		if got := CheckSecretID(tc.value); (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("CheckSecretID(%q) = %q, want %q...", tc.value, got, tc.want)
		}
	}
	err := (&Props{Name: "x", RateLimit: 1, BurstLimit: 1,
		DomainName: "api.example.com", HostedZoneID: "Z1", HostedZoneName: "example.com", LatencyRecords: true,
		Authorizers:       []Authorizer{{Name: "customers", Type: "cognito", UserPoolARNs: cognito}, {Name: "jwt", Type: "lambda", FunctionARN: "arn:aws:lambda:eu-west-2:111111111111:function:jwt"}},
		DefaultAuthorizer: "customers",
		UsagePlans:        []UsagePlan{{Name: "partners", RateLimit: 1, BurstLimit: 1}, {Name: "gold", RateLimit: 1, BurstLimit: 1, APIKeySecret: "gold key"}},
		Services: []Service{
			{Name: "quotes", BasePath: "quotes", Backend: Backend{Type: BackendHTTP, URL: "https://q.example.com"}, APIKeyRequired: true},
			{Name: "prices", BasePath: "prices", Backend: Backend{Type: BackendHTTP, URL: "https://p.example.com"}, APIKeyRequired: true, Authorizer: "jwt"},
			{Name: "orders", BasePath: "orders", Backend: Backend{Type: BackendHTTP, URL: "https://o.example.com"}},
		},
	}).Validate("g.")
	var perr *problems.Error
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want a *problems.Error", err)
	}
	cfntest.Check(t, "problems", []string{"g.services[0].authorizer", "g.usagePlans[0].apiKeySecret", "g.usagePlans[1].apiKeySecret"}, perr.Fields())
	if !strings.Contains(err.Error(), `g.services[0].authorizer: got "customers", want a "lambda" authorizer`) {
		t.Errorf("message does not name the field, the authorizer and what is expected:\n%v", err)
	}
}

// A VPC link is named by its id: a load balancer's ARN or an id with a
// space is refused, naming the field; API Gateway allows 10 authorizers.
func TestVPCLinkIDsAndTheAuthorizerQuotaAreChecked(t *testing.T) {
	var authorizers []Authorizer
	for i := range MaxAuthorizers + 2 {
		authorizers = append(authorizers, Authorizer{Name: fmt.Sprintf("jwt%d", i), Type: "lambda", FunctionARN: "arn:aws:lambda:eu-west-2:111111111111:function:jwt"})
	}
	props := func(link string, authorizers []Authorizer) *Props {
		return &Props{Name: "x", RateLimit: 1, BurstLimit: 1, Authorizers: authorizers,
			Services: []Service{{Name: "s", BasePath: "s", Backend: Backend{Type: BackendVPCLink, URL: "https://s.internal.example.com", VPCLinkID: link}}}}
	}
	for _, tc := range []struct {
		name        string
		props       *Props
		wantFields  []string
		wantMessage string
	}{
		{"an id", props("abc123", authorizers[:MaxAuthorizers]), nil, ""},
		{"a load balancer ARN", props("arn:aws:elasticloadbalancing:eu-west-2:111111111111:loadbalancer/net/nlb/50dc6c495c0c9188", nil), []string{"g.services[0].backend.vpcLinkId"}, "not the load balancer's ARN"},
		{"a trailing space", props("abc123 ", nil), []string{"g.services[0].backend.vpcLinkId"}, `got "abc123 "`},
		{"12 authorizers", props("abc123", authorizers), []string{"g.authorizers"}, "API Gateway allows 10 authorizers per REST API"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.props.Validate("g.")
			var fields []string
			var perr *problems.Error
			if errors.As(err, &perr) {
				fields = perr.Fields()
			}
			cfntest.Check(t, "problems", tc.wantFields, fields)
			if tc.wantMessage != "" && (err == nil || !strings.Contains(err.Error(), tc.wantMessage)) {
				t.Errorf("error %v, want it to say %q", err, tc.wantMessage)
			}
		})
	}
}

// An authorizer no service uses yet is accepted: it is not created (aws-cdk-lib
// refuses an authorizer attached to no method), and the ones in use are.
func TestAnAuthorizerNoServiceUsesIsNotCreated(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	s := cfntest.StackIn(app, "uk", "eu-west-2")
	New(s, "Api", &Props{Name: "t-unused", Alarms: alarmstest.New(s, "t"), RateLimit: 1, BurstLimit: 1, Account: NewAccount(s, "Account", nil),
		Authorizers: []Authorizer{
			{Name: "later", Type: "lambda", FunctionARN: "arn:aws:lambda:eu-west-2:111111111111:function:later"},
			{Name: "jwt", Type: "lambda", FunctionARN: "arn:aws:lambda:eu-west-2:111111111111:function:jwt"},
		},
		Services: []Service{{Name: "s", BasePath: "s", Authorizer: "jwt", Backend: Backend{Type: BackendHTTP, URL: "https://s.example.com"}}}})
	got := cfn.Synth(app).Stack("uk").Template.Resources("AWS::ApiGateway::Authorizer")
	if len(got) != 1 || !strings.Contains(cfntest.JSON(got[0].Props), "function:jwt") {
		t.Errorf("authorizers %v, want only the one a service uses (jwt)", cfntest.JSON(got))
	}
}

// The gateway's own entries: service and usage-plan names unique in it, and
// a request schema the construct can read.
func TestServiceAndPlanNamesAndRequestSchemasAreChecked(t *testing.T) {
	backend := Backend{Type: BackendHTTP, URL: "https://s.example.com"}
	err := (&Props{Name: "x", RateLimit: 1, BurstLimit: 1,
		UsagePlans: []UsagePlan{{Name: "p", RateLimit: 1, BurstLimit: 1, APIKeySecret: "partners/key"}, {Name: "p", RateLimit: 1, BurstLimit: 1, APIKeySecret: "partners/key"}},
		Services: []Service{
			{Name: "s", BasePath: "a", Backend: backend, RequestSchema: map[string]any{"type": "array", "required": []any{"q", 1}, "properties": map[string]any{"q": map[string]any{"type": "int"}}}},
			{Name: "s", BasePath: "b", Backend: backend},
		}}).Validate("g.")
	var perr *problems.Error
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want problems", err)
	}
	cfntest.Check(t, "problems", []string{"g.services[0].requestSchema.type", "g.services[0].requestSchema.required", `g.services[0].requestSchema.properties["q"].type`, "g.services[1].name", "g.usagePlans[1].name"}, perr.Fields())
}

// What a gateway takes from its stack is checked when it is built there:
// the region's alarms, a private gateway's endpoints in the stack's region,
// a Cognito authorizer's user pool in the stack's region.
func TestNewRefusesWhatItsStackCannotGive(t *testing.T) {
	s := cfntest.StackIn(cfn.NewApp(t.TempDir()), "t", "eu-west-2")
	al := alarmstest.New(s, "t")
	orders := Service{Name: "orders", BasePath: "orders", Backend: Backend{Type: BackendHTTP, URL: "https://orders.example.com"}}
	for i, tc := range []struct {
		props Props
		want  string
	}{
		{Props{Name: "t-unwatched", RateLimit: 1, BurstLimit: 1, Services: []Service{orders}}, "alarms"},
		{Props{Name: "t-private", RateLimit: 1, BurstLimit: 1, Services: []Service{orders}, Alarms: al,
			PrivateEndpoints: map[string]PrivateEndpoint{"us-east-1": {VPCEndpointIDs: []string{"vpce-0123456789abcdef0"}, VPCLinkID: "abc123"}}}, "PrivateEndpoints"},
		{Props{Name: "t-users", RateLimit: 1, BurstLimit: 1, Services: []Service{orders}, Alarms: al, DefaultAuthorizer: "users",
			Authorizers: []Authorizer{{Name: "users", Type: "cognito", UserPoolARNs: map[string]string{"us-east-1": "arn:aws:cognito-idp:us-east-1:111111111111:userpool/us-east-1_abc123"}}}}, "Authorizers[users].UserPoolARNs"},
	} {
		got := cfntest.ProblemFields(t, func() { New(s, fmt.Sprint("Api", i), &tc.props) })
		cfntest.Check(t, tc.props.Name, []string{tc.want}, got)
	}
}

// A gateway given no name is named after its stack and construct, and its
// alarms read the stage of that name.
func TestNameDefaultsToTheStackAndConstruct(t *testing.T) {
	tmpl := asm.Stack("shop-api").Template
	cfntest.Check(t, "REST API name", "shop-api-Orders-Api", tmpl.Resources("AWS::ApiGateway::RestApi")[0].Props["Name"])
	for _, a := range tmpl.Resources("AWS::CloudWatch::Alarm") {
		for _, d := range a.Props["Dimensions"].([]any) {
			if d := d.(map[string]any); d["Name"] == "ApiName" && d["Value"] != "shop-api-Orders-Api" {
				t.Errorf("%s reads ApiName %v", a.LogicalID, d["Value"])
			}
		}
	}
}
