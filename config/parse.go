package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/brokerage/platform/problems"
)

var configShape = reflect.TypeOf(Config{})

// Parse decodes a JSON configuration and reports, in one *problems.Error,
// everything wrong with the file as JSON: a syntax error with its line and
// column, a file that is not an object, every duplicated key, every unknown
// key and every value of the wrong type, list items indexed in the field
// paths (fanout.consumers[2].timeoutSeconds). Parse does not Validate.
func Parse(data []byte, source string) (*Config, error) {
	list := problems.List{Subject: "configuration " + source}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	raw, err := readValue(dec, data, "", &list)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = fmt.Errorf("more after the configuration object at %s", position(data, dec.InputOffset()-1))
		}
	}
	if err != nil {
		list.Add("(file)", syntaxPosition(data, err), "valid JSON ("+syntaxMessage(err)+")")
		return nil, list.Err()
	}
	if _, ok := raw.(map[string]any); !ok {
		list.Add("(file)", describe(raw), "a JSON object holding the configuration's fields (app, stage, account, regions, ...)")
		return nil, list.Err()
	}
	checkShape(raw, configShape, "", &list)
	if err := list.Err(); err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		list.Add("(file)", source, "a configuration object ("+err.Error()+")")
		return nil, list.Err()
	}
	return &c, nil
}

// readValue reads one JSON value, reporting keys an object repeats: JSON
// decoders keep the last silently.
func readValue(dec *json.Decoder, data []byte, path string, l *problems.List) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			if _, dup := m[k]; dup {
				l.Add(join(path, k), "a key repeated at "+position(data, dec.InputOffset()), "each key once in its object (JSON keeps only the last value)")
			}
			v, err := readValue(dec, data, join(path, k), l)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		_, err := dec.Token()
		return m, err
	case '[':
		var list []any
		for i := 0; dec.More(); i++ {
			v, err := readValue(dec, data, fmt.Sprintf("%s[%d]", path, i), l)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token()
		if list == nil {
			list = []any{}
		}
		return list, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// position is the line and column (both from 1) of a byte offset.
func position(data []byte, offset int64) string {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

func syntaxPosition(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return position(data, se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return position(data, int64(len(data))) + " (the end of the file)"
	}
	return strings.TrimPrefix(err.Error(), "more after the configuration object at ")
}

func syntaxMessage(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the file ends before the JSON does"
	}
	if strings.HasPrefix(err.Error(), "more after") {
		return "nothing after the configuration object"
	}
	return err.Error()
}

// describe shows a decoded JSON value in a problem.
func describe(v any) any {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case json.Number:
		f, _ := v.Float64()
		return f
	case bool:
		return v
	case []any:
		return "a JSON list"
	case map[string]any:
		return "a JSON object"
	}
	return fmt.Sprint(v)
}

// checkShape walks decoded JSON against the Go type it decodes into and
// reports every unknown key and every value of the wrong type.
// encoding/json stops at the first; users fixing a file want them all.
func checkShape(raw any, t reflect.Type, path string, l *problems.List) {
	if raw == nil {
		return // null keeps the zero value
	}
	wrong := func(want string) { l.Add(path, describe(raw), want) }
	switch t.Kind() {
	case reflect.Ptr:
		checkShape(raw, t.Elem(), path, l)
	case reflect.Interface:
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			wrong("an object")
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			fields[name] = t.Field(i).Type
			names = append(names, name)
		}
		for _, k := range sortedKeys(obj) {
			ft, ok := fields[k]
			if !ok {
				l.Add(join(path, k), "an unknown key", "one of: "+strings.Join(names, ", "))
				continue
			}
			checkShape(obj[k], ft, join(path, k), l)
		}
	case reflect.Map:
		obj, ok := raw.(map[string]any)
		if !ok {
			wrong("an object")
			return
		}
		for _, k := range sortedKeys(obj) {
			checkShape(obj[k], t.Elem(), fmt.Sprintf("%s[%q]", path, k), l)
		}
	case reflect.Slice:
		arr, ok := raw.([]any)
		if !ok {
			wrong("a list")
			return
		}
		for i, v := range arr {
			checkShape(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i), l)
		}
	case reflect.String:
		if _, ok := raw.(string); !ok {
			wrong("text (a JSON string)")
		}
	case reflect.Bool:
		if _, ok := raw.(bool); !ok {
			wrong("true or false")
		}
	case reflect.Int, reflect.Int64:
		n, ok := raw.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			wrong("a whole number")
		}
	case reflect.Float64:
		if _, ok := raw.(json.Number); !ok {
			wrong("a number")
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
