package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brokerage/platform/problems"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("embedded default.json: %v", err)
	}
	if got := Default().Account; got != PlaceholderAccount {
		t.Errorf("default account = %s, want the documented placeholder %s", got, PlaceholderAccount)
	}
}

func fields(t *testing.T, err error) []string {
	t.Helper()
	var perr *problems.Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v (%T), want a *problems.Error", err, err)
	}
	return perr.Fields()
}

// Each case breaks the default configuration in one or more ways; Validate
// must name exactly the broken fields, all at once.
func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(c *Config)
		want   []string
	}{
		{"unknown region", func(c *Config) { c.Regions[1].Name = "eu-westeros-1" }, []string{"regions[1].name", "pipeline.canaryRegion"}},
		{"duplicate region", func(c *Config) { c.Regions[2].Name = "eu-west-2" }, []string{"regions[2].name"}},
		{"no regions", func(c *Config) { c.Regions = nil }, []string{"regions", "primaryRegion", "pipeline.canaryRegion"}},
		{"primary region not listed", func(c *Config) { c.PrimaryRegion = "us-west-2" }, []string{"primaryRegion"}},
		{"primary region unknown", func(c *Config) { c.PrimaryRegion = "mars-1" }, []string{"primaryRegion"}},
		{"region without market", func(c *Config) { c.Regions[0].Market = " " }, []string{"regions[0].market"}},
		{"short account", func(c *Config) { c.Account = "12345" }, []string{"account"}},
		{"account with letters", func(c *Config) { c.Account = "12345678901a" }, []string{"account"}},
		{"bad app name", func(c *Config) { c.App = "Brokerage_App" }, []string{"app"}},
		{"unknown stage", func(c *Config) { c.Stage = "qa" }, []string{"stage"}},
		{"unknown ordering", func(c *Config) { c.Fanout.Ordering = "ordered" }, []string{"fanout.ordering"}},
		{"no consumers", func(c *Config) { c.Fanout.Consumers = nil }, []string{"fanout.consumers"}},
		{"duplicate consumer", func(c *Config) { c.Fanout.Consumers[1].Name = c.Fanout.Consumers[0].Name }, []string{"fanout.consumers[1].name"}},
		{"standard consumer on fifo fan-out", func(c *Config) { c.Fanout.Consumers[0].Ordering = OrderingStandard }, []string{"fanout.consumers[0].ordering"}},
		{"fifo consumer on standard fan-out", func(c *Config) {
			c.Fanout.Ordering = OrderingStandard
			c.Fanout.Consumers[1].Ordering = OrderingFIFO
		}, []string{"fanout.consumers[1].ordering"}},
		{"no alarm e-mails", func(c *Config) { c.Alarms.Emails = nil }, []string{"alarms.emails"}},
		{"bad e-mail", func(c *Config) {
			c.Alarms.Emails = []string{"ops@example.com", "not-an-address", "Ops <ops@example.com>", "ops@localhost"}
		}, []string{"alarms.emails[1]", "alarms.emails[2]", "alarms.emails[3]"}},
		{"pager not https", func(c *Config) { c.Alarms.PagerURL = "http://pager.example.com/hook" }, []string{"alarms.pagerUrl"}},
		{"pipeline bake too long", func(c *Config) { c.Pipeline.BakeMinutes = ptr(181) }, []string{"pipeline.bakeMinutes"}},
		{"pipeline stage unknown or twice", func(c *Config) {
			c.Pipeline.Stages = []PipelineStage{{Name: "dev"}, {Name: "qa"}, {Name: "dev", Account: "12"}}
		}, []string{"pipeline.stages[1].name", "pipeline.stages[2].name", "pipeline.stages[2].account"}},
		{"canary region not in regions", func(c *Config) { c.Pipeline.CanaryRegion = "us-west-2" }, []string{"pipeline.canaryRegion"}},
		{"canary region is the primary region", func(c *Config) { c.Pipeline.CanaryRegion = "ap-southeast-2" }, []string{"pipeline.canaryRegion"}},
		{"wave names an unknown region", func(c *Config) { c.Pipeline.Waves = [][]string{{"sa-east-1", "eu-westeros-1"}} }, []string{"pipeline.waves[0][1]"}},
		{"wave names the canary, the primary region, a region twice, and leaves one out", func(c *Config) {
			addRegion(c, "eu-central-1", "Germany")
			c.Pipeline.Waves = [][]string{{"eu-west-2", "ap-southeast-2"}, {}, {"sa-east-1", "sa-east-1"}}
		}, []string{"pipeline.waves[0][0]", "pipeline.waves[0][1]", "pipeline.waves[1]", "pipeline.waves[2][1]", "pipeline.waves"}},
		{"more waves than the deploy workflow runs", func(c *Config) {
			for _, r := range []string{"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "us-west-2", "ca-central-1"} {
				addRegion(c, r, r)
			}
			c.Pipeline.Waves = [][]string{{"sa-east-1"}, {"eu-central-1"}, {"eu-west-1"}, {"eu-west-3"}, {"eu-north-1"}, {"us-west-2"}, {"ca-central-1"}}
		}, []string{"pipeline.waves"}},
		{"API account settings owner unknown or twice", func(c *Config) {
			c.API.AccountSettingsOwners = []string{"qa", "dev", "dev"}
		}, []string{"api.accountSettingsOwners[0]", "api.accountSettingsOwners[2]"}},
		{"no API account settings owners and no stages: every stage would own it", func(c *Config) {
			c.Pipeline.Stages = nil
		}, []string{"api.accountSettingsOwners"}},
		{"two API account settings owners in one account", func(c *Config) {
			c.Pipeline.Stages = []PipelineStage{{Name: "dev"}, {Name: "staging"}, {Name: "prod", Account: "333333333333"}}
			c.API.AccountSettingsOwners = []string{"dev", "staging", "prod"}
		}, []string{"api.accountSettingsOwners[1]"}},
		{"VPC link missing for a region", func(c *Config) {
			delete(c.Regions[1].VPCLinks, "services")
		}, []string{`regions[1].vpcLinks["services"]`}},
		{"private gateway's endpoints missing for a region", func(c *Config) {
			delete(c.Regions[2].PrivateEndpoints, "internal")
		}, []string{`regions[2].privateEndpoints["internal"]`}},
		{"partner key secret ARN of one region for several", func(c *Config) {
			c.API.Gateways[1].UsagePlans[0].APIKeySecret = "arn:aws:secretsmanager:ap-southeast-2:111111111111:secret:partners-AbCdEf"
		}, []string{"api.gateways[1].usagePlans[0].apiKeySecret"}},
		{"partner key secret ARN of another partition", func(c *Config) {
			c.API.Gateways[1].UsagePlans[0].APIKeySecret = "arn:aws-cn:secretsmanager:{region}:444444444444:secret:partners-AbCdEf"
		}, []string{"api.gateways[1].usagePlans[0].apiKeySecret"}},
		{"user pool missing for a region", func(c *Config) {
			delete(c.Regions[2].UserPools, "customers")
		}, []string{`regions[2].userPools["customers"]`}},
		{"gateway without a name", func(c *Config) { c.API.Gateways[1].Name = "" }, []string{"api.gateways[1].name"}},
		{"cognito authorizer naming no user pool", func(c *Config) {
			c.API.Gateways[0].Authorizers[0].UserPool = ""
		}, []string{"api.gateways[0].authorizers[0].userPool"}},
		{"placeholder user pools outside dev", func(c *Config) {
			c.Stage = "staging"
			realNetwork(c)
			c.Regions[0].UserPools["customers"] = "arn:aws:cognito-idp:ap-southeast-2:444444444444:userpool/ap-southeast-2_aB3dE5fG7"
		}, []string{`regions[1].userPools["customers"]`, `regions[2].userPools["customers"]`}},
		{"a user pool in the placeholder account through {account}", func(c *Config) {
			c.Stage = "staging"
			realNetwork(c)
			for _, r := range c.Regions {
				r.UserPools["customers"] = "arn:aws:cognito-idp:{region}:444444444444:userpool/{region}_aB3dE5fG7"
			}
			c.Regions[1].UserPools["customers"] = "arn:aws:cognito-idp:{region}:{account}:userpool/{region}_aB3dE5fG7"
		}, []string{`regions[1].userPools["customers"]`}},
		{"placeholder VPC links and endpoints outside dev", func(c *Config) {
			c.Stage = "prod"
			realNetwork(c)
			for _, r := range c.Regions {
				r.UserPools["customers"] = "arn:aws:cognito-idp:" + r.Name + ":444444444444:userpool/" + r.Name + "_aB3dE5fG7"
			}
			c.Regions[1].VPCLinks["services"] = PlaceholderVPCLink
			c.Regions[2].PrivateEndpoints["internal"] = PrivateEndpoint{VPCEndpointIDs: []string{"vpce-0123456789abcdef0", "vpce-00000000000000003"}, VPCLinkID: PlaceholderVPCLink}
		}, []string{
			`regions[1].vpcLinks["services"]`,
			`regions[2].privateEndpoints["internal"].vpcLinkId`, `regions[2].privateEndpoints["internal"].vpcEndpointIds[1]`,
		}},
		{"prod site without a custom domain (CloudFront's default certificate keeps TLSv1)", func(c *Config) {
			c.Stage = "prod"
			realNetwork(c)
			for _, r := range c.Regions {
				r.UserPools["customers"] = "arn:aws:cognito-idp:" + r.Name + ":444444444444:userpool/" + r.Name + "_aB3dE5fG7"
			}
			c.Site.DomainName, c.Site.HostedZoneID, c.Site.HostedZoneName = "", "", ""
		}, []string{"site.domainName"}},
		{"region entries that no gateway uses", func(c *Config) {
			c.Regions[0].VPCLinks["old"] = "abc123"
			c.Regions[1].UserPools["partners"] = "arn:aws:cognito-idp:eu-west-2:444444444444:userpool/eu-west-2_aB3dE5fG7"
			c.Regions[2].PrivateEndpoints["public"] = PrivateEndpoint{VPCEndpointIDs: []string{"vpce-0123456789abcdef0"}, VPCLinkID: "abc123"}
		}, []string{`regions[0].vpcLinks["old"]`, `regions[1].userPools["partners"]`, `regions[2].privateEndpoints["public"]`}},
		{"every problem at once", func(c *Config) {
			c.Account = "x"
			c.Regions[0].Name = "nowhere-1"
			c.Fanout.Ordering = "ordered"
			c.Alarms.Emails = []string{"x"}
		}, []string{"account", "regions[0].name", "primaryRegion", "fanout.ordering", "alarms.emails[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fixture()
			tc.break_(c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want problems")
			}
			if diff := cmp.Diff(tc.want, fields(t, err)); diff != "" {
				t.Errorf("fields with problems (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

// One stage per account owns the API Gateway account setting: by default the
// first stage of each account the pipeline deploys.
func TestAPIAccountSettingsOwners(t *testing.T) {
	c := Default()
	c.Pipeline.Stages = []PipelineStage{{Name: "dev"}, {Name: "staging"}, {Name: "prod", Account: "333333333333"}}
	if diff := cmp.Diff([]string{"dev", "prod"}, c.APIAccountSettingsOwners()); diff != "" {
		t.Errorf("default owners (-want +got):\n%s", diff)
	}
	for stage, want := range map[string]bool{"dev": true, "staging": false, "prod": true} {
		c.Stage = stage
		if got := c.OwnsAPIAccountSettings(); got != want {
			t.Errorf("stage %s owns the account setting = %v, want %v", stage, got, want)
		}
	}
	c.API.AccountSettingsOwners = []string{}
	c.Stage = "dev"
	if c.OwnsAPIAccountSettings() {
		t.Error("with accountSettingsOwners [] (managed outside the app) dev still owns the account setting")
	}
}

func TestErrorNamesFieldValueAndExpectation(t *testing.T) {
	c := Default()
	c.Account = "12345"
	got := c.Validate().Error()
	for _, want := range []string{"account", `"12345"`, "12-digit"} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q does not contain %q", got, want)
		}
	}
}

// patched is default.json changed by patch, as a file's bytes.
func patched(t *testing.T, patch func(c map[string]any)) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(defaultJSON, &c); err != nil {
		t.Fatal(err)
	}
	patch(c)
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReportsEveryUnknownKey(t *testing.T) {
	_, err := Parse(patched(t, func(c map[string]any) {
		c["colour"] = "red"
		consumer := c["fanout"].(map[string]any)["consumers"].([]any)[0].(map[string]any)
		consumer["retries"] = 3
		c["alarms"].(map[string]any)["overrides"] = map[string]any{"x": map[string]any{"limit": 1}}
	}), "test.json")
	want := []string{"colour", "fanout.consumers[0].retries", `alarms.overrides["x"].limit`}
	got := fields(t, err)
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("unknown keys (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), `colour: got "an unknown key", want one of: $schema, app, stage`) || !strings.Contains(err.Error(), "(line ") {
		t.Errorf("the unknown key's message names neither the known keys nor where it is:\n%v", err)
	}
}

func TestParseReportsWrongTypes(t *testing.T) {
	_, err := Parse(patched(t, func(c map[string]any) { c["fanout"].(map[string]any)["maxReceiveCount"] = "five" }), "test.json")
	if diff := cmp.Diff([]string{"fanout.maxReceiveCount"}, fields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = Parse([]byte(`{"app": `), "test.json")
	if diff := cmp.Diff([]string{"(file)"}, fields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The schema's required fields (those without omitempty) are each named.
func TestParseNamesEveryMissingRequiredField(t *testing.T) {
	_, err := Parse([]byte(`{"app": "x", "fanout": {"ordering": "fifo"}}`), "test.json")
	want := []string{"stage", "account", "primaryRegion", "regions", "alarms", "site", "fanout.brokerAccounts", "fanout.consumers"}
	if diff := cmp.Diff(want, fields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%v", diff, err)
	}
}

func TestSelectRegions(t *testing.T) {
	c := Default()
	got, err := c.SelectRegions("")
	if err != nil || got != nil {
		t.Errorf("empty selection = %v, %v; want nil (every stack)", got, err)
	}
	got, err = c.SelectRegions("eu-west-2, sa-east-1")
	if diff := cmp.Diff([]string{"eu-west-2", "sa-east-1"}, got); diff != "" || err != nil {
		t.Errorf("selection (-want +got):\n%s (err %v)", diff, err)
	}
	_, err = c.SelectRegions("eu-west-2,eu-west-9,eu-west-2")
	if diff := cmp.Diff([]string{"regions", "regions"}, fields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

// realNetwork replaces the default configuration's placeholder VPC links
// and endpoints, which are refused outside dev.
func realNetwork(c *Config) {
	c.Site.DomainName, c.Site.HostedZoneID, c.Site.HostedZoneName = "www.brokerage.example.com", "Z0123456789ABCDEFGHIJ", "brokerage.example.com"
	for _, r := range c.Regions {
		for name := range r.VPCLinks {
			r.VPCLinks[name] = "abc123"
		}
		for name := range r.PrivateEndpoints {
			r.PrivateEndpoints[name] = PrivateEndpoint{VPCEndpointIDs: []string{"vpce-0123456789abcdef0"}, VPCLinkID: "def456"}
		}
	}
}

// fixture is the default configuration with three regions, whatever
// default.json lists: the tests below name regions and waves by position.
func fixture() *Config {
	c := Default()
	base := c.Regions[0]
	c.Regions = nil
	for _, r := range []struct{ name, market string }{{"ap-southeast-2", "Australia and New Zealand"}, {"eu-west-2", "United Kingdom"}, {"sa-east-1", "Brazil"}} {
		addRegion(c, r.name, r.market)
		c.Regions[len(c.Regions)-1].Sessions = base.Sessions
	}
	c.PrimaryRegion = "ap-southeast-2"
	c.Pipeline.CanaryRegion = "eu-west-2"
	c.Pipeline.Waves = nil
	return c
}

// primaryRegionOnly keeps the primary region alone.
func primaryRegionOnly(c *Config) {
	c.Regions = slices.DeleteFunc(c.Regions, func(r Region) bool { return r.Name != c.PrimaryRegion })
	c.Pipeline.CanaryRegion = ""
}

// addRegion adds a region like the default's: one block.
func addRegion(c *Config, name, market string) {
	c.Regions = append(c.Regions, Region{Name: name, Market: market,
		UserPools:        map[string]string{"customers": "arn:aws:cognito-idp:" + name + ":111111111111:userpool/" + name + "_PLACEHOLDER"},
		VPCLinks:         map[string]string{"services": PlaceholderVPCLink},
		PrivateEndpoints: map[string]PrivateEndpoint{"internal": {VPCEndpointIDs: []string{"vpce-0123456789abcdef0"}, VPCLinkID: PlaceholderVPCLink}},
	})
}

func TestWaves(t *testing.T) {
	five := func(c *Config) {
		addRegion(c, "us-east-1", "United States")
		addRegion(c, "eu-central-1", "Germany")
	}
	tests := []struct {
		name   string
		change func(c *Config)
		want   []Wave
	}{
		{"default: edge and primary, the canary, the rest", func(c *Config) {}, []Wave{
			{"first", []string{"us-east-1", "ap-southeast-2"}}, {"canary", []string{"eu-west-2"}}, {"wave-1", []string{"sa-east-1"}}}},
		{"canary defaults to the first other region", func(c *Config) { c.Pipeline.CanaryRegion = "" }, []Wave{
			{"first", []string{"us-east-1", "ap-southeast-2"}}, {"canary", []string{"eu-west-2"}}, {"wave-1", []string{"sa-east-1"}}}},
		{"us-east-1 as a region deploys with the edge", five, []Wave{
			{"first", []string{"us-east-1", "ap-southeast-2"}}, {"canary", []string{"eu-west-2"}}, {"wave-1", []string{"sa-east-1", "eu-central-1"}}}},
		{"configured waves", func(c *Config) {
			five(c)
			c.Pipeline.CanaryRegion = "sa-east-1"
			c.Pipeline.Waves = [][]string{{"eu-central-1"}, {"eu-west-2"}}
		}, []Wave{{"first", []string{"us-east-1", "ap-southeast-2"}}, {"canary", []string{"sa-east-1"}}, {"wave-1", []string{"eu-central-1"}}, {"wave-2", []string{"eu-west-2"}}}},
		{"a primary region in us-east-1 is in the first wave once", func(c *Config) {
			addRegion(c, "us-east-1", "United States")
			c.PrimaryRegion = "us-east-1"
		}, []Wave{{"first", []string{"us-east-1"}}, {"canary", []string{"eu-west-2"}}, {"wave-1", []string{"ap-southeast-2", "sa-east-1"}}}},
		{"one region: the first wave only", primaryRegionOnly, []Wave{{"first", []string{"us-east-1", "ap-southeast-2"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fixture()
			tc.change(c)
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.Waves()); diff != "" {
				t.Errorf("Waves() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPipelineStages(t *testing.T) {
	c := Default()
	c.Pipeline.Stages = []PipelineStage{{Name: "staging"}, {Name: "prod", Account: "333333333333"}}
	want := []PipelineStage{{"staging", PlaceholderAccount}, {"prod", "333333333333"}}
	if diff := cmp.Diff(want, c.PipelineStages()); diff != "" {
		t.Errorf("PipelineStages() (-want +got):\n%s", diff)
	}
	c.Pipeline.Stages = nil
	if diff := cmp.Diff([]PipelineStage{{"dev", PlaceholderAccount}}, c.PipelineStages()); diff != "" {
		t.Errorf("PipelineStages() without stages (-want +got):\n%s", diff)
	}
}

func TestParseReportsEverythingAtOnce(t *testing.T) {
	data := []byte(`{
  "app": 5,
  "colour": "red",
  "stage": "dev",
  "stage": "prod",
  "fanout": {"consumers": [{"name": "a", "timeoutSeconds": 30}, {"name": "b", "timeoutSeconds": 30}, {"name": "c", "timeoutSeconds": "slow"}, {"name": "d", "timeoutSeconds": 2.5}],
             "maxReceiveCount": true},
  "alarms": {"emails": "ops@example.com"}
}`)
	_, err := Parse(data, "test.json")
	// In the file's order; missing fields at their object, the top level's first.
	want := []string{"stage", "account", "primaryRegion", "regions", "site", "app", "colour", "fanout.brokerAccounts", "fanout.ordering",
		"fanout.consumers[2].timeoutSeconds", "fanout.consumers[3].timeoutSeconds", "fanout.maxReceiveCount", "alarms.emails"}
	if diff := cmp.Diff(want, fields(t, err)); diff != "" {
		t.Errorf("fields (-want +got):\n%s\n%v", diff, err)
	}
	for _, s := range []string{`stage: got "a key repeated at line 5, column 10"`, `fanout.consumers[2].timeoutSeconds: got "slow", want a whole number`, `alarms.emails: got "ops@example.com", want a list`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not contain %q:\n%v", s, err)
		}
	}
}

func TestParseSyntaxErrorHasLineAndColumn(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"{\n  \"app\": \"x\",\n  \"stage\" \"dev\"\n}", `(file): got "line 3, column 11"`},
		{`{"app": `, `(file): got "line 1, column 9 (the end of the file)"`},
		{`{"app": "x"} {}`, `(file): got "line 1, column 14"`},
	} {
		_, err := Parse([]byte(tc.data), "test.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.data, err, tc.want)
		}
	}
}

func TestParseNamesANonObjectFile(t *testing.T) {
	for data, want := range map[string]string{`["a"]`: `(file): got "a JSON list", want a JSON object`, `"config"`: `(file): got "config", want a JSON object`, `null`: `(file): got "null"`} {
		_, err := Parse([]byte(data), "test.json")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s) = %v, want %q", data, err, want)
		}
	}
}

// A partner key secret's ARN names each region's replica with {region}; a
// name is the same in every region.
func TestPartnerKeySecretPerRegion(t *testing.T) {
	for _, secret := range []string{"brokerage/partners-api-key", "arn:aws:secretsmanager:{region}:444444444444:secret:partners-AbCdEf"} {
		c := Default()
		c.API.Gateways[1].UsagePlans[0].APIKeySecret = secret
		if err := c.Validate(); err != nil {
			t.Errorf("apiKeySecret %q: %v", secret, err)
		}
	}
	c := Default()
	primaryRegionOnly(c)
	c.API.Gateways[1].UsagePlans[0].APIKeySecret = "arn:aws:secretsmanager:" + c.PrimaryRegion + ":444444444444:secret:partners-AbCdEf"
	if err := c.Validate(); err != nil {
		t.Errorf("one region, an ARN of that region: %v", err)
	}
}

// The schema file editors read (config/schema.json, which $schema names)
// refuses every bad shape the loader refuses, at the same place.
func TestSchemaFileAndLoaderAgree(t *testing.T) {
	c := jsonschema.NewCompiler()
	file, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		patch func(c map[string]any)
	}{
		{"unknown key", func(c map[string]any) { c["colour"] = "red" }},
		{"wrong type", func(c map[string]any) { c["fanout"].(map[string]any)["maxReceiveCount"] = "five" }},
		{"fraction for a whole number", func(c map[string]any) {
			c["fanout"].(map[string]any)["consumers"].([]any)[0].(map[string]any)["timeoutSeconds"] = 2.5
		}},
		{"missing required field", func(c map[string]any) { delete(c, "account") }},
		{"unknown key in a region's block", func(c map[string]any) { c["regions"].([]any)[0].(map[string]any)["vpcLinkIds"] = map[string]any{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := patched(t, tc.patch)
			_, err := Parse(data, "test.json")
			loader := fields(t, err)
			doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			verr, ok := file.Validate(doc).(*jsonschema.ValidationError)
			if !ok || len(loader) != 1 {
				t.Fatalf("schema file: %v; loader: %v; want both to refuse it once", verr, loader)
			}
			var leaf *jsonschema.ValidationError
			for leaf = verr; len(leaf.Causes) > 0; leaf = leaf.Causes[0] {
			}
			at, _ := fieldPath(leaf.InstanceLocation)
			if !strings.HasPrefix(loader[0], at) {
				t.Errorf("the schema file refuses it at %q, the loader at %q", at, loader[0])
			}
		})
	}
	// Every shipped configuration follows the schema file.
	for _, path := range []string{"default.json", "scale-25x4.json", "testdata/five-regions.json"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err := file.Validate(doc); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// null keeps a field's zero value, a boolean or the api section may be left
// out, and a whole number may be written 30.0, as JSON Schema (and so an
// editor) counts it.
func TestParseAcceptsNullOmittedOptionalsAndWholeNumbersWithAFraction(t *testing.T) {
	if _, err := Parse(patched(t, func(c map[string]any) {
		c["alarms"].(map[string]any)["pagerUrl"] = nil
		c["pipeline"] = nil
		delete(c["site"].(map[string]any), "waf")
		delete(c["site"].(map[string]any), "spaFallback")
		delete(c, "api")
	}), "test.json"); err != nil {
		t.Errorf("null, omitted booleans and no api: %v", err)
	}
	first := func(c map[string]any) {
		c["fanout"].(map[string]any)["consumers"].([]any)[0].(map[string]any)["timeoutSeconds"] = 37
	}
	c, err := Parse([]byte(strings.Replace(string(patched(t, first)), `"timeoutSeconds": 37`, `"timeoutSeconds": 37.0`, 1)), "test.json")
	if err != nil || c.Fanout.Consumers[0].TimeoutSeconds != 37 {
		t.Errorf("37.0: %v, %+v", err, c)
	}
}

// A repeated key keeps its last value, which the rules still judge.
func TestRepeatedKeyDoesNotHideTheRulesOfTheValueKept(t *testing.T) {
	data := strings.Replace(string(defaultJSON), `"ordering": "fifo",`, `"ordering": "fifo", "ordering": "bogus",`, 1)
	c, shape := Parse([]byte(data), "test.json")
	err := WithoutShapeEchoes(shape, c.Validate())
	if diff := cmp.Diff([]string{"fanout.ordering", "fanout.ordering"}, fields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%v", diff, err)
	}
}

// A problem inside a map's value is placed at its own key, and a key a
// map's value repeats is named in the same field path form.
func TestParsePlacesProblemsInsideMapValues(t *testing.T) {
	data := `{
  "regions": [
    {
      "privateEndpoints": {
        "internal": {
          "vpcEndpointIds": "vpce-00000000000000001", "vpcLinkId": "x",
          "vpcLinkId": "PLACEHOLDER"
        }
      }
    }
  ]
}`
	_, err := Parse([]byte(data), "test.json")
	got := err.Error()
	for _, want := range []string{
		`regions[0].privateEndpoints["internal"].vpcEndpointIds: got "vpce-00000000000000001", want a list (line 6, column 27)`,
		`regions[0].privateEndpoints["internal"].vpcLinkId: got "a key repeated at line 7, column 22"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("%v\nwant it to contain %s", got, want)
		}
	}
}

// The rules' problems are placed in the file as the shape's are: at their
// field's key, at the nearest enclosing key the file has when the field is
// missing, a map key in quotes read as one key (alarms.overrides' keys
// hold a slash). Each position is checked against the text at that line.
func TestLocatePlacesRuleProblemsAtTheirKeys(t *testing.T) {
	data := strings.NewReplacer(
		`"ordering": "fifo",`, `"ordering": "bogus",`,
		`"trading-ops@example.com"`, "\"trading-ops@example.com\",\n    \"not-an-email\"",
		`"trading-ops-oncall@example.com"`, "\"trading-ops-oncall@example.com\",\n\n     \"not-a-pager\"",
	).Replace(string(defaultJSON))
	c, shape := Parse([]byte(data), "test.json")
	if shape != nil {
		t.Fatal(shape)
	}
	c.Alarms.Overrides = map[string]AlarmOverride{"dead-letter-queue/ApproximateNumberOfMessagesVisible": {DatapointsToAlarm: 0, EvaluationPeriods: -1}}
	located, ok := c.Locate(c.Validate()).(*problems.Error)
	if !ok {
		t.Fatalf("Locate returned %v", located)
	}
	check(t, "subject", "configuration test.json", located.Subject)
	lines := strings.Split(data, "\n")
	textAt := map[string]string{"fanout.ordering": `"ordering"`, "alarms.emails[1]": `"not-an-email"`, `alarms.recipients["page"].emails[1]`: `"not-a-pager"`}
	previous := 0
	for _, p := range located.Problems {
		var line, col int
		if _, err := fmt.Sscanf(p.At, "line %d, column %d", &line, &col); err != nil {
			t.Errorf("%s: placed at %q", p.Field, p.At)
			continue
		}
		if line < previous {
			t.Errorf("%s at line %d comes after a problem at line %d: want the file's order", p.Field, line, previous)
		}
		previous = line
		// A key's place is just after it, a list item's its first character.
		if text, ok := textAt[p.Field]; ok && !strings.HasSuffix(lines[line-1][:col-1], text) && !strings.HasPrefix(lines[line-1][col-1:], text) {
			t.Errorf("%s: placed at line %d, column %d, which reads %q", p.Field, line, col, lines[line-1])
		}
	}
	for f := range textAt {
		if !slices.Contains(located.Fields(), f) {
			t.Errorf("no problem at %s: %v", f, located)
		}
	}
	// The assembly's problems keep their subject and name the file.
	app := problems.List{Subject: "app: AWS would refuse it"}
	app.Add("fanout.consumers", "19 consumers", "fewer")
	check(t, "assembly subject", "app: AWS would refuse it (lines of configuration test.json)", c.Locate(app.Err()).(*problems.Error).Subject)
	// A stage the context sets is not the file's.
	path := filepath.Join(t.TempDir(), "stage.json")
	if err := os.WriteFile(path, defaultJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	staged, _ := Load(path, "bogus")
	stage := 0
	for _, p := range staged.Locate(staged.Validate()).(*problems.Error).Problems {
		if p.Field == "stage" {
			stage++
			check(t, "the context's stage placed in the file", "", p.At)
		}
	}
	check(t, "problems with the context's stage", 1, stage)
	// A configuration not read from a file, and an error without fields,
	// are left as they are.
	check(t, "no file", "configuration", (&Config{}).Locate(c.Validate()).(*problems.Error).Subject)
	plain := errors.New("plain")
	if c.Locate(plain) != plain || c.Locate(nil) != nil {
		t.Error("Locate changed an error without problems")
	}
}

// The shape's and the rules' problems are listed together in the file's
// order, each at its place, under one subject naming the file.
func TestLocateMergesShapeAndRuleProblemsInFileOrder(t *testing.T) {
	sixty := slices.IndexFunc(Default().Fanout.Consumers, func(c Consumer) bool { return c.TimeoutSeconds == 60 })
	if sixty < 0 {
		t.Fatal("the default configuration has no consumer with a 60-second timeout to break")
	}
	data := strings.NewReplacer(`"account": "111111111111"`, `"account": "123"`, `"timeoutSeconds": 60`, `"timeoutSeconds": "sixty"`).Replace(string(defaultJSON))
	c, shape := Parse([]byte(data), "test.json")
	if shape == nil {
		t.Fatal("want the timeout's shape problem")
	}
	perr := c.Locate(WithoutShapeEchoes(shape, c.Validate())).(*problems.Error)
	check(t, "subject", "configuration test.json", perr.Subject)
	check(t, "fields", []string{"account", fmt.Sprintf("fanout.consumers[%d].timeoutSeconds", sixty)}, perr.Fields())
	for _, p := range perr.Problems {
		if p.At == "" {
			t.Errorf("%s: not placed", p.Field)
		}
	}
}

// An unknown key whose name reads as a path ("user.Pools") keeps the place
// the shape gave it, at the key, when the rules' problems are placed.
func TestLocateKeepsTheShapesPlaceOfAnUnknownKey(t *testing.T) {
	data := strings.Replace(string(defaultJSON), `"regions": [`, `"regions": [ { "user.Pools": {} },`, 1)
	c, shape := Parse([]byte(data), "test.json")
	var at string
	for _, p := range shape.(*problems.Error).Problems {
		if p.Field == "regions[0].user.Pools" {
			at = p.At
		}
	}
	if at == "" {
		t.Fatalf("no shape problem at regions[0].user.Pools in:\n%v", shape)
	}
	for _, p := range c.Locate(WithoutShapeEchoes(shape, c.Validate())).(*problems.Error).Problems {
		if p.Field == "regions[0].user.Pools" && p.At != at {
			t.Errorf("the unknown key is placed at %s, want the shape's %s", p.At, at)
		}
	}
}

// A required field the file lacks comes first, as the schema reports a
// missing field at the top level, and a problem naming no field of the
// configuration (a stack, as the assembly checks name one) comes last.
func TestLocatePutsMissingFieldsFirstAndOthersLast(t *testing.T) {
	data := strings.NewReplacer(`"app": "brokerage",`, "", `"account": "111111111111"`, `"account": "123"`).Replace(string(defaultJSON))
	c, shape := Parse([]byte(data), "test.json")
	if shape == nil {
		t.Fatal("want the missing app's shape problem")
	}
	stack := &problems.Error{Subject: "configuration", Problems: []problems.Problem{{Field: "brokerage-dev-eu-west-2-regional", Value: "501 resources", Want: "at most 500"}}}
	perr := c.Locate(problems.Join("configuration", WithoutShapeEchoes(shape, c.Validate()), stack)).(*problems.Error)
	check(t, "fields", []string{"app", "account", "brokerage-dev-eu-west-2-regional"}, perr.Fields())
}

func TestInstanceLocation(t *testing.T) {
	for field, want := range map[string][]string{
		"fanout.consumers[2].name":                   {"fanout", "consumers", "2", "name"},
		`regions[0].userPools["customers"]`:          {"regions", "0", "userPools", "customers"},
		`alarms.overrides["a/b.c[d]"].threshold`:     {"alarms", "overrides", "a/b.c[d]", "threshold"},
		`regions[1].privateEndpoints["x"].vpcLinkId`: {"regions", "1", "privateEndpoints", "x", "vpcLinkId"},
		"(file)":               {"(file)"},
		`broken["unterminated`: nil,
	} {
		check(t, field, want, instanceLocation(field))
	}
}

func check(t *testing.T, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}
