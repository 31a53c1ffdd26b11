package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/brokerage/platform/problems"
)

var configShape = reflect.TypeOf(Config{})

// unknownKeys walks decoded JSON against the Go type it will be decoded into
// and reports every key the type does not have. encoding/json's
// DisallowUnknownFields stops at the first; users fixing a file want them all.
func unknownKeys(raw any, t reflect.Type, path string, l *problems.List) {
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			return // a type error, reported by json.Unmarshal
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			fields[name] = t.Field(i).Type
			names = append(names, name)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				l.Add(join(path, k), "an unknown key", "one of: "+strings.Join(names, ", "))
				continue
			}
			unknownKeys(obj[k], ft, join(path, k), l)
		}
	case reflect.Map:
		obj, ok := raw.(map[string]any)
		if !ok {
			return
		}
		for k, v := range obj {
			unknownKeys(v, t.Elem(), fmt.Sprintf("%s[%q]", path, k), l)
		}
	case reflect.Ptr:
		unknownKeys(raw, t.Elem(), path, l)
	case reflect.Slice:
		arr, ok := raw.([]any)
		if !ok {
			return
		}
		for i, v := range arr {
			unknownKeys(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i), l)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
