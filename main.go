// Command platform is the CDK app of the brokerage platform. It reads the CDK
// context once (stage, config, regions), validates the configuration, and
// constructs only the selected regions' stacks.
//
//	npx cdk synth -c stage=prod -c config=path/to/config.json -c regions=eu-west-2
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/stacks"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	phases := &phases{on: os.Getenv("PLATFORM_PHASES") == "1", last: time.Now()}
	ctx, err := readContext()
	if err != nil {
		return err
	}
	sel, err := ctx.selection()
	if err != nil {
		return err
	}
	props, err := load(sel.configPath, sel.stage, sel.regions)
	if err != nil {
		return err
	}
	phases.done("config") // context read, configuration loaded and validated
	// The app synthesizes into a staging directory next to the output
	// directory and moves its content there only once every check passed:
	// a failed synthesis writes nothing.
	// aws-cdk-lib's own resource limit would fail the synthesis with a
	// construct path; 0 turns it off so that awsrules.CheckAssembly
	// reports the stack's count at the configuration entries behind it.
	appProps := &awscdk.AppProps{StackTraces: jsii.Bool(false), Context: &map[string]any{"@aws-cdk/core:stackResourceLimit": 0}}
	outdir := os.Getenv("CDK_OUTDIR")
	if outdir != "" {
		staging, err := stagingDir(outdir)
		if err != nil {
			return err
		}
		defer os.RemoveAll(staging)
		appProps.Outdir = jsii.String(staging)
	}
	// Only now the jsii kernel starts: bad input has failed without it.
	app := awscdk.NewApp(appProps)
	phases.done("kernel") // the jsii kernel starts and loads the libraries
	defer lastResort(app, &err)
	stacks.NewPlatform(app, props)
	phases.done("construct")
	asm := app.Synth(nil)
	phases.done("synth") // with the built-in validation unless CDK_VALIDATION=false
	// The name and quota rules once more, over what the code produced.
	if err := awsrules.CheckAssembly(*asm.Directory()); err != nil {
		return props.Config.Locate(err)
	}
	phases.done("checks")
	if outdir != "" {
		return moveInto(*asm.Directory(), outdir)
	}
	return nil
}

// phases times the app's phases for `make bench`: with PLATFORM_PHASES=1
// the app prints one "phase <name> <seconds>" line per phase to stderr
// (config, kernel, construct, synth, checks).
// Off by default; it changes nothing else.
type phases struct {
	on   bool
	last time.Time
}

func (p *phases) done(name string) {
	if p.on {
		now := time.Now()
		fmt.Fprintf(os.Stderr, "phase %s %.3f\n", name, now.Sub(p.last).Seconds())
		p.last = now
	}
}

// stagingDir creates an empty directory beside outdir, on the same file
// system, so that moving the synthesized files is a rename.
func stagingDir(outdir string) (string, error) {
	abs, err := filepath.Abs(outdir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".staging-")
}

// moveInto moves every entry of dir into outdir, replacing entries of the
// same name (outdir may hold the CLI's lock files, which stay).
func moveInto(dir, outdir string) error {
	if err := os.MkdirAll(outdir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		dest := filepath.Join(outdir, e.Name())
		if err := os.RemoveAll(dest); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(dir, e.Name()), dest); err != nil {
			return err
		}
	}
	return nil
}

// lastResort turns a panic while constructing or synthesizing into one
// line naming the construct being built, never a Go stack trace. Invalid
// configurations are caught before (stacks.Validate); a construct's props
// validation panics with a *problems.Error, reported as it is.
func lastResort(app awscdk.App, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(error); ok {
		if perr, ok := errors.AsType[*problems.Error](e); ok {
			*err = perr
			return
		}
	}
	*err = fmt.Errorf("could not build the app at %s: %s", lastConstruct(app), firstLine(fmt.Sprint(r)))
}

// lastConstruct is the path of the construct added last: where building stopped.
func lastConstruct(app awscdk.App) (path string) {
	defer func() {
		if recover() != nil {
			path = "(unknown)"
		}
	}()
	all := *app.Node().FindAll(constructs.ConstructOrder_PREORDER)
	if len(all) == 0 {
		return "the app"
	}
	return *all[len(all)-1].Node().Path()
}

// firstLine is the first line of a message that says something, without
// the JavaScript stack that jsii appends.
func firstLine(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "at ") {
			return line
		}
	}
	return "an unexpected failure"
}

// load turns the context values into validated platform props.
func load(configPath, stage, regionList string) (*stacks.PlatformProps, error) {
	cfg, err := stacks.Load(configPath, stage, time.Now())
	if err != nil {
		return nil, err
	}
	selected, err := cfg.SelectRegions(regionList)
	if err != nil {
		return nil, err
	}
	return &stacks.PlatformProps{Config: cfg, Regions: selected}, nil
}
