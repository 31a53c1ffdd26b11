package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The CI synth (`make synth`: cdk synth --strict with validation on) fails on
// any finding of aws-cdk-lib's built-in CloudFormation validation; the unit
// tests turn the validator off for speed. This runs the same CLI command on a
// deliberately broken app.
func TestBuiltInValidationFailsTheCISynth(t *testing.T) {
	root, _ := filepath.Abs("..")
	cdk := filepath.Join(root, "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		t.Fatalf("the CDK CLI is not installed (%v): run make deps", err)
	}
	bin := filepath.Join(t.TempDir(), "brokenapp")
	if out, err := exec.Command("go", "build", "-o", bin, "./brokenapp").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(cdk, "synth", "--quiet", "--strict", "--no-notices", "--app", bin, "--output", filepath.Join(t.TempDir(), "out"))
	cmd.Env = append(os.Environ(), "CDK_VALIDATION=true", "CDK_DISABLE_CLI_TELEMETRY=true")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("cdk synth --strict succeeded, want a validation failure:\n%s", out)
	}
	if !strings.Contains(string(out), "'BiggerThan' is not one of") {
		t.Errorf("output does not name the bad value:\n%s", out)
	}
}
