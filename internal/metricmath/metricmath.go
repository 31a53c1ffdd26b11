// Package metricmath evaluates a CloudWatch alarm's own definition, as
// synthesized, against datapoints a test makes: the metric math subset the
// platform's alarms use, and the alarm's M-of-N rule. Neither moto nor any
// local tool evaluates alarms, so tests prove what an alarm does this way.
//
// The semantics follow the metric math documentation
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
//   - TIME_SERIES(x) "returns a non-sparse time series where every value is
//     set to a scalar argument";
//   - EPOCH(m) "take[s] the period and range of the time series and return[s]
//     a new non-sparse time series where each value is based on its
//     timestamp": here the timestamp in seconds since 1970-01-01 UTC;
//   - comparison and logical operators return 0 or 1 per datapoint; when a
//     comparison operator is used between two time series and only one has
//     a value for a timestamp, the missing value is taken as 0. The page
//     says so of comparison operators only: here a logical operator with a
//     missing operand gives a missing datapoint, so that a test fails on an
//     expression that relies on more than is documented;
//   - FLOOR acts per datapoint; FILL(m, v) "fills the missing values of a
//     time series" with v. Arithmetic between two time series keeps
//     only the timestamps both have (the documentation is silent; the
//     platform's expressions never depend on it).
//
// Any other function or operator (IF, ==, unary minus...) is an error.
//
// Missing datapoints are NaN.
package metricmath

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
)

// value is a scalar or a time series over the evaluation's timestamps.
type value struct {
	series []float64 // nil for a scalar
	scalar float64
}

func (v value) at(i int) float64 {
	if v.series == nil {
		return v.scalar
	}
	return v.series[i]
}

// Env is what an expression is evaluated over: the period start of each
// datapoint (seconds since the epoch, UTC) and the series of the query ids
// it may name.
type Env struct {
	Timestamps []int64
	Series     map[string][]float64
}

// Eval evaluates expr in env and returns its time series (a scalar result
// is spread over every timestamp).
func Eval(expr string, env Env) ([]float64, error) {
	p := &parser{src: expr, env: env}
	p.next()
	v, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok != "" {
		return nil, fmt.Errorf("metricmath: unexpected %q at %d in %q", p.tok, p.pos, expr)
	}
	if v.series == nil {
		v = p.each(v.at)
	}
	return v.series, nil
}

type parser struct {
	src      string
	pos, end int
	tok      string
	env      Env
}

// token is the next token after spaces: a number, an identifier, a
// two-character operator or any other character; none at the end.
var token = regexp.MustCompile(`^ *([0-9.]+|[A-Za-z_][A-Za-z0-9_]*|>=|<=|&&|\|\||(?s:.))?`)

// next reads the next token into p.tok ("" at the end).
func (p *parser) next() {
	m := token.FindStringSubmatchIndex(p.src[p.end:])
	if m[2] < 0 {
		m[2], m[3] = m[1], m[1]
	}
	p.pos, p.end = p.end+m[2], p.end+m[3]
	p.tok = p.src[p.pos:p.end]
}

func (p *parser) binary(sub func() (value, error), ops ...string) (value, error) {
	l, err := sub()
	for err == nil && slices.Contains(ops, p.tok) {
		op := p.tok
		p.next()
		var r value
		if r, err = sub(); err == nil {
			l = p.apply(op, l, r)
		}
	}
	return l, err
}

func (p *parser) or() (value, error)      { return p.binary(p.and, "||") }
func (p *parser) and() (value, error)     { return p.binary(p.cmp, "&&") }
func (p *parser) cmp() (value, error)     { return p.binary(p.sum, comparisons...) }
func (p *parser) sum() (value, error)     { return p.binary(p.product, "+", "-") }
func (p *parser) product() (value, error) { return p.binary(p.primary, "*", "/") }

func (p *parser) primary() (value, error) {
	tok := p.tok
	switch {
	case tok == "(":
		args, err := p.arguments()
		if err == nil && len(args) != 1 {
			err = fmt.Errorf("metricmath: a list of %d where one value is expected in %q", len(args), p.src)
		}
		if err != nil {
			return value{}, err
		}
		return args[0], nil
	case tok != "" && (tok[0] == '.' || '0' <= tok[0] && tok[0] <= '9'):
		f, err := strconv.ParseFloat(tok, 64)
		p.next()
		return value{scalar: f}, err
	case tok != "" && (tok[0] == '_' || 'a' <= tok[0] && tok[0] <= 'z' || 'A' <= tok[0] && tok[0] <= 'Z'):
		p.next()
		if p.tok == "(" {
			return p.call(tok)
		}
		s, ok := p.env.Series[tok]
		if !ok {
			return value{}, fmt.Errorf("metricmath: unknown id %q in %q", tok, p.src)
		}
		return value{series: s}, nil
	}
	return value{}, fmt.Errorf("metricmath: unexpected %q at %d in %q", tok, p.pos, p.src)
}

// arguments evaluates "(" expression {"," expression} ")", at "(".
func (p *parser) arguments() ([]value, error) {
	var args []value
	for {
		p.next() // past "(" or ","
		v, err := p.or()
		if err != nil {
			return nil, err
		}
		args = append(args, v)
		switch p.tok {
		case ",":
			continue
		case ")":
			p.next()
			return args, nil
		}
		return nil, fmt.Errorf("metricmath: want , or ) at %d in %q", p.pos, p.src)
	}
}

// arity is the number of arguments of each function the evaluator knows.
var arity = map[string]int{"TIME_SERIES": 1, "EPOCH": 1, "FLOOR": 1, "FILL": 2}

// call evaluates a call of name.
func (p *parser) call(name string) (value, error) {
	n, ok := arity[name]
	if !ok {
		return value{}, fmt.Errorf("metricmath: function %s is not supported", name)
	}
	args, err := p.arguments()
	if err != nil {
		return value{}, err
	}
	if len(args) != n {
		return value{}, fmt.Errorf("metricmath: %s takes %d arguments, not %d, in %q", name, n, len(args), p.src)
	}
	switch name {
	case "TIME_SERIES":
		return p.each(func(int) float64 { return args[0].scalar }), nil
	case "EPOCH":
		return p.each(func(i int) float64 { return float64(p.env.Timestamps[i]) }), nil
	case "FILL":
		return p.each(func(i int) float64 {
			if v := args[0].at(i); !math.IsNaN(v) {
				return v
			}
			return args[1].at(i)
		}), nil
	}
	return p.each(func(i int) float64 { return math.Floor(args[0].at(i)) }), nil // FLOOR
}

// each is the time series of f at every timestamp's index.
func (p *parser) each(f func(i int) float64) value {
	out := make([]float64, len(p.env.Timestamps))
	for i := range out {
		out[i] = f(i)
	}
	return value{series: out}
}

// comparisons are the comparison operators the evaluator knows.
var comparisons = []string{">=", "<=", "<", ">"}

// operators are the binary operators the evaluator knows, per datapoint;
// comparison and logical operators give 0 or 1.
var operators = map[string]func(a, b float64) float64{
	"+":  func(a, b float64) float64 { return a + b },
	"-":  func(a, b float64) float64 { return a - b },
	"*":  func(a, b float64) float64 { return a * b },
	"/":  func(a, b float64) float64 { return a / b },
	">=": func(a, b float64) float64 { return boolean(a >= b) },
	"<=": func(a, b float64) float64 { return boolean(a <= b) },
	"<":  func(a, b float64) float64 { return boolean(a < b) },
	">":  func(a, b float64) float64 { return boolean(a > b) },
	"&&": func(a, b float64) float64 { return boolean(a != 0 && b != 0) },
	"||": func(a, b float64) float64 { return boolean(a != 0 || b != 0) },
}

func boolean(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (p *parser) apply(op string, l, r value) value {
	f := operators[op]
	if l.series == nil && r.series == nil {
		return value{scalar: f(l.scalar, r.scalar)}
	}
	// Only comparisons between two time series take a missing value as 0.
	zeroMissing := l.series != nil && r.series != nil && slices.Contains(comparisons, op)
	return p.each(func(i int) float64 {
		a, b := l.at(i), r.at(i)
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return math.NaN()
		case zeroMissing && math.IsNaN(a):
			return f(0, b)
		case zeroMissing && math.IsNaN(b):
			return f(a, 0)
		case math.IsNaN(a) || math.IsNaN(b):
			return math.NaN()
		}
		return f(a, b)
	})
}
