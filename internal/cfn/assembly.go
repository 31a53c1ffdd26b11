package cfn

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Assembly is a cloud assembly as its manifest (manifest.json) describes
// it, with every stack's template.
type Assembly struct {
	// Stacks in artifact ID order.
	Stacks []Stack
	// Warnings are the warning annotations, as "<path>: <message>", sorted.
	Warnings []string
}

// Stack is one synthesized stack.
type Stack struct {
	// ID is the artifact ID; Name the stack name (the ID when the manifest
	// names none).
	ID, Name string
	// Account and Region are the stack's environment ("" when it has none).
	Account, Region string
	// Template is the stack's template as decoded from TemplatePath.
	Template Template
	// TemplatePath is the template file's path.
	TemplatePath string
	// DependsOn are the artifact IDs of the stacks it depends on (asset
	// manifests left out).
	DependsOn []string
	// ConfigFields are the configuration entries constructs of the stack
	// were built from, by construct path ("/<stack>/Fanout/holdings"):
	// the ConfigFieldMetadata the composition stamped on them.
	ConfigFields map[string]ConfigField
	// Paths are the construct paths of the stack's resources, by logical
	// ID (the metadata's aws:cdk:logicalId entries).
	Paths map[string]string
}

// RegionOrName is the stack's region, from its environment; a stack
// without one stands alone, as a region of its own named after it.
func (s Stack) RegionOrName() string { return cmp.Or(s.Region, s.Name) }

// ConfigFieldMetadata is the type of the construct metadata that names the
// configuration entry a construct was built from; its data is a
// ConfigField. Checks over the assembly blame that entry for a problem of
// any resource under the construct.
const ConfigFieldMetadata = "platform:config-field"

// ConfigField is a configuration field and the value it holds, e.g.
// fanout.consumers[3].name and "holdings".
type ConfigField struct {
	Field string `json:"field"`
	Value string `json:"value"`
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
		Metadata metadata `json:"metadata"`
		// AdditionalMetadataFile holds the stack's metadata when the
		// manifest does not (aws-cdk-lib writes <stack>.metadata.json).
		AdditionalMetadataFile string `json:"additionalMetadataFile"`
	} `json:"artifacts"`
}

// metadata is an artifact's metadata entries by construct path.
type metadata map[string][]struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadAssembly reads the manifest of the cloud assembly in dir and every
// stack's template.
func ReadAssembly(dir string) (*Assembly, error) {
	var m manifest
	if err := readJSON(filepath.Join(dir, "manifest.json"), &m); err != nil {
		return nil, err
	}
	a := &Assembly{}
	for _, id := range slices.Sorted(maps.Keys(m.Artifacts)) {
		art := m.Artifacts[id]
		if art.AdditionalMetadataFile != "" {
			if err := readJSON(filepath.Join(dir, art.AdditionalMetadataFile), &art.Metadata); err != nil {
				return nil, err
			}
		}
		fields, paths := map[string]ConfigField{}, map[string]string{}
		for path, entries := range art.Metadata {
			for _, e := range entries {
				switch e.Type {
				case "aws:cdk:logicalId":
					if id, ok := e.Data.(string); ok {
						paths[id] = path
					}
				case "aws:cdk:warning":
					a.Warnings = append(a.Warnings, fmt.Sprintf("%s: %v", path, e.Data))
				case ConfigFieldMetadata:
					b, _ := json.Marshal(e.Data)
					var f ConfigField
					if json.Unmarshal(b, &f) == nil {
						fields[path] = f
					}
				}
			}
		}
		if art.Type == "aws:cloudformation:stack" {
			s := Stack{ID: id, Name: cmp.Or(art.Properties.StackName, id), TemplatePath: filepath.Join(dir, art.Properties.TemplateFile), ConfigFields: fields, Paths: paths}
			if err := readJSON(s.TemplatePath, &s.Template); err != nil {
				return nil, err
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
	sort.Strings(a.Warnings)
	return a, nil
}
