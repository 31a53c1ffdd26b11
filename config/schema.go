package config

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/brokerage/platform/problems"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// schemaJSON is the configuration's JSON Schema, generated from the types
// of this package by `make docs` (internal/docgen.Schema) and named by the
// shipped configurations' $schema for editors.
//
//go:embed schema.json
var schemaJSON []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("schema.json")
})

// checkSchema validates decoded JSON (numbers as json.Number) against the
// schema and adds one problem per violation, in the file's order: the field
// path as the configuration's problems name it, the value, what is
// expected, and where the value is in the file src.
func checkSchema(raw any, src *origin, l *problems.List) {
	s, err := compiled()
	if err != nil {
		panic(fmt.Sprintf("config/schema.json: %v", err))
	}
	var out []placed
	add := func(loc []string, value any, want string) {
		field, _ := fieldPath(loc)
		out = append(out, src.place(problems.Problem{Field: field, Value: value, Want: want}, loc))
	}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		for _, c := range e.Causes {
			walk(c)
		}
		if len(e.Causes) > 0 {
			return
		}
		switch k := e.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			_, t := fieldPath(e.InstanceLocation)
			for _, p := range k.Properties {
				add(append(slices.Clone(e.InstanceLocation), p), "an unknown key", "one of: "+strings.Join(fieldNames(t), ", "))
			}
		case *kind.Required:
			for _, p := range k.Missing {
				add(append(slices.Clone(e.InstanceLocation), p), "nothing", "a value: the field is required")
			}
		case *kind.Type:
			add(e.InstanceLocation, describe(valueAt(raw, e.InstanceLocation)), wantType(k.Want))
		default:
			add(e.InstanceLocation, describe(valueAt(raw, e.InstanceLocation)), strings.TrimSpace(fmt.Sprint(e.ErrorKind)))
		}
	}
	if verr, ok := s.Validate(raw).(*jsonschema.ValidationError); ok {
		walk(verr)
	}
	// A missing field is placed at its object (the top level first), in
	// the schema's order.
	for _, p := range inFileOrder(out) {
		l.AddAt(p.Field, p.Value, p.Want, p.At)
	}
}

// typeWords say what a value of a schema type is, in the words of the
// configuration's problems.
var typeWords = map[string]string{"string": "text (a JSON string)", "boolean": "true or false", "integer": "a whole number",
	"number": "a number", "array": "a list", "object": "an object"}

// wantType says what a value of the schema's types is.
func wantType(types []string) string {
	var out []string
	for _, t := range types {
		if t != "null" {
			out = append(out, cmp.Or(typeWords[t], t))
		}
	}
	return strings.Join(out, " or ")
}

// fieldPath turns an instance location into the configuration's field
// path (fanout.consumers[2].name, regions[0].userPools["customers"]), and
// says the Go type of the value there.
func fieldPath(loc []string) (string, reflect.Type) {
	t := reflect.TypeFor[Config]()
	var b strings.Builder
	for _, tok := range loc {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
			t = structField(t, tok)
		case reflect.Map:
			fmt.Fprintf(&b, "[%q]", tok)
			t = t.Elem()
		case reflect.Slice:
			b.WriteString("[" + tok + "]")
			t = t.Elem()
		default:
			b.WriteString("." + tok)
		}
	}
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	return b.String(), t
}

// structField is the type of t's field whose JSON name is name, or an
// interface type for an unknown key.
func structField(t reflect.Type, name string) reflect.Type {
	for f := range t.Fields() {
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return f.Type
		}
	}
	return reflect.TypeFor[any]()
}

// fieldNames lists the JSON names of a struct type's fields.
func fieldNames(t reflect.Type) []string {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, n)
	}
	return out
}

// valueAt is the decoded JSON value at an instance location.
func valueAt(v any, loc []string) any {
	for _, tok := range loc {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, _ := strconv.Atoi(tok)
			if i < len(x) {
				v = x[i]
			}
		}
	}
	return v
}
