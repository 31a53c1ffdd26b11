package test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
)

func TestCdkNagFindsNothingUnsuppressed(t *testing.T) {
	for name, findings := range map[string][]string{"default": devNag, "five regions with opt-in": fiveNag} {
		if len(findings) != 0 {
			t.Errorf("%s app: %d cdk-nag findings:\n%s", name, len(findings), strings.Join(findings, "\n"))
		}
	}
}

// `make synth` runs with --strict: any warning annotation fails it. Catch
// them here first.
func TestNoWarningAnnotations(t *testing.T) {
	for _, a := range []*cfn.Assembly{dev, prod, five} {
		if len(a.Warnings) != 0 {
			t.Errorf("warnings:\n%s", strings.Join(a.Warnings, "\n"))
		}
	}
}

func TestCdkNagCatchesABrokenConstruct(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	app := cfn.NewApp(out)
	s := cfntest.StackIn(app, "broken", "eu-west-2")
	awssqs.NewQueue(s, jsii.String("Plain"), nil)
	withNag(app)
	asm, violations := cfn.SynthOrViolations(app, out)
	if asm != nil {
		t.Fatal("synthesis succeeded, want cdk-nag errors to fail it")
	}
	joined := strings.Join(violations, "\n")
	for _, rule := range []string{"AwsSolutions-SQS3", "AwsSolutions-SQS4", "Serverless-SQSRedrivePolicy"} {
		if !strings.Contains(joined, rule) {
			t.Errorf("no %s finding for a queue without DLQ and TLS enforcement:\n%s", rule, joined)
		}
	}
}
