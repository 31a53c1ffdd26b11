package config

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/brokerage/platform/problems"
)

// Parse decodes a JSON configuration and reports, in one *problems.Error,
// everything wrong with the file as JSON: a syntax error with its line and
// column, a file that is not an object, every duplicated key, every unknown
// key and every value of the wrong type, list items indexed in the field
// paths (fanout.consumers[2].timeoutSeconds). Parse does not Validate.
//
// When the file is a JSON object whose shape is wrong, Parse returns the
// configuration decoded as far as it goes beside the problems, so that the
// rules can be checked too and every problem reported at once
// (WithoutShapeEchoes).
func Parse(data []byte, source string) (*Config, error) {
	list := problems.List{Subject: "configuration " + source}
	src := &origin{name: source, data: data, offsets: map[string]int64{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	raw, err := src.read(dec, nil, &list)
	var at, want string
	var se *json.SyntaxError
	switch {
	case err == nil:
		if _, extra := dec.Token(); extra != io.EOF {
			at, want = position(data, dec.InputOffset()-1), "nothing after the configuration object"
		}
	case errors.As(err, &se):
		at, want = position(data, se.Offset), err.Error()
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		at, want = position(data, int64(len(data)))+" (the end of the file)", "the file ends before the JSON does"
	default:
		at, want = err.Error(), err.Error()
	}
	if want != "" {
		list.Add("(file)", at, "valid JSON ("+want+")")
		return nil, list.Err()
	}
	if _, ok := raw.(map[string]any); !ok {
		list.Add("(file)", describe(raw), "a JSON object holding the configuration's fields (app, stage, account, regions, ...)")
		return nil, list.Err()
	}
	checkSchema(raw, src, &list)
	// encoding/json decodes what the schema accepted: no null (it keeps the
	// zero value) and whole numbers as integers, as the schema counts them.
	normalized, _ := json.Marshal(raw)
	var c Config
	if err := json.Unmarshal(normalized, &c); err != nil && list.Err() == nil {
		list.Add("(file)", source, "a configuration object ("+err.Error()+")")
		return nil, list.Err()
	}
	// With shape problems, encoding/json has set every field it could and
	// returned its first type error: the problems above name them all.
	c.src = src
	return &c, list.Err()
}

// origin is the file a configuration was parsed from: its name, its text
// and where each value is in it (offsets, by instance location).
type origin struct {
	name    string
	data    []byte
	offsets map[string]int64
}

// placed is a problem and its byte offset in the file.
type placed struct {
	problems.Problem
	offset int64
}

// place puts a problem at the line and column of instance location loc in
// the file, or of the nearest enclosing location the file has (offset -1
// when none). A problem the shape already placed keeps its place: its
// field path may not read back into its location (an unknown key "a.b").
func (o *origin) place(p problems.Problem, loc []string) placed {
	for n := len(loc); n > 0; n-- {
		if off, ok := o.offsets[strings.Join(loc[:n], "/")]; ok {
			p.At = cmp.Or(p.At, position(o.data, off))
			return placed{p, off}
		}
	}
	return placed{p, -1}
}

// inFileOrder lists the problems by their offsets, stably.
func inFileOrder(list []placed) []problems.Problem {
	slices.SortStableFunc(list, func(a, b placed) int { return cmp.Compare(a.offset, b.offset) })
	out := make([]problems.Problem, len(list))
	for i, p := range list {
		out[i] = p.Problem
	}
	return out
}

// Locate places each problem of err that names a field of the file c was
// parsed from (fanout.consumers[2].name) at that field's line and column,
// or at the nearest enclosing field the file has, lists them in the file's
// order, and names the file in the subject: the rules' problems then point
// into the file as the shape's do. A field the file lacks comes first, as
// the shape reports a missing field at the top level; a problem that names
// no field of the configuration (a stack, a construct path) comes last.
// Any other error is returned as it is.
func (c *Config) Locate(err error) error {
	perr, ok := err.(*problems.Error)
	if !ok || c == nil || c.src == nil {
		return err
	}
	out := &problems.Error{Subject: "configuration " + c.src.name}
	if perr.Subject != "configuration" && perr.Subject != out.Subject {
		out.Subject = perr.Subject + " (lines of " + out.Subject + ")"
	}
	list := make([]placed, len(perr.Problems))
	for i, p := range perr.Problems {
		loc := instanceLocation(p.Field)
		list[i] = c.src.place(p, loc)
		if list[i].offset < 0 && (len(loc) == 0 || structField(reflect.TypeFor[Config](), loc[0]) == reflect.TypeFor[any]()) {
			list[i].offset = math.MaxInt64
		}
	}
	out.Problems = inFileOrder(list)
	return out
}

// instanceLocation turns a field path (regions[0].userPools["customers"])
// into its keys and indexes (regions, 0, userPools, customers), as the
// file's offsets are recorded; nil when it is not a field path.
func instanceLocation(field string) []string {
	var loc []string
	for field = strings.TrimLeft(field, "."); field != ""; field = strings.TrimLeft(field, ".") {
		end := strings.IndexByte(field, ']')
		switch {
		case strings.HasPrefix(field, `["`):
			q, err := strconv.QuotedPrefix(field[1:])
			if err != nil || !strings.HasPrefix(field[1+len(q):], "]") {
				return nil
			}
			u, _ := strconv.Unquote(q)
			loc, field = append(loc, u), field[2+len(q):]
		case field[0] == '[' && end < 0:
			return nil
		case field[0] == '[':
			loc, field = append(loc, field[1:end]), field[end+1:]
		default:
			if end = strings.IndexAny(field, ".["); end < 0 {
				end = len(field)
			}
			loc, field = append(loc, field[:end]), field[end:]
		}
	}
	return loc
}

// WithoutShapeEchoes joins the shape problems Parse found with the rule
// problems of the configuration it decoded: a field whose shape is wrong is
// reported once, by its shape, not again by the rules that read its zero
// value (nor are the fields inside it).
func WithoutShapeEchoes(shape, rules error) error {
	perr, ok := shape.(*problems.Error)
	if !ok {
		return problems.Join("configuration", shape, rules)
	}
	rerr, ok := rules.(*problems.Error)
	if !ok {
		return problems.Join(perr.Subject, shape, rules)
	}
	kept := slices.DeleteFunc(slices.Clone(rerr.Problems), func(r problems.Problem) bool {
		return slices.ContainsFunc(perr.Problems, func(s problems.Problem) bool {
			// A repeated key keeps its last value, which the rules judge.
			v, _ := s.Value.(string)
			return !strings.HasPrefix(v, "a key repeated") &&
				(r.Field == s.Field || strings.HasPrefix(r.Field, s.Field+".") || strings.HasPrefix(r.Field, s.Field+"["))
		})
	})
	return problems.Join(perr.Subject, shape, &problems.Error{Problems: kept})
}

// read reads one JSON value, reporting keys an object repeats: JSON
// decoders keep the last silently. It records where each value is in
// offsets, by instance location (regions/0/name): just after its key, or
// at a list item's first character. As JSON Schema counts them, it drops
// the object members whose value is null and writes whole numbers (30.0,
// 3e1) as integers.
func (o *origin) read(dec *json.Decoder, loc []string, l *problems.List) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			at := append(slices.Clone(loc), k)
			if _, dup := m[k]; dup {
				field, _ := fieldPath(at)
				l.Add(field, "a key repeated at "+position(o.data, dec.InputOffset()), "each key once in its object (JSON keeps only the last value)")
			}
			o.offsets[strings.Join(at, "/")] = dec.InputOffset()
			if m[k], err = o.read(dec, at, l); err != nil {
				return nil, err
			}
		}
		maps.DeleteFunc(m, func(_ string, v any) bool { return v == nil })
		_, err := dec.Token()
		return m, err
	case json.Delim('['):
		list := []any{}
		for i := 0; dec.More(); i++ {
			at := append(slices.Clone(loc), strconv.Itoa(i))
			// Past the comma that ends the item before, and the blanks around it.
			rest := bytes.TrimLeft(o.data[dec.InputOffset():], ", \t\r\n")
			o.offsets[strings.Join(at, "/")] = int64(len(o.data) - len(rest))
			v, err := o.read(dec, at, l)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token()
		return list, err
	}
	if n, ok := tok.(json.Number); ok {
		if f, err := n.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return json.Number(strconv.FormatInt(int64(f), 10)), nil
		}
	}
	return tok, nil
}

// position is the line and column (both from 1) of a byte offset.
func position(data []byte, offset int64) string {
	before := data[:min(offset, int64(len(data)))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// describe shows a decoded JSON value in a problem.
func describe(v any) any {
	switch v := v.(type) {
	case nil:
		return "null"
	case string, bool:
		return v
	case json.Number:
		f, _ := v.Float64()
		return f
	case []any:
		return "a JSON list"
	case map[string]any:
		return "a JSON object"
	}
	return fmt.Sprint(v)
}
