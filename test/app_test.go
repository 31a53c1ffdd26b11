// Package test holds the app-level tests: golden templates per stack,
// logical-ID pins of stateful resources, and the guarantees that span stacks.
// One app per stage is synthesized for the whole package.
package test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/config/configtest"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/internal/diagram"
	"github.com/brokerage/platform/stacks"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/")

var (
	dev  *cfn.Assembly // the default configuration, as `make synth` builds it
	prod *cfn.Assembly // the same with -c stage=prod
	five *cfn.Assembly // config/testdata/five-regions.json: five regions, two opt-in, prod
	cfg  *config.Config

	devNag, fiveNag []string // unsuppressed cdk-nag findings
)

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "platform-test")
	if err != nil {
		panic(err)
	}
	// A stand-in for the compiled redistributor: the templates only see its
	// asset hash, which the goldens normalise.
	code := cfntest.StandInCode(tmp)

	cfg = config.Default()
	cfg.Site.ContentDir = "../web" // tests run in test/
	dev, devNag = synth(cfg, code, filepath.Join(tmp, "dev"))
	prodCfg := config.Default()
	prodCfg.Stage = "prod"
	configtest.RealIDs(prodCfg)
	prodCfg.Site.ContentDir = "../web"
	prod, _ = synth(prodCfg, code, filepath.Join(tmp, "prod"))
	data, err := os.ReadFile("../config/testdata/five-regions.json")
	must(err)
	fiveCfg, err := config.Parse(data, "five-regions.json")
	must(err)
	fiveCfg.Site.ContentDir = "../web"
	five, fiveNag = synth(fiveCfg, code, filepath.Join(tmp, "five"))

	code2 := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code2)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// synth builds the platform for c with the cdk-nag packs applied, and
// returns the assembly and the unsuppressed nag findings.
func synth(c *config.Config, codeDir, outdir string) (*cfn.Assembly, []string) {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	app := cfn.NewApp(outdir)
	stacks.NewPlatform(app, &stacks.PlatformProps{Config: c, Now: cfntest.Now, RedistributorCode: awslambda.Code_FromAsset(jsii.String(codeDir), nil), ConsumerCode: cfntest.StandIn(codeDir)})
	return synthWithNag(app, outdir)
}

func TestGoldenTemplates(t *testing.T) {
	for _, s := range dev.Stacks {
		t.Run(s.Name, func(t *testing.T) {
			golden(t, filepath.Join("testdata", s.Name+".template.json"), s.Template)
		})
	}
}

func TestNoStaleGoldens(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.template.json"))
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	var want []string
	for _, s := range dev.Stacks {
		want = append(want, s.Name+".template.json")
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("golden files do not match the stacks (-want +got):\n%s", diff)
	}
}

func TestStackNamesCarryStageRegionAndRole(t *testing.T) {
	want := []string{cfg.Prefix() + "-" + cfg.PrimaryRegion + "-ingest", cfg.Prefix() + "-us-east-1-edge"}
	for _, r := range cfg.RegionNames() {
		want = append(want, cfg.Prefix()+"-"+r+"-regional")
	}
	var got []string
	for _, s := range dev.Stacks {
		got = append(got, s.Name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
}

func TestRegionalStacksDeployAfterTheIngestStack(t *testing.T) {
	ingest := "brokerage-dev-ap-southeast-2-ingest"
	for _, s := range dev.Stacks {
		if s.Name == ingest || s.Name == "brokerage-dev-us-east-1-edge" {
			if len(s.DependsOn) != 0 {
				t.Errorf("%s depends on %v, want nothing", s.Name, s.DependsOn)
			}
			continue
		}
		if diff := cmp.Diff([]string{ingest}, s.DependsOn); diff != "" {
			t.Errorf("dependencies of %s (-want +got):\n%s", s.Name, diff)
		}
	}
}

// statefulTypes hold data, or decide who can read it: replacing one loses it.
var statefulTypes = map[string]bool{
	"AWS::SQS::Queue": true,
	"AWS::KMS::Key":   true,
	"AWS::SNS::Topic": true,
	"AWS::S3::Bucket": true,
	// A consumer's idempotency records, account sequences and effects.
	"AWS::DynamoDB::Table": true,
}

// pinKey is "<region>-<role>" of a stack: its region from its
// environment, its role from the end of its name.
func pinKey(s cfn.Stack) string {
	for _, role := range []string{stacks.RoleEdge, stacks.RoleIngest, stacks.RoleRegional} {
		if strings.HasSuffix(s.Name, "-"+role) {
			return s.Region + "-" + role
		}
	}
	return s.Name
}

func TestProdRetainsEveryStatefulResource(t *testing.T) {
	for _, s := range prod.Stacks {
		name := s.Name
		for _, r := range s.Template.Resources("") {
			if !statefulTypes[r.Type] {
				continue
			}
			got := fmt.Sprint(r.Raw["DeletionPolicy"], "/", r.Raw["UpdateReplacePolicy"])
			if got != "Retain/Retain" {
				t.Errorf("%s %s (%s): DeletionPolicy/UpdateReplacePolicy = %s, want Retain/Retain", name, r.LogicalID, r.Type, got)
			}
		}
	}
}

// Outside prod the site's buckets empty themselves when the edge stack is
// deleted, through aws-cdk-lib's auto-delete function (alarmed like every
// function); prod's are retained and never emptied.
func TestOnlyNonProdSiteBucketsAreEmptiedOnDeletion(t *testing.T) {
	autoDelete := func(a *cfn.Assembly) (buckets []string, functions int) {
		var edge cfn.Template
		for _, s := range a.Stacks {
			if strings.HasSuffix(s.Name, "-edge") {
				edge = s.Template
			}
		}
		for _, r := range edge.Resources("Custom::S3AutoDeleteObjects") {
			buckets = append(buckets, cfn.Ref(r.Props["BucketName"]))
		}
		for _, r := range edge.Resources("AWS::Lambda::Function") {
			if strings.HasPrefix(r.LogicalID, "CustomS3AutoDeleteObjects") {
				functions++
			}
		}
		sort.Strings(buckets)
		return buckets, functions
	}
	buckets, functions := autoDelete(dev)
	cfntest.Check(t, "dev: buckets emptied on deletion", []string{"SiteBucket978D4AEB", "SiteLogBucket150DDC0F"}, buckets)
	cfntest.Check(t, "dev: auto-delete functions", 1, functions)
	buckets, functions = autoDelete(prod)
	cfntest.Check(t, "prod: buckets emptied on deletion", []string(nil), buckets)
	cfntest.Check(t, "prod: auto-delete functions", 0, functions)
}

func TestProdStacksHaveTerminationProtection(t *testing.T) {
	// Termination protection lives in the manifest, not the template; the
	// stack props are checked where they are built.
	c := config.Default()
	c.Stage = "prod"
	app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
	p := stacks.NewPlatform(app, &stacks.PlatformProps{Config: c, Regions: []string{"eu-west-2"}, RedistributorCode: awslambda.Code_FromInline(jsii.String("unused")), ConsumerCode: cfntest.AnyCode})
	for _, s := range p.Stacks {
		if !*s.TerminationProtection() {
			t.Errorf("%s: termination protection off in prod", *s.StackName())
		}
	}
}

func TestOnlySelectedRegionsAreConstructed(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
	p := stacks.NewPlatform(app, &stacks.PlatformProps{Config: config.Default(), Regions: []string{"eu-west-2", "sa-east-1"}, RedistributorCode: awslambda.Code_FromInline(jsii.String("unused")), ConsumerCode: cfntest.AnyCode})
	var got []string
	for _, s := range p.Stacks {
		got = append(got, *s.StackName())
	}
	want := []string{"brokerage-dev-eu-west-2-regional", "brokerage-dev-sa-east-1-regional"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("constructed stacks (-want +got):\n%s", diff)
	}
	withSite := config.Default()
	withSite.Site.ContentDir = "../web"
	edge := stacks.NewPlatform(cfn.NewApp(t.TempDir()), &stacks.PlatformProps{Config: withSite, Regions: []string{"us-east-1"}, RedistributorCode: awslambda.Code_FromInline(jsii.String("unused")), ConsumerCode: cfntest.AnyCode})
	if len(edge.Stacks) != 1 || *edge.Stacks[0].StackName() != "brokerage-dev-us-east-1-edge" || edge.Edge == nil {
		t.Errorf("-c regions=us-east-1 constructed %d stacks, want only the edge stack", len(edge.Stacks))
	}
}

var jsonMarshal = json.Marshal

// Regional stacks name what they need in other regions by deterministic ARN
// (topic, delivery DLQs, alarm topics, dashboards' metrics), and the site
// keeps everything CloudFront needs in the edge stack: no stack exports or
// imports a value, so no deploy order is hidden in CloudFormation exports.
func TestNoCrossStackExportsOrImports(t *testing.T) {
	for _, a := range []*cfn.Assembly{dev, five} {
		for _, s := range a.Stacks {
			b, _ := json.Marshal(s.Template)
			if strings.Contains(string(b), "Fn::ImportValue") || strings.Contains(string(b), `"Export"`) {
				t.Errorf("%s exports or imports a value", s.Name)
			}
		}
	}
}

func TestOneAPIGatewayAccountPerRegionAndTwoGatewaysWithServices(t *testing.T) {
	for _, s := range dev.Stacks {
		name, tmpl := s.Name, s.Template
		accounts := len(tmpl.Resources("AWS::ApiGateway::Account"))
		want := 0
		if strings.HasSuffix(name, "-regional") {
			want = 1
		}
		if accounts != want {
			t.Errorf("%s has %d AWS::ApiGateway::Account, want %d", name, accounts, want)
		}
	}
	uk := dev.Stack("brokerage-dev-eu-west-2-regional").Template
	var names []string
	for _, a := range uk.Resources("AWS::ApiGateway::RestApi") {
		names = append(names, a.Props["Name"].(string))
	}
	if diff := cmp.Diff([]string{"brokerage-dev-internal", "brokerage-dev-public"}, names); diff != "" {
		t.Errorf("gateways (-want +got):\n%s", diff)
	}
	var public []string
	for _, r := range uk.Resources("AWS::ApiGateway::Resource") {
		if p := r.Props["PathPart"].(string); p != "{proxy+}" && strings.Contains(r.LogicalID, "Apipublic") {
			public = append(public, p)
		}
	}
	if diff := cmp.Diff([]string{"holdings", "orders", "quotes", "risk"}, public, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("public services (-want +got):\n%s", diff)
	}
}

// Only the stage that owns the API Gateway account setting of its account
// creates it; a stage sharing the account relies on it and creates none.
func TestOnlyTheOwningStageCreatesTheAPIGatewayAccountSetting(t *testing.T) {
	for _, tc := range []struct {
		stage string
		owns  bool
	}{{"dev", true}, {"staging", false}} {
		c := config.Default()
		c.Stage = tc.stage
		c.Pipeline.Stages = []config.PipelineStage{{Name: "dev"}, {Name: "staging"}, {Name: "prod", Account: "333333333333"}}
		configtest.RealIDs(c)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
		p := stacks.NewPlatform(app, &stacks.PlatformProps{Config: c, Regions: []string{"eu-west-2"}, RedistributorCode: awslambda.Code_FromInline(jsii.String("unused")), ConsumerCode: cfntest.AnyCode})
		got := p.Regional["eu-west-2"].Node().TryFindChild(jsii.String("ApiGatewayAccount")) != nil
		if got != tc.owns {
			t.Errorf("stage %s creates the account setting = %v, want %v", tc.stage, got, tc.owns)
		}
	}
}

// api.scopedLoggingPolicy reaches the owner's logging role: the managed
// policy by default, the construct's account-and-region inline policy
// when set.
func TestScopedLoggingPolicyReachesTheAccountRole(t *testing.T) {
	for _, scoped := range []bool{false, true} {
		c := config.Default()
		c.API.ScopedLoggingPolicy = scoped
		app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
		p := stacks.NewPlatform(app, &stacks.PlatformProps{Config: c, Regions: []string{"eu-west-2"}, RedistributorCode: awslambda.Code_FromInline(jsii.String("unused")), ConsumerCode: cfntest.AnyCode})
		role := p.Regional["eu-west-2"].Node().FindChild(jsii.String("ApiGatewayAccount")).Node().FindChild(jsii.String("Role")).Node().DefaultChild().(awsiam.CfnRole)
		props := (*assertions.Template_FromStack(p.Regional["eu-west-2"], nil).ToJSON())["Resources"].(map[string]any)[*p.Regional["eu-west-2"].GetLogicalId(role)].(map[string]any)["Properties"].(map[string]any)
		_, managed := props["ManagedPolicyArns"]
		_, inline := props["Policies"]
		if managed == scoped || inline != scoped {
			t.Errorf("scopedLoggingPolicy %v: managed policies %v, inline policies %v", scoped, managed, inline)
		}
	}
}

// docs/diagrams/*.dot are drawn from the synthesized app (make diagram); they
// must match the app as it is now.
func TestDiagramsAreCurrent(t *testing.T) {
	for name, want := range diagram.Files(dev) {
		got, err := os.ReadFile(filepath.Join("..", "docs", "diagrams", name))
		if err != nil {
			t.Errorf("%s: %v (run make diagram)", name, err)
			continue
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("docs/diagrams/%s is out of date; run make diagram (-generated +committed):\n%s", name, diff)
		}
	}
}

// A consumer's queue redrives after the consumer's own maxReceiveCount, or
// else the fan-out's (fanout.maxReceiveCount, which the regional half takes
// from the ingest's props): set to a value that is not the construct's
// default, so that a consumer falling back to the default fails.
func TestConsumerQueuesTakeTheFanoutsMaxReceiveCount(t *testing.T) {
	c := config.Default()
	c.Fanout.MaxReceiveCount = 8
	var region string // a region whose stacks build no redistributor
	for _, r := range c.RegionNames() {
		if r != c.PrimaryRegion && region == "" {
			region = r
		}
	}
	app := cfn.NewApp(t.TempDir())
	stacks.NewPlatform(app, &stacks.PlatformProps{Config: c, Regions: []string{region}, RedistributorCode: awslambda.Code_FromInline(jsii.String("unused")), ConsumerCode: cfntest.AnyCode, Now: cfntest.Now})
	tmpl := cfn.Synth(app).Stack(stacks.StackName(c, region, stacks.RoleRegional)).Template
	got, want := map[string]any{}, map[string]any{}
	for _, cons := range c.Fanout.Consumers {
		want[cons.Name] = float64(c.Fanout.MaxReceiveCount)
		if cons.MaxReceiveCount != 0 {
			want[cons.Name] = float64(cons.MaxReceiveCount)
		}
		q, err := tmpl.ByPath("Fanout/" + cons.Name + "/Queue/Resource")
		if err != nil {
			t.Fatal(err)
		}
		got[cons.Name] = q.Props["RedrivePolicy"].(map[string]any)["maxReceiveCount"]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("consumer queues' maxReceiveCount (-want +got):\n%s", diff)
	}
}
