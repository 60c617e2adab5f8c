package tools

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// A jtree is a JSON document parsed in place: every node points into the
// bytes it came from, so parsing allocates one slice of nodes however many
// values the answer holds, and writing a value again copies its bytes.
// Shaping a CCC answer walks one of these instead of decoding it into maps
// and encoding it again.
type jtree struct {
	src   []byte
	nodes []jnode
}

// jnode holds offsets, not slices: nodes without pointers cost the garbage
// collector nothing to scan and no write barriers to fill.
type jnode struct {
	kind   byte  // one of the j* kinds
	esc    bool  // the string holds escapes
	kesc   bool  // the key holds escapes
	ks, ke int32 // member name, without quotes, as written (escapes kept)
	rs, re int32 // the value's bytes; a string keeps its quotes
	first  int32 // first child, or -1
	next   int32 // next sibling, or -1
	n      int32 // number of children
}

// rawOf is the bytes of node i as written.
func (t *jtree) rawOf(i int32) []byte { n := &t.nodes[i]; return t.src[n.rs:n.re] }

// keyOf is the member name of node i as written.
func (t *jtree) keyOf(i int32) []byte { n := &t.nodes[i]; return t.src[n.ks:n.ke] }

const (
	jObject = 'o'
	jArray  = 'a'
	jString = 's'
	jNumber = 'n'
	jBool   = 'b'
	jNull   = 'z'
)

// maxDepth bounds nesting so a hostile answer cannot exhaust the stack.
const maxDepth = 64

var errTrailing = errors.New("data after the JSON value")

// parse reads src into t, reusing t's node slice.
func (t *jtree) parse(src []byte) error {
	t.src = src
	t.nodes = t.nodes[:0]
	p := parser{t: t, b: src}
	p.ws()
	if _, err := p.value(0); err != nil {
		return err
	}
	p.ws()
	if p.i != len(p.b) {
		return errTrailing
	}
	return nil
}

type parser struct {
	t *jtree
	b []byte
	i int
}

// ws skips white space. CCC's answers have none between tokens, so the
// first test (inlined at every call) is nearly always the last.
func (p *parser) ws() {
	if p.i < len(p.b) && p.b[p.i] > ' ' {
		return
	}
	p.wsRun()
}

func (p *parser) wsRun() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", p.i, what)
}

func (p *parser) add(n jnode) int32 {
	p.t.nodes = append(p.t.nodes, n)
	return int32(len(p.t.nodes) - 1)
}

func (p *parser) value(depth int) (int32, error) {
	if depth > maxDepth {
		return -1, p.fail("nested too deep")
	}
	if p.i >= len(p.b) {
		return -1, p.fail("unexpected end")
	}
	start := p.i
	switch c := p.b[p.i]; {
	case c == '{':
		idx := p.add(jnode{kind: jObject, first: -1, next: -1})
		p.i++
		p.ws()
		last := int32(-1)
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			p.t.nodes[idx].rs, p.t.nodes[idx].re = int32(start), int32(p.i)
			return idx, nil
		}
		for {
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != '"' {
				return -1, p.fail("expected a member name")
			}
			ks := p.i
			esc, err := p.str()
			if err != nil {
				return -1, err
			}
			kstart, kend := int32(ks+1), int32(p.i-1)
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return -1, p.fail("expected ':'")
			}
			p.i++
			p.ws()
			child, err := p.value(depth + 1)
			if err != nil {
				return -1, err
			}
			p.t.nodes[child].ks, p.t.nodes[child].ke = kstart, kend
			p.t.nodes[child].kesc = esc
			p.link(idx, &last, child)
			more, err := p.sep('}', "an object")
			if err != nil {
				return -1, err
			}
			if !more {
				break
			}
		}
		p.t.nodes[idx].rs, p.t.nodes[idx].re = int32(start), int32(p.i)
		return idx, nil
	case c == '[':
		idx := p.add(jnode{kind: jArray, first: -1, next: -1})
		p.i++
		p.ws()
		last := int32(-1)
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			p.t.nodes[idx].rs, p.t.nodes[idx].re = int32(start), int32(p.i)
			return idx, nil
		}
		for {
			p.ws()
			child, err := p.value(depth + 1)
			if err != nil {
				return -1, err
			}
			p.link(idx, &last, child)
			more, err := p.sep(']', "an array")
			if err != nil {
				return -1, err
			}
			if !more {
				break
			}
		}
		p.t.nodes[idx].rs, p.t.nodes[idx].re = int32(start), int32(p.i)
		return idx, nil
	case c == '"':
		esc, err := p.str()
		if err != nil {
			return -1, err
		}
		return p.add(jnode{kind: jString, esc: esc, rs: int32(start), re: int32(p.i), first: -1, next: -1}), nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
				p.i += len(lit)
				k := byte(jBool)
				if lit == "null" {
					k = jNull
				}
				return p.add(jnode{kind: k, rs: int32(start), re: int32(p.i), first: -1, next: -1}), nil
			}
		}
		return -1, p.fail("unknown literal")
	case c == '-' || (c >= '0' && c <= '9'):
		p.i++
		for p.i < len(p.b) {
			c := p.b[p.i]
			if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
				p.i++
				continue
			}
			break
		}
		if !validNumber(p.b[start:p.i]) {
			return -1, p.fail("malformed number")
		}
		return p.add(jnode{kind: jNumber, rs: int32(start), re: int32(p.i), first: -1, next: -1}), nil
	}
	return -1, p.fail("unexpected character")
}

// str skips a string starting at the opening quote; it reports whether the
// string holds escapes.
func (p *parser) str() (bool, error) {
	b := p.b
	i := p.i + 1
	esc := false
	for {
		// Eight bytes at a time to the first quote, backslash or control
		// character: the has-less-than and has-zero-byte tests may flag a
		// byte above a flagged one by their borrow, never one below, so
		// the lowest flag is exactly the first such byte. The last few
		// bytes of the input go byte by byte.
		for i+8 <= len(b) {
			v := binary.LittleEndian.Uint64(b[i:])
			q, bs := v^0x2222222222222222, v^0x5C5C5C5C5C5C5C5C
			ctl := (v - 0x2020202020202020) &^ v   // a byte below 0x20
			quote := (q - 0x0101010101010101) &^ q // a byte equal to '"'
			slash := (bs - 0x0101010101010101) &^ bs
			if m := (ctl | quote | slash) & 0x8080808080808080; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto stop
			}
			i += 8
		}
		for i < len(b) && !strStop[b[i]] {
			i++
		}
	stop:
		if i >= len(b) {
			p.i = len(b)
			return false, p.fail("unterminated string")
		}
		switch b[i] {
		case '"':
			p.i = i + 1
			return esc, nil
		case '\\':
			esc = true
			i += 2
		default:
			p.i = i
			return false, p.fail("control character in a string")
		}
	}
}

// strStop marks the bytes that end a run of plain string bytes: the quote,
// the backslash and control characters.
var strStop = [256]bool{'"': true, '\\': true,
	0: true, 1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true, 10: true, 11: true, 12: true, 13: true, 14: true, 15: true,
	16: true, 17: true, 18: true, 19: true, 20: true, 21: true, 22: true, 23: true, 24: true, 25: true, 26: true, 27: true, 28: true, 29: true, 30: true, 31: true}

// child returns the member named key of object node i, or -1.
func (t *jtree) child(i int32, key string) int32 {
	if i < 0 || t.nodes[i].kind != jObject {
		return -1
	}
	for c := t.nodes[i].first; c >= 0; c = t.nodes[c].next {
		if t.keyIs(c, key) {
			return c
		}
	}
	return -1
}

func (t *jtree) keyIs(c int32, key string) bool {
	n := &t.nodes[c]
	if !n.kesc {
		return string(t.keyOf(c)) == key
	}
	return t.keyString(c) == key
}

// keyString is the member name of node c, unescaped.
func (t *jtree) keyString(c int32) string {
	n := &t.nodes[c]
	if !n.kesc {
		return string(t.keyOf(c))
	}
	var s string
	_ = json.Unmarshal(append(append([]byte{'"'}, t.keyOf(c)...), '"'), &s)
	return s
}

// text is the value of string node i, unescaped; for other kinds, its raw
// bytes. It allocates only when the string holds escapes or the caller
// keeps the result.
func (t *jtree) text(i int32) []byte {
	n := &t.nodes[i]
	raw := t.rawOf(i)
	if n.kind != jString {
		return raw
	}
	inner := raw[1 : len(raw)-1]
	if !n.esc {
		return inner
	}
	return unescapeJSON(inner)
}

// unescapeJSON decodes the escapes of a JSON string body.
func unescapeJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		i++
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+4 >= len(b) {
				return append(out, b[i-1:]...)
			}
			r, err := strconv.ParseUint(string(b[i+1:i+5]), 16, 32)
			if err != nil {
				out = append(out, '\\', 'u')
				continue
			}
			i += 4
			ru := rune(r)
			if ru >= 0xD800 && ru < 0xDC00 && i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
				if lo, err := strconv.ParseUint(string(b[i+3:i+7]), 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
					ru = (ru-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000
					i += 6
				}
			}
			out = utf8.AppendRune(out, ru)
		default:
			out = append(out, '\\', b[i])
		}
	}
	return out
}

// int64Of reads number node i as an integer written in plain form.
func (t *jtree) int64Of(i int32) (int64, bool) {
	if i < 0 {
		return 0, false
	}
	n := &t.nodes[i]
	raw := t.rawOf(i)
	if n.kind == jString {
		raw = raw[1 : len(raw)-1]
	} else if n.kind != jNumber {
		return 0, false
	}
	return parseInt(raw)
}

// parseInt reads a plain decimal int64 without allocating.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
		if v < 0 {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	return v, true
}

// validNumber checks the JSON number grammar.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(b)
}

// link appends child to the container idx, after last.
func (p *parser) link(idx int32, last *int32, child int32) { p.t.link(idx, last, child) }

// link appends child to the children of container idx, after last (-1:
// it is the first).
func (t *jtree) link(idx int32, last *int32, child int32) {
	if *last < 0 {
		t.nodes[idx].first = child
	} else {
		t.nodes[*last].next = child
	}
	*last = child
	t.nodes[idx].n++
}

// sep reads what follows a member of a container that ends with end: a
// comma (more follows) or end (done).
func (p *parser) sep(end byte, what string) (more bool, err error) {
	p.ws()
	if p.i >= len(p.b) {
		return false, p.fail("unexpected end in " + what)
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return true, nil
	case end:
		p.i++
		return false, nil
	}
	return false, p.fail("expected ',' or '" + string(end) + "'")
}
