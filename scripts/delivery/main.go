// Command delivery is what the CI workflow asks the app's configuration when
// it deploys region by region (.github/workflows/deploy.yml): the waves, and
// whether a region's alarms allow the next wave.
//
//	go run ./scripts/delivery waves [-config f]
//	go run ./scripts/delivery check [-config f] -stage prod -region eu-west-2 [-bake 15m]
//
// waves prints first, canary and rest as JSON lists of regions, one
// name=value line each, for $GITHUB_OUTPUT: the edge and the primary region,
// the canary, and the remaining regions of every configured wave (the
// workflow deploys those in parallel; the pipeline keeps the waves apart).
//
// check waits for the bake time, then runs alarms.CheckCommand for the
// region with the AWS CLI: it exits 1, naming them, when any of the stage's
// alarms in the region is in ALARM (idle "nothing flowing" alarms aside).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/stacks"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: delivery waves|check [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	configPath := fs.String("config", "", "configuration file (default: the embedded default)")
	stage := fs.String("stage", "", "stage whose alarms to check (check)")
	region := fs.String("region", "", "region whose alarms to check (check)")
	bake := fs.Duration("bake", -1, "wait before checking (check; default pipeline.bakeMinutes)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	c, err := config.Load(*configPath, *stage)
	if err != nil {
		return err
	}
	if err := stacks.Validate(c); err != nil {
		return err
	}
	switch args[0] {
	case "waves":
		return printWaves(stdout, c)
	case "check":
		if *region == "" {
			return fmt.Errorf("check: -region is required")
		}
		wait := *bake
		if wait < 0 {
			wait = time.Duration(c.Pipeline.EffectiveBakeMinutes()) * time.Minute
		}
		fmt.Fprintf(stdout, "Baking %s before checking the alarms of %s in %s\n", wait, c.Prefix(), *region)
		time.Sleep(wait)
		cmd := exec.Command("bash", "-c", alarms.CheckCommand(c.Prefix(), *region, ""))
		cmd.Stdout, cmd.Stderr = stdout, os.Stderr
		return cmd.Run()
	}
	return fmt.Errorf("unknown command %q: want waves or check", args[0])
}

func printWaves(w io.Writer, c *config.Config) error {
	out := map[string][]string{"first": {}, "canary": {}, "rest": {}}
	for _, w := range c.Waves() {
		switch w.Name {
		case "first", "canary":
			out[w.Name] = w.Regions
		default:
			out["rest"] = append(out["rest"], w.Regions...)
		}
	}
	for _, k := range []string{"first", "canary", "rest"} {
		b, err := json.Marshal(out[k])
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s=%s\n", k, b)
	}
	return nil
}
