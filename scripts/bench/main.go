// Command bench measures synthesis of the app: wall time and peak memory
// with aws-cdk-lib's built-in validation on and off (median of several warm
// runs), jsii round trips per synthesized resource (counted from the jsii
// runtime's debug log, JSII_DEBUG=1: one "> " request line per round trip),
// each stack's size against the CloudFormation limits, and how synthesis
// grows with the number of regions. For the default app it also times the
// CLI path (`npx cdk synth -q`, which runs scripts/app: the launcher's
// up-to-date check, then the app) and splits the app process into its phases
// (PLATFORM_PHASES=1: kernel start, construct, synth, validation, the
// assembly checks). `make bench` runs it after `make build`.
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// CloudFormation limits per template.
const (
	maxResources  = 500
	maxBytes      = 1_000_000
	maxOutputs    = 200
	maxParameters = 200
)

var (
	runs    = flag.Int("runs", 3, "runs per measurement (the median is reported)")
	app     = flag.String("app", "build/app", "the compiled app")
	configs = flag.String("configs", "default=,scale-25x4=config/scale-25x4.json", "name=config pairs to measure (empty config: the embedded default)")
	cli     = flag.Bool("cli", true, "time the CLI path and the app's phases for the default app")
	growth  = flag.String("growth", "config/scale-25x4.json", "config whose first 3, 6, 12 and 25 regions make the growth table (empty: skip)")
)

func main() {
	flag.Parse()
	flags := cdkContext()
	if *cli {
		cliPath()
		appPhases(withConfig(flags, ""))
	}
	for _, pair := range strings.Split(*configs, ",") {
		name, cfg, _ := strings.Cut(pair, "=")
		fmt.Printf("\n## %s\n\n", name)
		ctx := withConfig(flags, cfg)
		fmt.Println("| validation | wall (median) | peak RSS of the process tree (median) |")
		fmt.Println("|---|---|---|")
		var out string
		for _, validation := range []bool{true, false} {
			var walls []time.Duration
			var rss []int64
			for range *runs {
				d, kb, dir := synth(ctx, validation, false)
				walls, rss, out = append(walls, d), append(rss, kb), dir
			}
			fmt.Printf("| %s | %.1f s | %d MB |\n", onOff(validation), median(walls).Seconds(), median(rss)/1024)
		}
		_, _, dbg := synth(ctx, false, true)
		trips := countRoundTrips(dbg)
		stacks, total := readStacks(out)
		fmt.Printf("\njsii round trips: %d for %d synthesized resources = %.2f per resource\n\n", trips, total, float64(trips)/float64(total))
		fmt.Println("| stack | resources | template | outputs | parameters | highest share of a limit |")
		fmt.Println("|---|---|---|---|---|---|")
		for _, s := range stacks {
			share := max(float64(s.resources)/maxResources, float64(s.bytes)/maxBytes, float64(s.outputs)/maxOutputs, float64(s.parameters)/maxParameters)
			fmt.Printf("| %s | %d (%.0f%%) | %d KB (%.0f%%) | %d | %d | %.0f%% |\n", s.name, s.resources, 100*float64(s.resources)/maxResources,
				s.bytes/1000, 100*float64(s.bytes)/maxBytes, s.outputs, s.parameters, 100*share)
		}
	}
	if *growth != "" {
		fmt.Printf("\n## Growth (validation off, median of %d)\n\n| regions | stacks | resources | wall |\n|---|---|---|---|\n", *runs)
		for _, n := range []int{3, 6, 12, 25} {
			cfg := firstRegions(*growth, n)
			ctx := withConfig(flags, cfg)
			var walls []time.Duration
			var dir string
			for range *runs {
				var d time.Duration
				d, _, dir = synth(ctx, false, false)
				walls = append(walls, d)
			}
			stacks, total := readStacks(dir)
			fmt.Printf("| %d | %d | %d | %.1f s |\n", n, len(stacks), total, median(walls).Seconds())
		}
	}
}

// cliPath times what an engineer waits for: the launcher's up-to-date check
// alone, and `npx cdk synth -q` of the default app with validation on and off.
func cliPath() {
	fmt.Printf("\n## CLI path (default app, median of %d)\n\n| | wall |\n|---|---|\n", *runs)
	var checks []time.Duration
	for range *runs {
		start := time.Now()
		cmd := exec.Command("scripts/app", "build")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		must(cmd.Run())
		checks = append(checks, time.Since(start))
	}
	fmt.Printf("| launcher up-to-date check (`scripts/app build`, nothing changed) | %.0f ms |\n", float64(median(checks).Microseconds())/1000)
	for _, validation := range []bool{true, false} {
		var walls []time.Duration
		for range *runs {
			dir, err := os.MkdirTemp("", "bench-cli")
			must(err)
			cmd := exec.Command("npx", "--no-install", "cdk", "--no-notices", "synth", "-q", "--output", dir)
			cmd.Env = append(os.Environ(), fmt.Sprintf("CDK_VALIDATION=%t", validation))
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			start := time.Now()
			must(cmd.Run())
			walls = append(walls, time.Since(start))
			os.RemoveAll(dir)
		}
		fmt.Printf("| `npx cdk synth -q`, validation %s | %.2f s |\n", onOff(validation), median(walls).Seconds())
	}
}

// appPhases runs the app with PLATFORM_PHASES=1, validation on and off, and
// splits its wall time into the phases it reports. Validation is the synth
// phase with validation on less the synth phase with it off.
func appPhases(ctx string) {
	med := map[bool]map[string]float64{}
	for _, validation := range []bool{true, false} {
		samples := map[string][]float64{}
		for range *runs {
			dir, err := os.MkdirTemp("", "bench-phases")
			must(err)
			cmd := exec.Command(*app)
			cmd.Env = append(os.Environ(), "PLATFORM_PHASES=1", "CDK_CONTEXT_JSON="+ctx, "CDK_OUTDIR="+dir, fmt.Sprintf("CDK_VALIDATION=%t", validation))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			start := time.Now()
			must(cmd.Run())
			samples["wall"] = append(samples["wall"], time.Since(start).Seconds())
			os.RemoveAll(dir)
			for _, line := range strings.Split(stderr.String(), "\n") {
				var name string
				var secs float64
				if n, _ := fmt.Sscanf(line, "phase %s %f", &name, &secs); n == 2 {
					samples[name] = append(samples[name], secs)
				}
			}
		}
		med[validation] = map[string]float64{}
		for k, v := range samples {
			med[validation][k] = median(v)
		}
	}
	on, off := med[true], med[false]
	fmt.Printf("\n## App process phases (default app, PLATFORM_PHASES=1, median of %d)\n\n", *runs)
	fmt.Println("| phase | validation on | validation off |")
	fmt.Println("|---|---|---|")
	row := func(name string, a, b float64) { fmt.Printf("| %s | %.2f s | %.2f s |\n", name, a, b) }
	row("context and configuration (read, validated; Go only)", on["config"], off["config"])
	row("kernel start (awscdk.NewApp: node, the jsii libraries loaded)", on["kernel"], off["kernel"])
	row("construct (config, stacks, constructs)", on["construct"], off["construct"])
	row("synth without validation (app.Synth)", off["synth"], off["synth"])
	row("built-in validation (synth on less synth off)", on["synth"]-off["synth"], 0)
	row("assembly checks (awsrules)", on["checks"], off["checks"])
	rest := func(m map[string]float64) float64 {
		return m["wall"] - m["config"] - m["kernel"] - m["construct"] - m["synth"] - m["checks"]
	}
	row("the rest (process start, moving the output, kernel exit)", rest(on), rest(off))
	row("app process wall", on["wall"], off["wall"])
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// cdkContext is cdk.json's context, which the CLI would pass to the app.
func cdkContext() map[string]any {
	b, err := os.ReadFile("cdk.json")
	must(err)
	var f struct {
		Context map[string]any `json:"context"`
	}
	must(json.Unmarshal(b, &f))
	return f.Context
}

// withConfig is the context JSON of flags with config set to cfg (none: the
// embedded default).
func withConfig(flags map[string]any, cfg string) string {
	ctx := maps.Clone(flags)
	if cfg != "" {
		ctx["config"] = cfg
	}
	b, _ := json.Marshal(ctx)
	return string(b)
}

// synth runs the app once, as the CLI does, into a fresh directory, and
// returns its wall time and the peak RSS (KB) of its whole process tree (the
// Go app and the jsii kernel's node processes), sampled every 50 ms. With
// debug it returns the jsii debug log's path instead of the output directory.
func synth(ctx string, validation, debug bool) (time.Duration, int64, string) {
	dir, err := os.MkdirTemp("", "bench-out")
	must(err)
	cmd := exec.Command(*app)
	cmd.Env = append(os.Environ(), "CDK_CONTEXT_JSON="+ctx, "CDK_OUTDIR="+dir, fmt.Sprintf("CDK_VALIDATION=%t", validation))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	out := dir
	if debug {
		out = filepath.Join(dir, "jsii-debug.log")
		f, err := os.Create(out)
		must(err)
		defer f.Close()
		cmd.Env = append(cmd.Env, "JSII_DEBUG=1")
		cmd.Stderr = f
	}
	start := time.Now()
	must(cmd.Start())
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	var peak int64
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				fmt.Fprintf(os.Stderr, "synth failed: %v\n", err)
				os.Exit(1)
			}
			return time.Since(start), peak, out
		case <-tick.C:
			peak = max(peak, treeRSS(cmd.Process.Pid))
		}
	}
}

// treeRSS sums the resident memory (KB) of pid and all its descendants.
func treeRSS(root int) int64 {
	parent := map[int]int{}
	rss := map[int]int64{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		var pid int
		if _, err := fmt.Sscan(d.Name(), &pid); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command (which may hold spaces) start after ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 22 {
			continue
		}
		var ppid int
		var pages int64
		fmt.Sscan(f[1], &ppid)
		fmt.Sscan(f[21], &pages)
		parent[pid], rss[pid] = ppid, pages*int64(os.Getpagesize())/1024
	}
	var total int64
	for pid, kb := range rss {
		for p := pid; p != 0; p = parent[p] {
			if p == root {
				total += kb
				break
			}
			if _, ok := parent[p]; !ok {
				break
			}
		}
	}
	return total
}

// countRoundTrips counts the request lines ("> ...") of a jsii debug log.
func countRoundTrips(path string) int {
	b, err := os.ReadFile(path)
	must(err)
	n := bytes.Count(b, []byte("\n> "))
	if bytes.HasPrefix(b, []byte("> ")) {
		n++
	}
	return n
}

type stack struct {
	name                                  string
	resources, bytes, outputs, parameters int
}

// readStacks reads the templates in dir, the largest first, and counts
// their resources.
func readStacks(dir string) (out []stack, resources int) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.template.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(err)
		var t struct {
			Resources, Outputs, Parameters map[string]any
		}
		must(json.Unmarshal(b, &t))
		out = append(out, stack{strings.TrimSuffix(filepath.Base(f), ".template.json"), len(t.Resources), len(b), len(t.Outputs), len(t.Parameters)})
		resources += len(t.Resources)
	}
	slices.SortFunc(out, func(a, b stack) int {
		return cmp.Or(cmp.Compare(b.resources, a.resources), strings.Compare(a.name, b.name))
	})
	return out, resources
}

// firstRegions writes a copy of the config with only its first n regions.
func firstRegions(path string, n int) string {
	b, err := os.ReadFile(path)
	must(err)
	var c map[string]any
	must(json.Unmarshal(b, &c))
	regions := c["regions"].([]any)
	c["regions"] = regions[:n]
	f, err := os.CreateTemp("", fmt.Sprintf("regions-%d-*.json", n))
	must(err)
	must(json.NewEncoder(f).Encode(c))
	f.Close()
	return f.Name()
}

func median[T cmp.Ordered](v []T) T {
	slices.Sort(v)
	return v[len(v)/2]
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
