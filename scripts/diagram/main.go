// Command diagram writes docs/diagrams/*.dot from the synthesized cloud
// assembly in cdk.out (make synth first); make diagram renders them to SVG.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/diagram"
)

func main() {
	a, err := readAssembly("cdk.out")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, dot := range diagram.Files(a) {
		path := filepath.Join("docs", "diagrams", name)
		if err := os.WriteFile(path, []byte(dot), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("wrote", path)
	}
}

// readAssembly reads the stacks, their templates and dependencies from a
// cloud assembly directory's manifest, in the manifest's order.
func readAssembly(dir string) (*cfn.Assembly, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("%w (run make synth first)", err)
	}
	var m struct {
		Artifacts map[string]struct {
			Type         string   `json:"type"`
			Dependencies []string `json:"dependencies"`
			Properties   struct {
				TemplateFile string `json:"templateFile"`
			} `json:"properties"`
			DisplayName string `json:"displayName"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	a := &cfn.Assembly{Templates: map[string]cfn.Template{}, DependsOn: map[string][]string{}}
	// The manifest is a JSON object: order the stacks as the CLI lists them,
	// dependencies first, ties by name.
	var names []string
	for name, art := range m.Artifacts {
		if art.Type != "aws:cloudformation:stack" {
			continue
		}
		names = append(names, name)
		tb, err := os.ReadFile(filepath.Join(dir, art.Properties.TemplateFile))
		if err != nil {
			return nil, err
		}
		var t cfn.Template
		if err := json.Unmarshal(tb, &t); err != nil {
			return nil, err
		}
		a.Templates[name] = t
		for _, d := range art.Dependencies {
			if !strings.HasSuffix(d, ".assets") {
				a.DependsOn[name] = append(a.DependsOn[name], d)
			}
		}
	}
	a.Order = cfn.DependencyOrder(names, a.DependsOn)
	return a, nil
}
