// Package pipeline tests the delivery pipeline as `make synth PIPELINE=true`
// builds it from the default configuration: the order in which a change
// reaches the regions, the approval before prod, the alarm check after every
// wave, the gates, and golden templates.
package pipeline

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/")

var (
	cfg *config.Config
	asm *cfn.Assembly
	nag []string // unsuppressed cdk-nag findings
)

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "pipeline-test")
	if err != nil {
		panic(err)
	}
	code := cfntest.StandInCode(tmp)
	cfg = config.Default()
	cfg.Site.ContentDir = "../../site" // tests run in test/pipeline
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	out := filepath.Join(tmp, "out")
	app := cfn.NewApp(out)
	stacks.NewPipeline(app, &stacks.PipelineProps{Config: cfg, RedistributorCode: func() awslambda.Code {
		return awslambda.Code_FromAsset(jsii.String(code), nil)
	}})
	cfntest.WithNag(app)
	var violations []string
	if asm, violations = cfn.SynthOrViolations(app, out); violations != nil {
		fmt.Fprintf(os.Stderr, "synthesis of the pipeline failed validation (cdk-nag errors):\n  %s\n", strings.Join(violations, "\n  "))
		os.Exit(1)
	}
	nag = cfntest.NagWarnings(asm)
	code2 := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code2)
}

func TestCdkNagFindsNothingUnsuppressed(t *testing.T) {
	if len(nag) != 0 {
		t.Errorf("%d cdk-nag findings:\n%s", len(nag), strings.Join(nag, "\n"))
	}
}
