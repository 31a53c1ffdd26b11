package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"

	"github.com/brokerage/platform/problems"
)

// appContext is the CDK context the CLI hands the app: cdk.json's context,
// cdk.context.json and every -c flag, merged by the CLI. aws-cdk-lib's App
// reads it from the same two places (core/lib/app.ts, loadContext): the
// JSON in CDK_CONTEXT_JSON, and the file named by
// CONTEXT_OVERFLOW_LOCATION_ENV when the CLI found it too large for the
// environment. Reading it on the Go side lets a bad context or
// configuration fail before the jsii kernel starts: in milliseconds, with
// nothing written.
type appContext map[string]any

// readContext reads the context the app was started with; no context (the
// app run by hand) is an empty one.
func readContext() (appContext, error) {
	ctx := appContext{}
	if s := os.Getenv("CDK_CONTEXT_JSON"); s != "" {
		if err := json.Unmarshal([]byte(s), &ctx); err != nil {
			return nil, fmt.Errorf("CDK_CONTEXT_JSON: %v", err)
		}
	}
	if path := os.Getenv("CONTEXT_OVERFLOW_LOCATION_ENV"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("the CLI's context file: %v", err)
		}
		overflow := appContext{}
		if err := json.Unmarshal(b, &overflow); err != nil {
			return nil, fmt.Errorf("the CLI's context file %s: %v", path, err)
		}
		maps.Copy(ctx, overflow)
	}
	return ctx, nil
}

// selection is what the context selects; regions is comma-separated, empty for every region.
type selection struct {
	configPath, stage, regions string
}

// selection reads the app's own context keys, reporting every value of the
// wrong type at once.
func (c appContext) selection() (selection, error) {
	l := problems.List{Subject: "context"}
	s := selection{
		configPath: c.text(&l, "config", "a path to a configuration file (-c config=path/to/config.json)"),
		stage:      c.text(&l, "stage", "a stage name (-c stage=prod)"),
		regions:    c.text(&l, "regions", "a comma-separated list of region names (-c regions=eu-west-2,sa-east-1)"),
	}
	return s, l.Err()
}

// text reads a string value; unset is "". Any other type is a problem
// rather than a silent default (a -c regions given as a JSON list would
// otherwise select every region).
func (c appContext) text(l *problems.List, key, want string) string {
	switch v := c[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		l.Add(key, v, want)
		return ""
	}
}
