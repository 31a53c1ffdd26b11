// Package problems collects input errors so that every problem with a
// configuration or a set of construct props is reported at once, each naming
// the field, the value received and what was expected.
package problems

import (
	"fmt"
	"strings"
)

// Problem is one invalid input.
type Problem struct {
	Field string // dotted path, e.g. "fanout.consumers[1].name"
	Value any    // the value received
	Want  string // what was expected, in words
	At    string // where the field is in its file, e.g. "line 12, column 7"; "" when unknown
}

func (p Problem) String() string {
	s := fmt.Sprintf("%s: got %s, want %s", p.Field, show(p.Value), p.Want)
	if p.At != "" {
		s += " (" + p.At + ")"
	}
	return s
}

func show(v any) string {
	switch v := v.(type) {
	case string, []string:
		return fmt.Sprintf("%q", v)
	case nil:
		return "nothing"
	default:
		return fmt.Sprint(v)
	}
}

// List accumulates problems. The zero value is ready to use.
type List struct {
	Subject string // what was checked, e.g. "configuration" or "fanout.Props"
	items   []Problem
}

// Add records a problem.
func (l *List) Add(field string, value any, want string) {
	l.items = append(l.items, Problem{Field: field, Value: value, Want: want})
}

// AddAt records a problem at a known place in a file.
func (l *List) AddAt(field string, value any, want, at string) {
	l.items = append(l.items, Problem{Field: field, Value: value, Want: want, At: at})
}

// Distinct checks one entry of a list whose entries must differ: it adds
// want at field when the value is not valid, once when an earlier entry
// (recorded in seen) had the same value; then it records the value. It
// reports whether the entry was valid and first.
func (l *List) Distinct(seen map[string]bool, field, value string, valid bool, want, once string) bool {
	ok := valid && !seen[value]
	switch {
	case !valid:
		l.Add(field, value, want)
	case seen[value]:
		l.Add(field, value, once)
	}
	seen[value] = true
	return ok
}

// Err returns nil when nothing was added, otherwise an *Error holding every problem.
func (l *List) Err() error {
	if len(l.items) == 0 {
		return nil
	}
	return &Error{Subject: l.Subject, Problems: append([]Problem(nil), l.items...)}
}

// Error is returned (or panicked, by constructs) when input is invalid.
type Error struct {
	Subject  string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s (%d problem", e.Subject, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Fields returns the field names of every problem, in order; handy in tests.
func (e *Error) Fields() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Field
	}
	return out
}

// Join merges the problems of several *Error values (nil ones are skipped)
// into one *Error with the given subject, or returns nil when there are none.
// Any other error is returned as it is.
func Join(subject string, errs ...error) error {
	l := List{Subject: subject}
	for _, err := range errs {
		if err == nil {
			continue
		}
		perr, ok := err.(*Error)
		if !ok {
			return err
		}
		l.items = append(l.items, perr.Problems...)
	}
	return l.Err()
}
