package sandbox

import (
	"fmt"
	"strings"
)

// The body template of a simulated site (docs/sandbox.md, "The simulated
// internet"). It is deliberately tiny: a site's body must say what a
// runbook's http.probe looks for ("region=us-west-2 db=writer"), computed
// from the simulation as it is now, and nothing more — no loops, no
// conditions beyond a value map, so that a scenario stays readable.
//
//	{region}                      the Region that serves the request
//	{param:NAME}                  an SSM parameter's value in that Region
//	{db-role:ENDPOINT}            writer, reader, down or unknown
//	{f:ARG|from=to,from2=to2}     maps the value; others pass unchanged
//	{{                            a literal {
//
// An argument may hold templates itself: {db-role:{param:/app/db-host}}.

// Limits keep a hostile or mistaken scenario from costing much.
const (
	maxTemplateDepth  = 8        // nesting of {...} inside arguments
	maxTemplateSource = 64 << 10 // bytes of a body template
	maxTemplateOutput = 1 << 20  // bytes a body may expand to
)

// templateFuncs are the functions a body may call, and whether they take
// an argument.
var templateFuncs = map[string]bool{"region": false, "param": true, "db-role": true}

// tmpl is a parsed template: a sequence of literal text and calls.
type tmpl []tnode

type tnode struct {
	lit  string      // literal text, when fn is ""
	fn   string      // the function called
	arg  tmpl        // its argument
	maps [][2]string // the |from=to pairs, in order
}

// TemplateError is a template that does not parse, at a byte offset.
type TemplateError struct {
	Offset int
	Msg    string
}

func (e *TemplateError) Error() string { return fmt.Sprintf("at character %d: %s", e.Offset+1, e.Msg) }

// parseTemplate parses a body template.
func parseTemplate(src string) (tmpl, error) {
	if len(src) > maxTemplateSource {
		return nil, &TemplateError{0, fmt.Sprintf("the template is longer than %d bytes", maxTemplateSource)}
	}
	p := &tparser{src: src}
	t, err := p.seq(0, true)
	if err != nil {
		return nil, err
	}
	return t, nil
}

type tparser struct {
	src string
	i   int
}

// seq parses text and calls until the end (top level) or an unnested
// '}' or '|' (an argument). At top level "{{" is a literal '{' and a
// lone '}' is literal text, so bodies such as JSON stay easy to write.
func (p *tparser) seq(depth int, top bool) (tmpl, error) {
	var out tmpl
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, tnode{lit: lit.String()})
			lit.Reset()
		}
	}
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == '{' && top && strings.HasPrefix(p.src[p.i:], "{{"):
			lit.WriteByte('{')
			p.i += 2
		case c == '{':
			flush()
			n, err := p.call(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		case !top && (c == '}' || c == '|'):
			flush()
			return out, nil
		default:
			lit.WriteByte(c)
			p.i++
		}
	}
	flush()
	return out, nil
}

// call parses "{name[:arg][|maps]}" with p.i at its '{'.
func (p *tparser) call(depth int) (tnode, error) {
	start := p.i
	if depth > maxTemplateDepth {
		return tnode{}, &TemplateError{start, fmt.Sprintf("templates nest at most %d deep", maxTemplateDepth)}
	}
	p.i++
	j := p.i
	for p.i < len(p.src) && (p.src[p.i] == '-' || p.src[p.i] >= 'a' && p.src[p.i] <= 'z') {
		p.i++
	}
	n := tnode{fn: p.src[j:p.i]}
	takesArg, known := templateFuncs[n.fn]
	if !known {
		return n, &TemplateError{start, fmt.Sprintf("unknown function %q: a body knows {region}, {param:NAME} and {db-role:ENDPOINT}; write {{ for a literal {", n.fn)}
	}
	if p.i < len(p.src) && p.src[p.i] == ':' {
		if !takesArg {
			return n, &TemplateError{start, fmt.Sprintf("{%s} takes no argument", n.fn)}
		}
		p.i++
		arg, err := p.seq(depth, false)
		if err != nil {
			return n, err
		}
		n.arg = arg
	} else if takesArg {
		return n, &TemplateError{start, fmt.Sprintf("{%s:...} needs an argument, e.g. {%s:/app/db-host}", n.fn, n.fn)}
	}
	if p.i < len(p.src) && p.src[p.i] == '|' {
		p.i++
		maps, err := p.maps(start)
		if err != nil {
			return n, err
		}
		n.maps = maps
	}
	if p.i >= len(p.src) || p.src[p.i] != '}' {
		return n, &TemplateError{start, fmt.Sprintf("{%s has no closing }", n.fn)}
	}
	p.i++
	return n, nil
}

// maps parses "from=to,from2=to2" up to the closing '}'.
func (p *tparser) maps(start int) ([][2]string, error) {
	end := strings.IndexAny(p.src[p.i:], "{}")
	if end < 0 || p.src[p.i+end] != '}' {
		return nil, &TemplateError{start, "a value map is from=to,from2=to2 up to the closing }, without braces"}
	}
	var out [][2]string
	for _, pair := range strings.Split(p.src[p.i:p.i+end], ",") {
		from, to, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, &TemplateError{start, fmt.Sprintf("value map entry %q is not from=to", pair)}
		}
		out = append(out, [2]string{strings.TrimSpace(from), strings.TrimSpace(to)})
	}
	p.i += end
	return out, nil
}

// eval expands a template; call answers a function for its argument.
// The output is cut at maxTemplateOutput.
func (t tmpl) eval(call func(fn, arg string) string) string {
	var b strings.Builder
	t.evalInto(&b, call)
	return b.String()
}

func (t tmpl) evalInto(b *strings.Builder, call func(fn, arg string) string) {
	for _, n := range t {
		if b.Len() >= maxTemplateOutput {
			return
		}
		v := n.lit
		if n.fn != "" {
			v = call(n.fn, n.arg.eval(call))
			for _, m := range n.maps {
				if v == m[0] {
					v = m[1]
					break
				}
			}
		}
		if room := maxTemplateOutput - b.Len(); len(v) > room {
			v = v[:room]
		}
		b.WriteString(v)
	}
}
