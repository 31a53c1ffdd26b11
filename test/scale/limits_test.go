// Package scale synthesizes the 25 regions x 10 consumers configuration and
// checks every stack against CloudFormation's limits, so that a construct that
// would blow a limit as the platform grows fails the build. It is its own
// package so that it runs in parallel with the other tests.
package scale

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
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
	data, err := os.ReadFile("../../config/scale-25x10.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(data, "scale-25x10.json")
	if err != nil {
		t.Fatal(err)
	}
	c.Site.ContentDir = "../../site"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code := cfntest.StandInCode(dir)
	app := cfn.NewApp(filepath.Join(dir, "out"))
	stacks.NewPlatform(app, &stacks.PlatformProps{Config: c, RedistributorCode: awslambda.Code_FromAsset(jsii.String(code), nil)})
	asm := cfn.Synth(app)

	if got := len(asm.Order); got != 27 { // 25 regional, ingest, edge
		t.Errorf("%d stacks, want 27", got)
	}
	for _, name := range asm.Order {
		tmpl := asm.Templates[name]
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
