// Command docgen writes the generated reference documents (make docs).
package main

import (
	"fmt"
	"os"

	"github.com/brokerage/platform/internal/docgen"
)

func main() {
	files, err := docgen.Files(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("wrote", path)
	}
}
