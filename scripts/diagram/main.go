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
	a, err := cfn.ReadAssembly("cdk.out")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v (run make synth first)\n", err)
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
