package config

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
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
// schema and adds one problem per violation: the field path as the
// configuration's problems name it, the value, what is expected, and
// where the value is in the file (at, by field path).
func checkSchema(raw any, at func(field string) string, l *problems.List) {
	s, err := compiled()
	if err != nil {
		panic(fmt.Sprintf("config/schema.json: %v", err))
	}
	var leaves []*jsonschema.ValidationError
	verr, _ := s.Validate(raw).(*jsonschema.ValidationError)
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	if verr != nil {
		walk(verr)
	}
	type found struct{ field, order string }
	var out []struct {
		found
		value any
		want  string
	}
	add := func(loc []string, value any, want string) {
		field, order := fieldPath(loc)
		out = append(out, struct {
			found
			value any
			want  string
		}{found{field, order}, value, want})
	}
	for _, e := range leaves {
		value := describe(valueAt(raw, e.InstanceLocation))
		switch k := e.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			known := fieldNames(typeAt(e.InstanceLocation))
			for _, p := range k.Properties {
				add(append(slices.Clone(e.InstanceLocation), p), "an unknown key", "one of: "+strings.Join(known, ", "))
			}
		case *kind.Required:
			for _, p := range k.Missing {
				add(append(slices.Clone(e.InstanceLocation), p), "nothing", "a value: the field is required")
			}
		case *kind.Type:
			add(e.InstanceLocation, value, wantType(k.Want))
		default:
			add(e.InstanceLocation, value, strings.TrimSpace(fmt.Sprint(e.ErrorKind)))
		}
	}
	// JSON Schema counts 30.0 as an integer; the Go field cannot hold it.
	var wholes func(v any, t reflect.Type, loc []string)
	wholes = func(v any, t reflect.Type, loc []string) {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				next := t
				switch t.Kind() {
				case reflect.Struct:
					next, _ = structField(t, k)
				case reflect.Map:
					next = t.Elem()
				}
				wholes(e, next, append(slices.Clone(loc), k))
			}
		case []any:
			if t.Kind() == reflect.Slice {
				for i, e := range x {
					wholes(e, t.Elem(), append(slices.Clone(loc), strconv.Itoa(i)))
				}
			}
		case json.Number:
			f, ferr := x.Float64()
			if _, err := x.Int64(); err != nil && ferr == nil && f == math.Trunc(f) && (t.Kind() == reflect.Int || t.Kind() == reflect.Int64) {
				add(loc, describe(x), "a whole number written without a fraction or exponent")
			}
		}
	}
	wholes(raw, configShape, nil)
	sort.SliceStable(out, func(i, j int) bool { return out[i].order < out[j].order })
	for _, p := range out {
		want := p.want
		if pos := at(p.field); pos != "" {
			want += " (" + pos + ")"
		}
		l.Add(p.field, p.value, want)
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
		if w, ok := typeWords[t]; ok {
			out = append(out, w)
		} else if t != "null" {
			out = append(out, t)
		}
	}
	return strings.Join(out, " or ")
}

// fieldPath turns an instance location into the configuration's field
// path (fanout.consumers[2].name, regions[0].userPools["customers"]), and
// a key that sorts problems in the file's structure order.
func fieldPath(loc []string) (field, order string) {
	t := configShape
	var b, o strings.Builder
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
			ft, i := structField(t, tok)
			fmt.Fprintf(&o, "/%04d", i)
			t = ft
		case reflect.Map:
			fmt.Fprintf(&b, "[%q]", tok)
			o.WriteString("/" + tok)
			t = t.Elem()
		case reflect.Slice:
			b.WriteString("[" + tok + "]")
			n, _ := strconv.Atoi(tok)
			fmt.Fprintf(&o, "/%06d", n)
			t = t.Elem()
		default:
			b.WriteString("." + tok)
			o.WriteString("/" + tok)
		}
	}
	return b.String(), o.String()
}

// structField is the field of t whose JSON name is name and its index
// (unknown keys sort last), or an interface type for an unknown key.
func structField(t reflect.Type, name string) (reflect.Type, int) {
	for i := 0; i < t.NumField(); i++ {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n == name {
			return t.Field(i).Type, i
		}
	}
	return reflect.TypeOf((*any)(nil)).Elem(), 9999
}

// typeAt is the Go type of the value at an instance location.
func typeAt(loc []string) reflect.Type {
	t := configShape
	for _, tok := range loc {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			t, _ = structField(t, tok)
		case reflect.Map, reflect.Slice:
			t = t.Elem()
		}
	}
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	return t
}

// fieldNames lists the JSON names of a struct type's fields.
func fieldNames(t reflect.Type) []string {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
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
