package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/regions"
	"github.com/brokerage/platform/valid"
)

// Pipeline configures how the deploy workflow (.github/workflows/deploy.yml)
// delivers the platform: the stages it deploys, and in each stage the order
// of the regions, in waves, with an alarm check after each wave.
type Pipeline struct {
	// Stages the workflow deploys, in order, each with this configuration,
	// its stage name and its account; api.accountSettingsOwners defaults
	// from them. Default: one stage, stage in account.
	Stages []PipelineStage `json:"stages,omitempty"`
	// CanaryRegion is deployed alone after the edge (us-east-1) and the
	// primary region, and watched before the other regions follow. One of
	// regions, neither the primary region nor us-east-1. Default: the first
	// such region in regions.
	CanaryRegion string `json:"canaryRegion,omitempty"`
	// Waves split the regions after the canary into waves deployed one after
	// the other, each wave's regions in parallel. Together they list every
	// remaining region exactly once, in at most MaxWaves waves with the two
	// before them. Default: one wave of all of them.
	Waves [][]string `json:"waves,omitempty"`
	// BakeMinutes is how long each wave is watched before its alarm check:
	// long enough for a broken deployment to breach its alarms. 0 to 180.
	// Default 15.
	BakeMinutes *int `json:"bakeMinutes,omitempty"`
}

// PipelineStage is one stage the pipeline deploys.
type PipelineStage struct {
	// Name is one of Stages.
	Name string `json:"name"`
	// Account is the 12-digit account the stage deploys to. Default: account.
	Account string `json:"account,omitempty"`
}

// Wave is a set of regions the pipeline deploys in parallel. Its JSON form
// is what the deploy workflow reads (scripts/delivery waves).
type Wave struct {
	// Name is "first", "canary" or "wave-N".
	Name string `json:"name"`
	// Regions in configuration order; us-east-1 stands for the edge stack.
	Regions []string `json:"regions"`
}

// DefaultBakeMinutes is how long a wave is watched when bakeMinutes is unset.
const DefaultBakeMinutes = 15

// MaxWaves is how many waves the deploy workflow runs: its chain of wave
// jobs (.github/workflows/deploy.yml, checked by test/workflow).
const MaxWaves = 8

// EffectiveBakeMinutes is how long each wave is watched.
func (p Pipeline) EffectiveBakeMinutes() int {
	if p.BakeMinutes == nil {
		return DefaultBakeMinutes
	}
	return *p.BakeMinutes
}

// PipelineStages are the stages the pipeline deploys, in order, with their
// accounts filled in.
func (c *Config) PipelineStages() []PipelineStage {
	if len(c.Pipeline.Stages) == 0 {
		return []PipelineStage{{Name: c.Stage, Account: c.Account}}
	}
	out := make([]PipelineStage, len(c.Pipeline.Stages))
	for i, s := range c.Pipeline.Stages {
		if s.Account == "" {
			s.Account = c.Account
		}
		out[i] = s
	}
	return out
}

// Waves is the order in which a change reaches the regions: first the edge
// (us-east-1) and the primary region, then the canary alone, then the
// remaining regions in the configured waves. Call it on a valid configuration.
func (c *Config) Waves() []Wave {
	waves := []Wave{{Name: "first", Regions: slices.Compact(c.firstRegions())}}
	canary := c.canary()
	if canary == "" {
		return waves
	}
	waves = append(waves, Wave{Name: "canary", Regions: []string{canary}})
	rest := c.Pipeline.Waves
	if len(rest) == 0 {
		if all := c.afterCanary(); len(all) > 0 {
			rest = [][]string{all}
		}
	}
	for i, w := range rest {
		waves = append(waves, Wave{Name: fmt.Sprintf("wave-%d", i+1), Regions: w})
	}
	return waves
}

// canary is the configured canary region, or the first region deployed in
// neither the first wave nor later; "" when there is none.
func (c *Config) canary() string {
	if c.Pipeline.CanaryRegion != "" {
		return c.Pipeline.CanaryRegion
	}
	for _, r := range c.RegionNames() {
		if !slices.Contains(c.firstRegions(), r) {
			return r
		}
	}
	return ""
}

// afterCanary are the regions, in configuration order, that deploy after
// the first wave and the canary.
func (c *Config) afterCanary() []string {
	canary := c.canary()
	return slices.DeleteFunc(c.RegionNames(), func(r string) bool { return r == canary || slices.Contains(c.firstRegions(), r) })
}

func (c *Config) validatePipeline(l *problems.List) {
	p := c.Pipeline
	if p.BakeMinutes != nil && (*p.BakeMinutes < 0 || *p.BakeMinutes > 180) {
		l.Add("pipeline.bakeMinutes", *p.BakeMinutes, "0 to 180 minutes, or unset for 15")
	}
	stages := map[string]bool{}
	for i, s := range p.Stages {
		f := fmt.Sprintf("pipeline.stages[%d]", i)
		l.Distinct(stages, f+".name", s.Name, slices.Contains(Stages, s.Name),
			"one of "+strings.Join(Stages, ", "),
			"each stage listed once")
		if s.Account != "" && !valid.AccountID(s.Account) {
			l.Add(f+".account", s.Account, "a 12-digit AWS account id, or unset for account")
		}
	}
	if p.CanaryRegion != "" {
		if want := c.notAfterFirst(p.CanaryRegion); want != "" {
			l.Add("pipeline.canaryRegion", p.CanaryRegion, want)
		}
	}
	if len(p.Waves) > 0 {
		c.validateWaves(l)
	}
}

// firstRegions deploy before the canary and the waves: the edge region and
// the primary region.
func (c *Config) firstRegions() []string { return []string{regions.Edge, c.PrimaryRegion} }

// notAfterFirst says why region r, the canary or in a wave, cannot deploy
// after the first wave; "" when it can.
func (c *Config) notAfterFirst(r string) string {
	switch configured := c.RegionNames(); {
	case !slices.Contains(configured, r):
		return "one of the regions listed in regions (" + strings.Join(configured, ", ") + ")"
	case slices.Contains(c.firstRegions(), r):
		return "a region other than the primary region and " + regions.Edge + ", which deploy first"
	}
	return ""
}

// validateWaves checks that the waves hold every region after the canary
// once.
func (c *Config) validateWaves(l *problems.List) {
	canary := c.canary()
	placed := map[string]bool{}
	for i, w := range c.Pipeline.Waves {
		if len(w) == 0 {
			l.Add(fmt.Sprintf("pipeline.waves[%d]", i), "[]", "at least one region")
		}
		for j, r := range w {
			f := fmt.Sprintf("pipeline.waves[%d][%d]", i, j)
			switch want := c.notAfterFirst(r); {
			case want != "":
				l.Add(f, r, want)
			case r == canary:
				l.Add(f, r, "a region other than the canary region, which deploys alone before the waves")
			case placed[r]:
				l.Add(f, r, "each region in one wave only")
			}
			placed[r] = true
		}
	}
	if missing := slices.DeleteFunc(c.afterCanary(), func(r string) bool { return placed[r] }); len(missing) > 0 {
		l.Add("pipeline.waves", strings.Join(missing, ", "), "every region after the canary in one wave: add the missing ones, or leave waves unset for one wave of all")
	}
	// The first wave and the canary come before the configured ones.
	if n := len(c.Pipeline.Waves) + 2; n > MaxWaves {
		l.Add("pipeline.waves", fmt.Sprintf("%d waves", len(c.Pipeline.Waves)), fmt.Sprintf("at most %d waves: with the first wave and the canary the plan has %d, and the deploy workflow runs %d wave jobs", MaxWaves-2, n, MaxWaves))
	}
}
