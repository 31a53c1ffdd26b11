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

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/stacks"
)

// redistributorDir holds the compiled redistributor; `make` builds it (see
// scripts/app), relative to the directory of cdk.json.
const redistributorDir = "build/redistributor"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
	props, err := load(contextString(app, "config"), contextString(app, "stage"), contextString(app, "regions"))
	if err != nil {
		return err
	}
	// Constructs panic with a *problems.Error on invalid props; report it as
	// the user error it is, without a Go stack trace, and write nothing.
	defer func() {
		if r := recover(); r != nil {
			var perr *problems.Error
			if e, ok := r.(error); ok && errors.As(e, &perr) {
				err = perr
				return
			}
			panic(r)
		}
	}()
	stacks.NewPlatform(app, props)
	app.Synth(nil)
	return nil
}

func contextString(app awscdk.App, key string) string {
	v := app.Node().TryGetContext(jsii.String(key))
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// load turns the context values into validated platform props.
func load(configPath, stage, regionList string) (*stacks.PlatformProps, error) {
	cfg := config.Default()
	if configPath != "" {
		data, err := os.ReadFile(configPath)
		if err != nil {
			return nil, fmt.Errorf("context config: cannot read %q: %w", configPath, err)
		}
		if cfg, err = config.Parse(data, configPath); err != nil {
			return nil, err
		}
	}
	if stage != "" {
		cfg.Stage = stage
	}
	overrides := map[string]alarms.Override{}
	for k := range cfg.Alarms.Overrides {
		overrides[k] = alarms.Override{}
	}
	errs := append([]error{cfg.Validate(), alarms.CheckOverrides("alarms.overrides", overrides), stacks.SiteProps(cfg).Validate("site.")}, stacks.ValidateAPI(cfg)...)
	if err := problems.Join("configuration", errs...); err != nil {
		return nil, err
	}
	selected, err := cfg.SelectRegions(regionList)
	if err != nil {
		return nil, err
	}
	bootstrap := filepath.Join(redistributorDir, "bootstrap")
	if _, err := os.Stat(bootstrap); err != nil {
		return nil, fmt.Errorf("the redistributor Lambda is not built: %s is missing; run `make build` (or synthesize with `make synth`)", bootstrap)
	}
	return &stacks.PlatformProps{
		Config:            cfg,
		Regions:           selected,
		RedistributorCode: awslambda.Code_FromAsset(jsii.String(redistributorDir), nil),
	}, nil
}
