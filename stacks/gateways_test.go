package stacks

import (
	"encoding/json"
	"testing"

	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms/alarmstest"
	"github.com/brokerage/platform/constructs/api"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/google/go-cmp/cmp"
)

// stagesOf maps the API names of the AWS/ApiGateway metric lines of widgets
// to the stages they read.
func stagesOf(t *testing.T, widgets []any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, w := range widgets {
		props := w.(map[string]any)["properties"].(map[string]any)
		lines, _ := props["metrics"].([]any)
		for _, l := range lines {
			m := l.([]any)
			if m[0] != "AWS/ApiGateway" {
				continue
			}
			if m[2] != "ApiName" || m[4] != "Stage" {
				t.Fatalf("API metric line %v: want ApiName and Stage dimensions", m)
			}
			out[m[3].(string)] = append(out[m[3].(string)], m[5].(string))
		}
	}
	return out
}

// A gateway's alarms and its region's dashboard read the stage the gateway
// has: one built with another stage than the default gets alarms that fire
// on its traffic, not a Count alarm on a stage that does not exist.
func TestGatewayAlarmsAndDashboardReadItsOwnStage(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	s := cfntest.StackIn(app, "uk", "eu-west-2")
	al := alarmstest.New(s, "t")
	orders := api.Service{Name: "orders", BasePath: "orders", Backend: api.Backend{Type: api.BackendHTTP, URL: "https://orders.example.com"}}
	for name, stage := range map[string]string{"v2": "v2", "default": ""} {
		api.New(s, "Api-"+name, &api.Props{Name: "t-" + name, Label: name, Alarms: al, StageName: stage, RateLimit: 10, BurstLimit: 20, Services: []api.Service{orders}})
	}
	al.Dashboard(s, "Dashboard", "t-uk", "Alarms")
	tmpl := cfn.Synth(app).Stack("uk").Template

	deployed := map[string]bool{}
	for _, st := range tmpl.Resources("AWS::ApiGateway::Stage") {
		deployed[st.Props["StageName"].(string)] = true
	}
	if diff := cmp.Diff(map[string]bool{"v2": true, "v1": true}, deployed); diff != "" {
		t.Fatalf("stages deployed (-want +got):\n%s", diff)
	}
	got := map[string]map[string]string{} // API name -> metric -> stage
	for _, a := range tmpl.Resources("AWS::CloudWatch::Alarm") {
		if a.Props["Namespace"] != "AWS/ApiGateway" {
			continue
		}
		dims := map[string]string{}
		for _, d := range a.Props["Dimensions"].([]any) {
			dims[d.(map[string]any)["Name"].(string)] = d.(map[string]any)["Value"].(string)
		}
		if got[dims["ApiName"]] == nil {
			got[dims["ApiName"]] = map[string]string{}
		}
		got[dims["ApiName"]][a.Props["MetricName"].(string)] = dims["Stage"]
	}
	want := map[string]map[string]string{
		"t-v2":      {"4XXError": "v2", "5XXError": "v2", "Count": "v2", "Latency": "v2"},
		"t-default": {"4XXError": "v1", "5XXError": "v1", "Count": "v1", "Latency": "v1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stage of the API alarms (-want +got):\n%s", diff)
	}

	dashboard := tmpl.Resources("AWS::CloudWatch::Dashboard")[0]
	var body struct{ Widgets []any }
	if err := json.Unmarshal([]byte(cfn.Joined(dashboard.Props["DashboardBody"])), &body); err != nil {
		t.Fatal(err)
	}
	wantLines := map[string][]string{"t-v2": {"v2", "v2", "v2", "v2"}, "t-default": {"v1", "v1", "v1", "v1"}}
	if diff := cmp.Diff(wantLines, stagesOf(t, body.Widgets)); diff != "" {
		t.Errorf("stage of the dashboard's API lines (-want +got):\n%s", diff)
	}
}

// The global overview graphs each gateway in each region on the stage
// GatewayProps builds it with: the default stage, from the configuration.
func TestOverviewGraphsTheStageTheGatewaysAreBuiltWith(t *testing.T) {
	c := config.Default()
	got := stagesOf(t, cfntest.Widgets(cfntest.StackIn(cfn.NewApp(t.TempDir()), "edge", "us-east-1"), apiWidgets(c)...))
	want := map[string][]string{}
	for _, g := range c.API.Gateways {
		p := GatewayProps(c, c.PrimaryRegion, g, nil)
		for range c.Regions {
			want[p.Name] = append(want[p.Name], api.DefaultStageName, api.DefaultStageName) // 5xx and latency
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stages the overview graphs (-want +got):\n%s", diff)
	}
}

// {region} and {account} in a region's user pool stand for that region and
// the account, as they do in the gateways' ARNs and URLs.
func TestUserPoolARNsAreFilledPerRegion(t *testing.T) {
	c := config.Default()
	for i := range c.Regions {
		c.Regions[i].UserPools["customers"] = "arn:aws:cognito-idp:{region}:{account}:userpool/{region}_Abc123"
	}
	p := GatewayProps(c, c.Regions[1].Name, c.API.Gateways[1], nil)
	pools := 0
	for _, a := range p.Authorizers {
		for region, arn := range a.UserPoolARNs {
			pools++
			if want := "arn:aws:cognito-idp:" + region + ":" + c.Account + ":userpool/" + region + "_Abc123"; arn != want {
				t.Errorf("authorizer %s, %s: %s, want %s", a.Name, region, arn, want)
			}
		}
	}
	if pools != len(c.Regions) {
		t.Errorf("%d user pools, want one per region (%d)", pools, len(c.Regions))
	}
}
