package docgen

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The committed documents must be what the code generates: run `make docs`.
func TestDocsAreCurrent(t *testing.T) {
	files, err := Files("../..")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		got, err := os.ReadFile(filepath.Join("../..", path))
		if err != nil {
			t.Errorf("%s: %v (run make docs)", path, err)
			continue
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("%s is out of date; run make docs (-generated +committed):\n%s", path, diff)
		}
	}
}

// Every field of the configuration has a description in the schema (its
// doc comment): editors show it, and a new field without one fails here.
func TestEveryConfigurationFieldIsDocumented(t *testing.T) {
	s, err := Schema("../../config")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(s), &schema); err != nil {
		t.Fatal(err)
	}
	var walk func(node map[string]any, path string)
	walk = func(node map[string]any, path string) {
		props, _ := node["properties"].(map[string]any)
		for name, v := range props {
			p, field := path+"."+name, v.(map[string]any)
			if d, _ := field["description"].(string); d == "" {
				t.Errorf("configuration field %s has no doc comment", strings.TrimPrefix(p, "."))
			}
			walk(field, p)
			if items, ok := field["items"].(map[string]any); ok {
				walk(items, p+"[]")
			}
			if values, ok := field["additionalProperties"].(map[string]any); ok {
				walk(values, p+"{}")
			}
		}
	}
	walk(schema, "")
}
