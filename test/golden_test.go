package test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/google/go-cmp/cmp"
)

// withNag applies the cdk-nag packs the platform is held to.
func withNag(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// synthWithNag applies the cdk-nag packs, synthesizes the app into outdir
// and returns the assembly with its unsuppressed cdk-nag warnings. cdk-nag
// errors fail synthesis itself; then nothing else can be tested, so it
// prints them and exits 1. For TestMain.
func synthWithNag(app awscdk.App, outdir string) (*cfn.Assembly, []string) {
	withNag(app)
	asm, violations := cfn.SynthOrViolations(app, outdir)
	if violations != nil {
		fmt.Fprintf(os.Stderr, "synthesis of %s failed validation (cdk-nag errors):\n  %s\n", outdir, strings.Join(violations, "\n  "))
		os.Exit(1)
	}
	var warnings []string
	for _, w := range asm.Warnings {
		if strings.Contains(w, "AwsSolutions-") || strings.Contains(w, "Serverless-") {
			warnings = append(warnings, w)
		}
	}
	return asm, warnings
}

// assetHash matches the asset hashes, which change without the
// infrastructure changing: goldens hold "<asset-hash>" instead (escaped as
// encoding/json writes it), so that they move only when resources do.
var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// regenerate is the command that rewrites the golden templates.
const regenerate = "go test ./test -update"

// golden compares a template, its asset hashes replaced, with the golden
// file at path, or rewrites the file with -update.
func golden(t *testing.T, path string, tmpl cfn.Template) {
	t.Helper()
	b, err := json.MarshalIndent(tmpl, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = assetHash.ReplaceAll(b, []byte(`\u003casset-hash\u003e`))
	if *update {
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden %s: run `%s` and review the new file", path, regenerate)
	}
	var want, got any
	if err := json.Unmarshal(stored, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("template differs from %s (-want +got):\n%s\nIf the change is intended, run `%s` and review the diff.", path, diff, regenerate)
	}
}
