// Command docgen writes the generated reference documents (make docs).
//
// The configuration's schema comes first: the loader embeds it, so a new
// field reaches the reference (which loads default.json) only in a build
// that embeds the new schema. `docgen -schema` writes the schema alone;
// make docs runs it before the rest.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/brokerage/platform/internal/docgen"
)

func main() {
	schemaOnly := flag.Bool("schema", false, "write config/schema.json only")
	flag.Parse()
	files := map[string]string{}
	var err error
	if *schemaOnly {
		files["config/schema.json"], err = docgen.Schema("config")
	} else {
		files, err = docgen.Files(".")
	}
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
