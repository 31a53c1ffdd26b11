package cfn

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// CloudAssembly is what a cloud assembly's manifest (manifest.json) says.
type CloudAssembly struct {
	// Stacks in artifact ID order.
	Stacks []AssemblyStack
	// Warnings are the warning annotations, as "<path>: <message>", sorted.
	Warnings []string
}

// AssemblyStack is one stack artifact of a cloud assembly.
type AssemblyStack struct {
	// ID is the artifact ID; Name the stack name (the ID when the manifest
	// names none).
	ID, Name string
	// Account and Region are the stack's environment ("" when it has none).
	Account, Region string
	// TemplatePath is the template file's path.
	TemplatePath string
	// DependsOn are the artifact IDs of the stacks it depends on (asset
	// manifests left out).
	DependsOn []string
}

// ReadTemplate decodes the stack's template into v.
func (s AssemblyStack) ReadTemplate(v any) error {
	b, err := os.ReadFile(s.TemplatePath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", s.TemplatePath, err)
	}
	return nil
}

// manifest is the part of manifest.json the readers use.
type manifest struct {
	Artifacts map[string]struct {
		Type         string   `json:"type"`
		Environment  string   `json:"environment"`
		Dependencies []string `json:"dependencies"`
		Properties   struct {
			TemplateFile string `json:"templateFile"`
			StackName    string `json:"stackName"`
		} `json:"properties"`
		Metadata map[string][]struct {
			Type string `json:"type"`
			Data any    `json:"data"`
		} `json:"metadata"`
	} `json:"artifacts"`
}

// ReadAssembly reads the manifest of the cloud assembly in dir.
func ReadAssembly(dir string) (*CloudAssembly, error) {
	a := &CloudAssembly{}
	if err := a.read(dir); err != nil {
		return nil, err
	}
	sort.Strings(a.Warnings)
	return a, nil
}

func (a *CloudAssembly) read(dir string) error {
	path := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, id := range slices.Sorted(maps.Keys(m.Artifacts)) {
		art := m.Artifacts[id]
		for path, entries := range art.Metadata {
			for _, e := range entries {
				if e.Type == "aws:cdk:warning" {
					a.Warnings = append(a.Warnings, fmt.Sprintf("%s: %v", path, e.Data))
				}
			}
		}
		if art.Type == "aws:cloudformation:stack" {
			s := AssemblyStack{ID: id, Name: art.Properties.StackName, TemplatePath: filepath.Join(dir, art.Properties.TemplateFile)}
			if s.Name == "" {
				s.Name = id
			}
			s.Account, s.Region, _ = strings.Cut(strings.TrimPrefix(art.Environment, "aws://"), "/")
			// An environment-agnostic stack's environment names placeholders.
			if s.Account == "unknown-account" {
				s.Account = ""
			}
			if s.Region == "unknown-region" {
				s.Region = ""
			}
			for _, d := range art.Dependencies {
				// The asset manifests a stack also depends on are not stacks.
				if !strings.HasSuffix(d, ".assets") {
					s.DependsOn = append(s.DependsOn, d)
				}
			}
			a.Stacks = append(a.Stacks, s)
		}
	}
	return nil
}
