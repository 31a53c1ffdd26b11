package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brokerage/platform/config"
)

// changedConfig writes config/default.json changed by change to a file and
// returns the context that selects it.
func changedConfig(t *testing.T, change func(c map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile("config/default.json")
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	change(c)
	path := filepath.Join(t.TempDir(), "config.json")
	b, _ = json.Marshal(c)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, _ := json.Marshal(map[string]string{"config": path})
	return string(ctx)
}

// at walks a decoded JSON document: keys for objects, ints for lists.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func obj(v any) map[string]any { return v.(map[string]any) }

func addConsumer(c map[string]any, name string) {
	f := obj(c["fanout"])
	f["consumers"] = append(f["consumers"].([]any), map[string]any{"name": name, "timeoutSeconds": 30})
}

func consumers(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"name": fmt.Sprintf("c%d", i), "timeoutSeconds": 30}
	}
	return out
}

// Configurations AWS would refuse at deploy time, or that made the app
// panic: each fails at synth with one line per problem naming the field.
func TestAWSRulesFailCleanlyAndWriteNothing(t *testing.T) {
	gateway := func(c map[string]any, i int) map[string]any { return obj(at(c, "api", "gateways", i)) }
	// The consumer a case adds comes after the default configuration's.
	added := fmt.Sprintf("fanout.consumers[%d].name", len(config.Default().Fanout.Consumers))
	holdingsAt := slices.IndexFunc(config.Default().Fanout.Consumers, func(c config.Consumer) bool { return c.Name == "holdings" })
	holdings := fmt.Sprintf("fanout.consumers[%d].name", holdingsAt)
	second := config.Default().Regions[1].Name // the region the cases break at regions[1]
	for _, tc := range []struct {
		name   string
		change func(c map[string]any)
		wants  []string
	}{
		{"consumer named like the ingest queue", func(c map[string]any) { addConsumer(c, "trade-executions-ingest") },
			[]string{added + `: got "trade-executions-ingest"`, `is taken by brokerage-dev-ap-southeast-2-ingest/Fanout/`, "(and 1 more of its names are taken)", "(1 problem)"}},
		{"consumer named like a delivery DLQ", func(c map[string]any) { addConsumer(c, "fanout-eu-west-2") },
			[]string{added + `: got "fanout-eu-west-2"`, `"brokerage-dev-fanout-eu-west-2-dlq.fifo" is taken by brokerage-dev-ap-southeast-2-ingest/Fanout/DeliveryDLQ-eu-west-2/Resource`}},
		{"consumer named like another consumer's DLQ", func(c map[string]any) { addConsumer(c, "holdings-dlq") },
			[]string{added + `: got "holdings-dlq"`, "is taken by " + holdings}},
		{"a handler the platform does not ship", func(c map[string]any) { obj(at(c, "fanout", "consumers", holdingsAt))["handler"] = "holding" },
			[]string{fmt.Sprintf(`fanout.consumers[%d].handler: got "holding", want one of: buying-power, holdings`, holdingsAt), "(1 problem)"}},
		{"handlers on a standard fan-out", func(c map[string]any) { obj(c["fanout"])["ordering"] = "standard" },
			[]string{fmt.Sprintf(`fanout.consumers[%d].handler: got "a handler", want a consumer without a handler on a standard (not FIFO) fan-out`, holdingsAt), "(2 problems)"}},
		{"consumer named ingest takes the ingest alarms", func(c map[string]any) { addConsumer(c, "ingest") },
			[]string{added + `: got "ingest"`, `the alarm "brokerage-dev-ingest-`, "(1 problem)"}},
		{"gateway names that make the same alarm names", func(c map[string]any) {
			a, b := map[string]any{}, map[string]any{}
			for k, v := range gateway(c, 1) {
				a[k], b[k] = v, v
			}
			a["name"], b["name"] = "api.v1", "api-v1"
			a["waf"], b["waf"] = false, false // a WAF metric name takes no "."
			obj(c["api"])["gateways"] = append(at(c, "api", "gateways").([]any), a, b)
		}, []string{`api.gateways[3].name: got "api-v1"`, "is taken by api.gateways[2].name"}},
		// 50 accounts and the TLS-only statement's "*" make 51 principals.
		{"50 broker accounts", func(c map[string]any) {
			var accounts []any
			for i := 0; i < 50; i++ {
				accounts = append(accounts, strings.Repeat("2", 10)+string(rune('0'+i/10))+string(rune('0'+i%10)))
			}
			obj(c["fanout"])["brokerAccounts"] = accounts
		}, []string{"fanout.brokerAccounts", "at most 49 broker accounts", "SQS queue policies take 50 principals (50 listed)"}},
		{"3 regions x 40 consumers", func(c map[string]any) { obj(c["fanout"])["consumers"] = consumers(40) },
			[]string{"fanout.consumers", fmt.Sprintf("%d regions x 40 consumers need %d subscriptions on the fan-out topic; SNS FIFO topics take 100", len(config.Default().Regions), 40*len(config.Default().Regions))}},
		{"an oversized regional stack", func(c map[string]any) {
			obj(c["fanout"])["ordering"] = "standard"
			obj(c["fanout"])["consumers"] = consumers(60)
		}, []string{`fanout.consumers: got "600 of the`, "resources of brokerage-dev-ap-southeast-2-regional", "at most 500 resources in a CloudFormation stack"}},
		{"400 alarm e-mail addresses", func(c map[string]any) {
			var emails []any
			for i := range 400 {
				emails = append(emails, fmt.Sprintf("ops%d@example.com", i))
			}
			obj(c["alarms"])["emails"] = emails
		}, []string{`alarms.emails: got "`, "resources of brokerage-dev-eu-west-2-regional", "at most 500 resources in a CloudFormation stack",
			"(lines of configuration ", "fills it (line "}},
		{"a private gateway with 200 VPC endpoints", func(c map[string]any) {
			var ids []any
			for i := range 200 {
				ids = append(ids, fmt.Sprintf("vpce-0123456789abc%04x", i))
			}
			obj(obj(obj(at(c, "regions", 1))["privateEndpoints"])["internal"])["vpcEndpointIds"] = ids
		}, []string{`api.gateways[0].name: got "a resource policy of`, "characters in brokerage-dev-" + second + "-regional", "at most 8192 characters", "(1 problem)"}},
		{"a long CSP", func(c map[string]any) {
			obj(c["site"])["contentSecurityPolicy"] = strings.Repeat("img-src https://cdn.example.com; ", 60)
		},
			[]string{"site.contentSecurityPolicy", "at most 1783 characters"}},
		{"a long market name", func(c map[string]any) { obj(at(c, "regions", 1))["market"] = strings.Repeat("United Kingdom ", 80) },
			[]string{"regions[1].market", "at most 1024 bytes"}},
		{"datapointsToAlarm above the catalogue's evaluationPeriods", func(c map[string]any) {
			obj(at(c, "alarms"))["overrides"] = map[string]any{"dead-letter-queue/ApproximateNumberOfMessagesVisible": map[string]any{"datapointsToAlarm": 3}}
		}, []string{`alarms.overrides["dead-letter-queue/ApproximateNumberOfMessagesVisible"].datapointsToAlarm: got 3`, "evaluate 1 periods and need 3"}},
		{"fractional bursts and quotas", func(c map[string]any) {
			g := gateway(c, 1)
			g["burstLimit"] = 1000.5
			obj(at(g, "usagePlans", 0))["quotaPerDay"] = 100.5
		}, []string{"api.gateways[1].burstLimit: got 1000.5", "api.gateways[1].usagePlans[0].quotaPerDay: got 100.5", "(2 problems)"}},
		{"a space in a WAF metric name", func(c map[string]any) { gateway(c, 1)["name"] = "my public" },
			[]string{`api.gateways[1].name: got "brokerage-dev-my public"`, "WAF metric name"}},
		{"opt-in to opt-in forwarding", func(c map[string]any) {
			c["regions"] = []any{map[string]any{"name": "me-central-1", "market": "UAE"}, map[string]any{"name": "af-south-1", "market": "South Africa"}, map[string]any{"name": "eu-west-2", "market": "UK"}}
			c["primaryRegion"] = "me-central-1"
		}, []string{`regions[1].name: got "af-south-1"`, "SNS does not forward from one opt-in region to another"}},
		{"a Cognito ARN without its resource", func(c map[string]any) {
			obj(obj(at(c, "regions", 1))["userPools"])["customers"] = "arn:aws:cognito-idp:" + second + ":111111111111:"
		}, []string{`regions[1].userPools["customers"]`, "a user pool id " + second + "_<id> after userpool/", "(1 problem)"}},
		{"a Lambda ARN without its resource", func(c map[string]any) {
			g := gateway(c, 0)
			g["authorizers"] = append(g["authorizers"].([]any), map[string]any{"name": "jwt", "type": "lambda", "functionArn": "arn:aws:lambda:eu-west-2:111111111111:"})
		}, []string{"api.gateways[0].authorizers[1].functionArn", "function:<name>"}},
		{"61 usage plans, each resolving its secret in every regional stack", func(c map[string]any) {
			var plans []any
			for i := range 61 {
				plans = append(plans, map[string]any{"name": fmt.Sprintf("p%d", i), "rateLimit": 1, "burstLimit": 1, "apiKeySecret": fmt.Sprintf("partners/p%d-api-key", i)})
			}
			gateway(c, 1)["usagePlans"] = plans
		}, []string{`api.gateways: got "61 usage plans"`, "at most 60 dynamic references"}},
		{"evaluation periods a redelivery period makes longer than CloudWatch evaluates", func(c map[string]any) {
			obj(c["alarms"])["overrides"] = map[string]any{"consumer/GapHeldSeconds": map[string]any{"evaluationPeriods": 1440}}
		}, []string{`Overrides["consumer/GapHeldSeconds"].evaluationPeriods: got 1440`, "CloudWatch evaluates at most 86400 s", "the redelivery of holdings"}},
		{"duplicate gateway names", func(c map[string]any) {
			obj(c["api"])["gateways"] = append(at(c, "api", "gateways").([]any), gateway(c, 1))
		}, []string{`api.gateways[2].name: got "public", want a name no other gateway has`}},
		{"duplicate usage-plan names", func(c map[string]any) {
			g := gateway(c, 1)
			g["usagePlans"] = append(g["usagePlans"].([]any), at(g, "usagePlans", 0))
		}, []string{`api.gateways[1].usagePlans[1].name: got "partners"`}},
		{"a schema property that is not an object, and an unknown type", func(c map[string]any) {
			props := obj(at(gateway(c, 1), "services", 0, "requestSchema", "properties"))
			props["symbol"], props["quantity"] = "string", map[string]any{"type": "decimal"}
		}, []string{`requestSchema.properties["symbol"]: got "string"`, `requestSchema.properties["quantity"].type: got "decimal", want a JSON schema type`}},
	} {
		t.Run(tc.name, func(t *testing.T) { failsCleanly(t, changedConfig(t, tc.change), tc.wants) })
	}
}

// With us-east-1 as the primary region the edge and ingest stacks share a
// region: one of them creates the account concurrency alarm, and the
// synthesized app passes the AWS rules.
func TestPrimaryRegionUSEast1Synthesizes(t *testing.T) {
	ctx := changedConfig(t, func(c map[string]any) {
		renameRegion(c, 0, "us-east-1")
		c["primaryRegion"] = "us-east-1"
	})
	stderr, code, outdir := runApp(t, ctx)
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(outdir, "brokerage-dev-us-east-1-ingest.template.json")); err != nil {
		t.Errorf("ingest template not written: %v", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(outdir), ".cdk.out.staging-*")); len(entries) != 0 {
		t.Errorf("staging directories left behind: %v", entries)
	}
}

// A file with a syntax error names its line and column; a file with
// several problems names them all.
func TestParseProblemsFailCleanly(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, _ := json.Marshal(map[string]string{"config": path})
		return string(ctx)
	}
	failsCleanly(t, write("syntax.json", "{\n  \"app\": \"x\"\n  \"stage\": \"dev\"\n}"), []string{"(file): got \"line 3, column 3\"", "valid JSON"})
	failsCleanly(t, write("list.json", `[]`), []string{`(file): got "a JSON list", want a JSON object`})
	failsCleanly(t, write("many.json", `{"app": "x", "app": "y", "colour": 1, "fanout": {"consumers": [{"timeoutSeconds": 30}, {"name": "b", "timeoutSeconds": "30"}]}}`),
		[]string{"app: got \"a key repeated", "colour: got \"an unknown key\"", "fanout.consumers[1].timeoutSeconds: got \"30\", want a whole number (line 1, column 118)",
			"fanout.consumers[0].name: got \"nothing\", want a value: the field is required", "(14 problems)"})
	// The rules' problems are placed in the file too.
	def, err := os.ReadFile("config/default.json")
	if err != nil {
		t.Fatal(err)
	}
	ruled := strings.Replace(string(def), `"trading-ops@example.com"`, "\"trading-ops@example.com\",\n   \"not-an-email\"", 1)
	line := strings.Count(ruled[:strings.Index(ruled, "not-an-email")], "\n") + 1
	failsCleanly(t, write("rule.json", ruled), []string{fmt.Sprintf(`alarms.emails[1]: got "not-an-email", want a plain e-mail address such as ops@example.com (line %d, column 4)`, line)})
}

// renameRegion moves the region block regions[i] to region: its name, and
// the region in its values (user pools' ARNs).
func renameRegion(c map[string]any, i int, region string) {
	r := obj(at(c, "regions", i))
	from := r["name"].(string)
	b, _ := json.Marshal(r)
	var moved map[string]any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(b), from, region)), &moved); err != nil {
		panic(err)
	}
	c["regions"].([]any)[i] = moved
}
