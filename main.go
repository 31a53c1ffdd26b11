// Command platform is the CDK app of the brokerage platform. It reads the CDK
// context once (stage, config, regions, pipeline), validates the
// configuration, and constructs only the selected regions' stacks, or with
// pipeline=true the delivery pipeline that deploys them all.
//
//	npx cdk synth -c stage=prod -c config=path/to/config.json -c regions=eu-west-2
//	npx cdk synth -c pipeline=true
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
	configPath, regionList := contextString(app, "config"), contextString(app, "regions")
	pipeline, err := contextBool(app, "pipeline")
	if err != nil {
		return err
	}
	props, err := load(configPath, contextString(app, "stage"), regionList)
	if err != nil {
		return err
	}
	if pipeline {
		if err := pipelineSelectable(props, regionList); err != nil {
			return err
		}
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
	if pipeline {
		code := func() awslambda.Code { return awslambda.Code_FromAsset(jsii.String(redistributorDir), nil) }
		stacks.NewPipeline(app, &stacks.PipelineProps{Config: props.Config, ConfigPath: configPath, RedistributorCode: code})
	} else {
		stacks.NewPlatform(app, props)
	}
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

// contextBool reads a true/false context value (`-c key=true`); unset is false.
func contextBool(app awscdk.App, key string) (bool, error) {
	value := app.Node().TryGetContext(jsii.String(key))
	switch v := value.(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		switch v {
		case "true":
			return true, nil
		case "false", "":
			return false, nil
		}
	}
	l := problems.List{Subject: "context"}
	l.Add(key, value, "true or false")
	return false, l.Err()
}

// pipelineSelectable reports why the pipeline cannot be constructed, if it cannot.
func pipelineSelectable(props *stacks.PlatformProps, regionList string) error {
	l := problems.List{Subject: "context"}
	if !props.Config.Pipeline.Enabled {
		l.Add("pipeline", "true", "pipeline.enabled set to true in the configuration, or no -c pipeline")
	}
	if regionList != "" {
		l.Add("regions", regionList, "no -c regions with -c pipeline=true: the pipeline deploys every region")
	}
	return l.Err()
}

// load turns the context values into validated platform props.
func load(configPath, stage, regionList string) (*stacks.PlatformProps, error) {
	cfg, err := config.Load(configPath, stage)
	if err != nil {
		return nil, err
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
