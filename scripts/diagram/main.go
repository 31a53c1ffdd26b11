// Command diagram writes docs/diagrams/*.dot from the synthesized cloud
// assembly in cdk.out (make synth first); make diagram renders them to SVG.
package main

import (
	"fmt"
	"os"
	"path/filepath"

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

// readAssembly reads the stacks, their regions, templates and dependencies
// from a cloud assembly directory's manifest, in the manifest's order.
func readAssembly(dir string) (*cfn.Assembly, error) {
	m, err := cfn.ReadAssembly(dir)
	if err != nil {
		return nil, fmt.Errorf("%w (run make synth first)", err)
	}
	a := &cfn.Assembly{Templates: map[string]cfn.Template{}, DependsOn: map[string][]string{}, Regions: map[string]string{}}
	// The manifest is a JSON object: order the stacks as the CLI lists them,
	// dependencies first, ties by name.
	var names []string
	for _, s := range m.Stacks {
		names = append(names, s.ID)
		var t cfn.Template
		if err := s.ReadTemplate(&t); err != nil {
			return nil, err
		}
		a.Templates[s.ID] = t
		a.Regions[s.ID] = s.Region
		if len(s.DependsOn) > 0 {
			a.DependsOn[s.ID] = s.DependsOn
		}
	}
	a.Order = cfn.DependencyOrder(names, a.DependsOn)
	return a, nil
}
