package config

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/brokerage/platform/problems"
)

var configShape = reflect.TypeOf(Config{})

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
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	offsets := map[string]int64{}
	raw, err := readValue(dec, data, nil, offsets, &list)
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
	raw = normalize(raw)
	checkSchema(raw, data, offsets, &list)
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
	c.src = &origin{name: source, data: data, offsets: offsets}
	return &c, list.Err()
}

// origin is the file a configuration was parsed from: its name, its text
// and where each value is in it (offsets, by instance location).
type origin struct {
	name    string
	data    []byte
	offsets map[string]int64
}

// Locate places each problem of err that names a field of the file c was
// parsed from (fanout.consumers[2].name) at that field's line and column,
// or at the nearest enclosing field the file has, lists them in the file's
// order, and names the file in the subject: the rules' problems then point
// into the file as the shape's do. A problem already placed keeps its
// place; one that names no field of the file comes last. Any other error
// is returned as it is.
func (c *Config) Locate(err error) error {
	perr, ok := err.(*problems.Error)
	if !ok || c == nil || c.src == nil {
		return err
	}
	out := &problems.Error{Subject: "configuration " + c.src.name}
	if perr.Subject != "configuration" && perr.Subject != out.Subject {
		out.Subject = perr.Subject + " (lines of " + out.Subject + ")"
	}
	type placed struct {
		problems.Problem
		offset int64 // in the file; math.MaxInt64 when not placed here
	}
	list := make([]placed, len(perr.Problems))
	for i, p := range perr.Problems {
		list[i] = placed{p, math.MaxInt64}
		loc := instanceLocation(p.Field)
		for n := len(loc); n > 0 && list[i].offset == math.MaxInt64; n-- {
			if o, ok := c.src.offsets[strings.Join(loc[:n], "/")]; ok {
				list[i].At, list[i].offset = cmp.Or(p.At, position(c.src.data, o)), o
			}
		}
	}
	// In the file's order; problems placed otherwise, or nowhere, last.
	slices.SortStableFunc(list, func(a, b placed) int { return cmp.Compare(a.offset, b.offset) })
	for _, p := range list {
		out.Problems = append(out.Problems, p.Problem)
	}
	return out
}

// instanceLocation turns a field path (regions[0].userPools["customers"])
// into its keys and indexes (regions, 0, userPools, customers), as the
// file's offsets are recorded; nil when it is not a field path.
func instanceLocation(field string) []string {
	var loc []string
	for field != "" {
		switch field[0] {
		case '.':
			field = field[1:]
		case '[':
			end := strings.IndexByte(field, ']')
			if strings.HasPrefix(field, `["`) {
				q, rest, ok := cutQuoted(field[1:])
				if !ok || !strings.HasPrefix(rest, "]") {
					return nil
				}
				loc, field = append(loc, q), rest[1:]
				continue
			}
			if end < 0 {
				return nil
			}
			loc, field = append(loc, field[1:end]), field[end+1:]
		default:
			end := strings.IndexAny(field, ".[")
			if end < 0 {
				end = len(field)
			}
			loc, field = append(loc, field[:end]), field[end:]
		}
	}
	return loc
}

// cutQuoted reads the Go-quoted string s starts with, and returns it
// unquoted with the rest of s.
func cutQuoted(s string) (unquoted, rest string, ok bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", s, false
	}
	u, err := strconv.Unquote(q)
	return u, s[len(q):], err == nil
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
	var wrong []string
	for _, p := range perr.Problems {
		// A repeated key keeps its last value, which the rules judge.
		if v, _ := p.Value.(string); !strings.HasPrefix(v, "a key repeated") {
			wrong = append(wrong, p.Field)
		}
	}
	l := problems.List{Subject: perr.Subject}
	for _, p := range rerr.Problems {
		echo := false
		for _, f := range wrong {
			echo = echo || p.Field == f || strings.HasPrefix(p.Field, f+".") || strings.HasPrefix(p.Field, f+"[")
		}
		if !echo {
			l.AddAt(p.Field, p.Value, p.Want, p.At)
		}
	}
	return problems.Join(perr.Subject, shape, l.Err())
}

// readValue reads one JSON value, reporting keys an object repeats: JSON
// decoders keep the last silently. It records where each value is in
// offsets, by instance location (regions/0/name): just after its key, or
// at a list item's first character.
func readValue(dec *json.Decoder, data []byte, loc []string, offsets map[string]int64, l *problems.List) (any, error) {
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
			at := append(slices.Clone(loc), k)
			if _, dup := m[k]; dup {
				field, _ := fieldPath(at)
				l.Add(field, "a key repeated at "+position(data, dec.InputOffset()), "each key once in its object (JSON keeps only the last value)")
			}
			offsets[strings.Join(at, "/")] = dec.InputOffset()
			v, err := readValue(dec, data, at, offsets, l)
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
			at := append(slices.Clone(loc), strconv.Itoa(i))
			offsets[strings.Join(at, "/")] = itemStart(data, dec.InputOffset())
			v, err := readValue(dec, data, at, offsets, l)
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

// itemStart is where the list item after offset starts: past the comma
// that ends the item before it, and the blanks around it.
func itemStart(data []byte, offset int64) int64 {
	for offset < int64(len(data)) && strings.IndexByte(", \t\r\n", data[offset]) >= 0 {
		offset++
	}
	return offset
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

// normalize drops the object members whose value is null and writes whole
// numbers (30.0, 3e1) as integers, as JSON Schema counts them.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
			} else {
				v[k] = normalize(e)
			}
		}
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
	case json.Number:
		if f, err := v.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return json.Number(strconv.FormatInt(int64(f), 10))
		}
	}
	return v
}
