// Command benchtest times each step of `make test` run alone (warm: after
// `make build` and the .venv are in place), then the whole `make test`, and
// prints a table of wall and CPU time (user + system of every process the
// step started: this program is their subreaper, so that processes whose
// parent exited without waiting, such as the jsii kernel's node processes,
// are counted too). The synth-gates step is split into its synths and
// its gates; the gates read the synths' output, so the synths run first.
// `make bench-test` runs it.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

var (
	runs  = flag.Int("runs", 1, "runs per step (the median is reported)")
	only  = flag.String("only", "", "comma-separated step names to time (empty: all)")
	whole = flag.Bool("whole", true, "also time the whole `make test`")
)

type step struct {
	name string
	args []string // make arguments
}

const gateDirs = "GATE_DIRS=cdk.out cdk.out.five"

var steps = []step{
	{"lint", []string{"lint"}},
	{"go-test", []string{"go-test"}},
	{"synth default", []string{"synth"}},
	{"synth five regions", []string{"synth", "OUT=cdk.out.five", "CONFIG=config/testdata/five-regions.json", "STAGE=prod"}},
	{"cfn-lint (2 assemblies)", []string{"cfn-lint", gateDirs}},
	{"checkov (2 assemblies and the workflows)", []string{"checkov", gateDirs}},
	{"gates-selftest", []string{"gates-selftest"}},
	{"e2e", []string{"e2e"}},
}

type result struct{ wall, cpu time.Duration }

func main() {
	flag.Parse()
	// PR_SET_CHILD_SUBREAPER: orphaned descendants become our children.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, 36, 1, 0); errno != 0 {
		fmt.Fprintln(os.Stderr, "prctl(PR_SET_CHILD_SUBREAPER):", errno)
	}
	selected := strings.FieldsFunc(*only, func(r rune) bool { return r == ',' })
	fmt.Println("| step | wall | CPU |")
	fmt.Println("|---|---|---|")
	var sumWall, sumCPU time.Duration
	for _, s := range steps {
		if len(selected) > 0 && !slices.Contains(selected, s.name) {
			continue
		}
		r := measure(s.args)
		sumWall, sumCPU = sumWall+r.wall, sumCPU+r.cpu
		fmt.Printf("| %s | %.1f s | %.1f s |\n", s.name, r.wall.Seconds(), r.cpu.Seconds())
	}
	fmt.Printf("| sum of the steps | %.1f s | %.1f s |\n", sumWall.Seconds(), sumCPU.Seconds())
	if *whole && len(selected) == 0 {
		r := measure([]string{"test"})
		fmt.Printf("| `make test` (-j3) | %.1f s | %.1f s |\n", r.wall.Seconds(), r.cpu.Seconds())
	}
}

// measure runs make with args *runs times and returns the median wall time
// and the CPU time of that run: the growth of RUSAGE_CHILDREN once every
// descendant, orphaned ones included, has been reaped.
func measure(args []string) result {
	var rs []result
	for range *runs {
		cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
		// The sub-make must not inherit this make's job server or flags.
		cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MFLAGS=", "MAKELEVEL=")
		out, err := os.CreateTemp("", "bench-test-*.log")
		must(err)
		cmd.Stdout, cmd.Stderr = out, out
		before := childrenCPU()
		start := time.Now()
		err = cmd.Run()
		wall := time.Since(start)
		reapAll()
		cpu := childrenCPU() - before
		out.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "make %s failed (%v); output in %s\n", strings.Join(args, " "), err, out.Name())
			os.Exit(1)
		}
		os.Remove(out.Name())
		rs = append(rs, result{wall, cpu})
	}
	slices.SortFunc(rs, func(a, b result) int { return cmp.Compare(a.wall, b.wall) })
	return rs[len(rs)/2]
}

// reapAll waits for every remaining descendant (reparented to this process).
func reapAll() {
	for {
		if _, err := syscall.Wait4(-1, nil, 0, nil); err != nil && err != syscall.EINTR {
			return // ECHILD: none left
		}
	}
}

func childrenCPU() time.Duration {
	var ru syscall.Rusage
	must(syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
