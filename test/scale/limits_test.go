// Package scale synthesizes the 25 regions x 4 consumers configuration (100
// subscriptions, the most an SNS FIFO topic takes), checks that AWS's rules
// accept it, and checks every stack against CloudFormation's limits, so that
// a construct that would blow a limit as the platform grows fails the build. It is its own
// package so that it runs in parallel with the other tests.
package scale

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/stacks"
)

// Limits per template, and the share of each a stack may use: half, to leave
// room for growth inside one stack.
const (
	maxResources  = 500
	maxBytes      = 1_000_000
	maxOutputs    = 200
	maxParameters = 200
	share         = 0.5
)

func TestTwentyFiveRegionsStayWithinHalfOfEveryLimit(t *testing.T) {
	data, err := os.ReadFile("../../config/scale-25x4.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(data, "scale-25x4.json")
	if err != nil {
		t.Fatal(err)
	}
	c.Site.ContentDir = "../../web"
	if err := stacks.Validate(c, cfntest.Now); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code := cfntest.StandInCode(dir)
	app := cfn.NewApp(filepath.Join(dir, "out"))
	stacks.NewPlatform(app, &stacks.PlatformProps{Config: c, Now: cfntest.Now, RedistributorCode: awslambda.Code_FromAsset(jsii.String(code), nil), ConsumerCode: cfntest.StandIn(code)})
	asm := cfn.Synth(app)
	if err := awsrules.CheckAssembly(filepath.Join(dir, "out")); err != nil {
		t.Error(err)
	}

	if got := len(asm.Stacks); got != 27 { // 25 regional, ingest, edge
		t.Errorf("%d stacks, want 27", got)
	}
	oneAlarmTopicPerRegion(t, asm)
	for _, s := range asm.Stacks {
		name, tmpl := s.Name, s.Template
		b, _ := json.Marshal(tmpl)
		count := func(section string) int {
			m, _ := tmpl[section].(map[string]any)
			return len(m)
		}
		for _, l := range []struct {
			what       string
			got, limit int
		}{
			{"resources", count("Resources"), maxResources},
			{"template bytes", len(b), maxBytes},
			{"outputs", count("Outputs"), maxOutputs},
			{"parameters", count("Parameters"), maxParameters},
		} {
			if float64(l.got) > share*float64(l.limit) {
				t.Errorf("%s: %d %s, above %.0f%% of CloudFormation's %d", name, l.got, l.what, share*100, l.limit)
			}
		}
	}
}

// Each region has one alarm topic, even where a region holds two of the
// platform's stacks (us-east-1: edge and regional; the primary region: ingest
// and regional): the other stacks reuse it by name and deploy after its owner.
func oneAlarmTopicPerRegion(t *testing.T, asm *cfn.Assembly) {
	t.Helper()
	owner := map[string]string{} // region -> stack that creates its alarm topic
	for _, s := range asm.Stacks {
		for _, topic := range s.Template.Resources("AWS::SNS::Topic") {
			if strings.HasSuffix(topic.Props["TopicName"].(string), "-alarms") {
				if other, ok := owner[s.Region]; ok {
					t.Errorf("region %s has two alarm topics: in %s and %s", s.Region, other, s.Name)
				}
				owner[s.Region] = s.Name
			}
		}
	}
	for _, s := range asm.Stacks {
		o, ok := owner[s.Region]
		switch {
		case !ok:
			t.Errorf("%s: region %s has no alarm topic", s.Name, s.Region)
		case o != s.Name && !slices.Contains(s.DependsOn, o):
			t.Errorf("%s uses the alarm topic of %s but does not deploy after it (depends on %v)", s.Name, o, s.DependsOn)
		}
	}
}
