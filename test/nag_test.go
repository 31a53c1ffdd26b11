package test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// withNag applies the cdk-nag packs the platform is held to.
func withNag(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsiiTrue()}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsiiTrue()}), nil)
}

// nagFindings lists the unsuppressed cdk-nag errors and warnings of an assembly.
func nagFindings(asm cxapi.CloudAssembly) []string {
	var out []string
	for _, s := range *asm.Stacks() {
		for _, m := range *s.Messages() {
			if m.Level == cxapi.SynthesisMessageLevel_INFO {
				continue
			}
			data := fmt.Sprint(m.Entry.Data)
			if !strings.Contains(data, "AwsSolutions-") && !strings.Contains(data, "Serverless-") {
				continue
			}
			out = append(out, fmt.Sprintf("%s %s: %s", m.Level, *m.Id, firstLine(data)))
		}
	}
	sort.Strings(out)
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func TestCdkNagFindsNothingUnsuppressed(t *testing.T) {
	for name, findings := range map[string][]string{"default": devNag, "five regions with opt-in": fiveNag} {
		if len(findings) != 0 {
			t.Errorf("%s app: %d cdk-nag findings:\n%s", name, len(findings), strings.Join(findings, "\n"))
		}
	}
}
