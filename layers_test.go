package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/brokerage/platform"

// layer rules: which project packages a package may import, by directory
// prefix. docs/architecture.md explains each; the first matching rule
// (longest prefix first) applies. A package not listed may import anything
// but main.
var layers = []struct {
	dir     string
	allowed []string
}{
	// Leaves: the shared vocabulary every layer may use; they import nothing
	// of the project, so nothing can cycle through them.
	{"problems", nil},
	{"regions", nil},
	{"valid", nil},
	{"internal/cfn", nil},
	{"internal/faultproxy", nil},
	{"internal/metricmath", nil},
	{"internal/keys", nil},
	{"internal/waf", nil},
	{"internal/suppress", nil},
	// The Lambda function's code is its own program: it shares nothing
	// with the app that deploys it.
	{"lambda", []string{"lambda"}},
	{"config", []string{"problems", "regions", "valid"}},
	// Test helpers for configurations, shared by the test packages.
	{"config/configtest", []string{"config"}},
	{"awsrules", []string{"internal/cfn", "problems", "regions", "valid"}},
	// Constructs know their props, never the configuration, the stacks or
	// the AWS account-wide rules (which see the whole app).
	{"constructs", []string{"awsrules", "constructs", "internal/cfn", "internal/domain", "internal/guard", "internal/keys", "internal/suppress", "internal/waf", "problems", "regions", "valid"}},
	// The "nothing lost" rules read synthesized templates, and the alarm
	// catalogue for the coverage they check.
	{"internal/guard", []string{"constructs/alarms", "internal/cfn", "regions"}},
	{"internal/diagram", []string{"internal/cfn"}},
	// A custom domain's rule and certificate, for the gateway and the site.
	{"internal/domain", []string{"problems", "valid"}},
	// Test helpers for templates, shared by the test packages.
	{"internal/cfn/cfntest", []string{"internal/cfn", "problems"}},
	{"stacks", []string{"awsrules", "config", "constructs", "internal/guard", "problems", "regions", "valid"}},
}

// allowedImports returns the rule for a package directory, or nil, false
// when the package is not layered.
func allowedImports(dir string) ([]string, bool) {
	best, found := -1, false
	var allowed []string
	for _, l := range layers {
		if (dir == l.dir || strings.HasPrefix(dir, l.dir+"/")) && len(l.dir) > best {
			best, allowed, found = len(l.dir), l.allowed, true
		}
	}
	return allowed, found
}

// layerViolation says why dir may not import imp ("" when it may).
func layerViolation(dir, imp string) string {
	rel, ok := strings.CutPrefix(imp, module+"/")
	if !ok {
		if imp == module {
			return "nothing imports the app's main package"
		}
		return ""
	}
	if strings.HasPrefix(rel, "scripts/") || strings.HasPrefix(rel, "test/") || strings.HasPrefix(rel, "e2e") {
		return "commands and tests are not libraries"
	}
	allowed, layered := allowedImports(dir)
	if !layered {
		return ""
	}
	for _, a := range allowed {
		if rel == a || strings.HasPrefix(rel, a+"/") {
			return ""
		}
	}
	if len(allowed) == 0 {
		return "its layer is a leaf: it imports nothing of the project"
	}
	return "its layer may import only " + strings.Join(allowed, ", ")
}

// TestLayerRule checks the rule itself with a compliant and a violating
// import for each kind of layer, so that a typo in the table cannot make the
// tree test pass vacuously.
func TestLayerRule(t *testing.T) {
	for _, c := range []struct {
		dir, imp string
		ok       bool
	}{
		{"stacks", module + "/constructs/fanout", true},
		{"constructs/fanout", module + "/internal/keys", true},
		{"constructs/fanout", module + "/stacks", false},
		{"constructs/alarms", module + "/config", false},
		{"config", module + "/valid", true},
		{"config", module + "/constructs/alarms", false},
		{"awsrules", module + "/internal/cfn", true},
		{"awsrules", module + "/stacks", false},
		{"problems", module + "/valid", false},
		{"lambda/redistributor", module + "/lambda/redistributor/redistribute", true},
		{"lambda/redistributor", module + "/config", false},
		{"internal/docgen", module + "/config", true},
		{"stacks", module + "/scripts/delivery", false},
		{"stacks", "github.com/aws/aws-cdk-go/awscdk/v2", true},
	} {
		if got := layerViolation(c.dir, c.imp) == ""; got != c.ok {
			t.Errorf("%s importing %s: allowed = %v, want %v", c.dir, c.imp, got, c.ok)
		}
	}
}

// readsEnvironment says whether a library file reads the CDK context or the
// environment, which only the commands (package main, and scripts/,
// lambda/) may: everything below main takes typed props.
func readsEnvironment(dir, path string) string {
	if dir == "." || strings.HasPrefix(dir, "scripts/") || strings.HasPrefix(dir, "lambda/") || strings.HasPrefix(dir, "test/") {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	for _, call := range []string{"TryGetContext(", "GetContext(", "os.Getenv(", "os.LookupEnv(", "os.Environ("} {
		if strings.Contains(string(b), call) {
			return "calls " + strings.TrimSuffix(call, "(") + ": only main.go reads context and the environment; pass typed props down"
		}
	}
	return ""
}

// TestImportsFollowLayers reads every non-test Go file of the module and
// checks its project imports against the layer table.
func TestImportsFollowLayers(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), "cdk.out")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if why := readsEnvironment(dir, path); why != "" && f.Name.Name != "main" {
			t.Errorf("%s %s", path, why)
		}
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			if why := layerViolation(dir, imp); why != "" {
				t.Errorf("%s imports %s: %s (docs/architecture.md)", path, imp, why)
			}
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Errorf("checked %d Go files, want the whole module (at least 50)", checked)
	}
	for _, l := range layers {
		if !dirExists(l.dir) {
			t.Errorf("layer table names %s, which holds no Go package", l.dir)
		}
	}
}

// dirExists reports whether dir or a directory below it holds Go files.

func dirExists(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	sub, _ := filepath.Glob(filepath.Join(dir, "*", "*.go"))
	return len(matches)+len(sub) > 0
}

// TestConstructExamplesUseOnlyExportedPackages reads the constructs'
// examples, which go doc shows as their usage: another module must be able
// to copy them, so they import no internal package of this one.
func TestConstructExamplesUseOnlyExportedPackages(t *testing.T) {
	examples, _ := filepath.Glob("constructs/*/example_test.go")
	if len(examples) < 4 {
		t.Fatalf("found %d construct examples (%v), want one per construct", len(examples), examples)
	}
	fset := token.NewFileSet()
	for _, path := range examples {
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range f.Imports {
			if imp, _ := strconv.Unquote(spec.Path.Value); strings.HasPrefix(imp, module+"/internal/") {
				t.Errorf("%s imports %s, which another module cannot: show the usage with exported packages only", path, imp)
			}
		}
	}
}
