package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	appBin    string
	buildErr  error
)

// runApp runs the compiled app as the CDK CLI would, with the context in
// CDK_CONTEXT_JSON and the output directory in CDK_OUTDIR. The app is built
// once for the package.
func runApp(t *testing.T, contextJSON string) (stderr string, exitCode int, outdir string) {
	t.Helper()
	return runAppEnv(t, contextJSON)
}

// runAppEnv is runApp with further environment variables (NAME=value).
func runAppEnv(t *testing.T, contextJSON string, env ...string) (stderr string, exitCode int, outdir string) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "app")
		if err != nil {
			buildErr = err
			return
		}
		appBin = filepath.Join(dir, "app")
		if out, err := exec.Command("go", "build", "-o", appBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	bin := appBin
	outdir = filepath.Join(t.TempDir(), "cdk.out")
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "CDK_CONTEXT_JSON="+contextJSON, "CDK_OUTDIR="+outdir), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return errb.String(), exit.ExitCode(), outdir
	}
	if err != nil {
		t.Fatal(err)
	}
	return errb.String(), 0, outdir
}

// failsCleanly runs the app with the context and checks that it exits 1,
// naming every wanted problem, with no Go stack trace and nothing written.
func failsCleanly(t *testing.T, context string, wants []string) {
	t.Helper()
	stderr, code, outdir := runApp(t, context)
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	for _, want := range wants {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("stderr has a Go stack trace:\n%s", stderr)
	}
	if entries, _ := os.ReadDir(outdir); len(entries) != 0 {
		t.Errorf("%s has %d entries, want nothing written", outdir, len(entries))
	}
}

func TestBadConfigFailsCleanlyAndWritesNothing(t *testing.T) {
	failsCleanly(t, `{"config":"testdata/bad-config.json"}`, []string{
		`account: got "12345", want a 12-digit AWS account id`,
		"regions[1].name",
		"fanout.brokerAccounts[0]",
		"fanout.maxReceiveCount",
		"fanout.consumers[0].name",
		"alarms.emails[0]",
		// The file's shape and the rules, reported together.
		`site: got "nothing", want a value: the field is required`,
		"fanout.brokerRoles",
		"(8 problems)",
	})
}

// A bad configuration fails before the jsii kernel starts: with no Node.js
// to start it, the app still reports the problem cleanly.
func TestBadConfigFailsBeforeTheKernelStarts(t *testing.T) {
	ctx := changedConfig(t, func(c map[string]any) { c["account"] = "12345" })
	stderr, code, outdir := runAppEnv(t, ctx, "JSII_NODE=/nonexistent/node")
	if code != 1 || !strings.Contains(stderr, `account: got "12345"`) || strings.Contains(stderr, "goroutine") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming the account, no stack trace", code, stderr)
	}
	if entries, _ := os.ReadDir(outdir); len(entries) != 0 {
		t.Errorf("%s has %d entries, want nothing written", outdir, len(entries))
	}
}

// The CLI hands a context too large for the environment over in a file
// (CONTEXT_OVERFLOW_LOCATION_ENV); the app reads it as aws-cdk-lib does.
func TestContextOverflowFileIsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "context.json")
	if err := os.WriteFile(path, []byte(`{"stage":"qa"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr, code, _ := runAppEnv(t, `{}`, "CONTEXT_OVERFLOW_LOCATION_ENV="+path, "JSII_NODE=/nonexistent/node")
	if code != 1 || !strings.Contains(stderr, `stage: got "qa"`) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming the stage from the context file", code, stderr)
	}
}

// A context value of the wrong type is reported, never read as unset: a
// regions list given as JSON would otherwise select every region.
func TestContextOfTheWrongTypeFailsCleanly(t *testing.T) {
	failsCleanly(t, `{"regions":["eu-west-2"],"stage":7}`, []string{
		`regions: got [eu-west-2], want a comma-separated list of region names`,
		`stage: got 7, want a stage name`,
		"(2 problems)",
	})
	failsCleanly(t, `{"regions":`, []string{"CDK_CONTEXT_JSON"})
}

func TestBadContextFailsCleanly(t *testing.T) {
	stderr, code, _ := runApp(t, `{"stage":"qa","regions":"eu-west-2"}`)
	if code != 1 || !strings.Contains(stderr, `stage: got "qa"`) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming the stage", code, stderr)
	}
	stderr, code, _ = runApp(t, `{"config":"testdata/missing.json"}`)
	if code != 1 || !strings.Contains(stderr, "testdata/missing.json") || strings.Contains(stderr, "goroutine") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming the missing file", code, stderr)
	}
}
