// Command delivery is what the CI workflow asks the app's configuration when
// it deploys region by region (.github/workflows/deploy.yml): the waves, and
// whether a region's alarms allow the next wave.
//
//	go run ./scripts/delivery waves [-config f] [-max-waves n]
//	go run ./scripts/delivery check [-config f] -stage prod -region eu-west-2 [-bake 15m]
//
// waves prints the plan, one name=value line each, for $GITHUB_OUTPUT: waves,
// the configuration's waves in deployment order (config.Waves) as a JSON
// list of {"name", "regions"}, and count, their number. With -max-waves it
// fails, naming the limit, when there are more waves than that (the wave
// jobs the workflow has).
//
// check waits for the bake time, then runs alarms.CheckCommand for the
// region with the AWS CLI: it exits 1, naming them, when any of the stage's
// alarms in the region is in ALARM (idle alarms included: outside their sessions their
// metric math holds them OK).
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
	maxWaves := fs.Int("max-waves", 0, "fail when the plan has more waves than this (waves; default no limit)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	c, err := stacks.Load(*configPath, *stage, time.Now())
	if err != nil {
		return err
	}
	switch args[0] {
	case "waves":
		return printWaves(stdout, c, *maxWaves)
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

// printWaves prints the plan (see the package doc). It refuses a plan of
// more than maxWaves waves (0: no limit) rather than leave regions undeployed.
func printWaves(w io.Writer, c *config.Config, maxWaves int) error {
	waves := c.Waves()
	if maxWaves > 0 && len(waves) > maxWaves {
		return fmt.Errorf("waves: the configuration has %d waves, the workflow deploys at most %d: add wave jobs to .github/workflows/deploy.yml (and raise its -max-waves), or configure fewer pipeline.waves", len(waves), maxWaves)
	}
	b, err := json.Marshal(waves)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "waves=%s\ncount=%d\n", b, len(waves))
	return err
}
