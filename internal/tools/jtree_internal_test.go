package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

// The string scanner finds the end of every string wherever its quote,
// escapes and control characters fall relative to its 8-byte steps, as
// encoding/json does.
func TestStringScanAgreesWithEncodingJSON(t *testing.T) {
	pieces := []string{"a", "ü", "空闲", `\"`, `\\`, `\n`, `\u00e9`, "\x01", "\x1f", " ", "~", "\x7f", "«", "»"}
	for n := 0; n < 20; n++ {
		for _, p := range pieces {
			for pos := 0; pos <= n; pos++ {
				body := strings.Repeat("x", pos) + p + strings.Repeat("y", n-pos)
				doc := `{"k":"` + body + `","n":1}`
				var tr jtree
				err := tr.parse([]byte(doc))
				valid := json.Valid([]byte(doc))
				if (err == nil) != valid {
					t.Fatalf("%q: parse error %v, encoding/json valid %v", doc, err, valid)
				}
				if err != nil {
					continue
				}
				c := tr.child(0, "k")
				var want string
				_ = json.Unmarshal([]byte(doc[5:len(doc)-7]), &want)
				if got := string(tr.text(c)); got != want {
					t.Fatalf("%q: string read as %q, want %q", doc, got, want)
				}
			}
		}
	}
}

// appendEscapedByByte is what appendEscaped writes, said plainly: one byte
// at a time, no runs.
func appendEscapedByByte(b, s []byte, fence bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '|':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case 0xC2:
			if fence && i+1 < len(s) && (s[i+1] == 0xAB || s[i+1] == 0xBB) {
				b = append(b, '\\')
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return b
}

// A cell's text is escaped as the plain reference says wherever its special
// bytes fall: next to each other, at either end, split fence marks.
func TestCellEscapingAgreesByteByByte(t *testing.T) {
	pieces := []string{"a", "|", `\`, "\n", "\r", "«", "»", "\xc2", "\xc2\xa0", "空闲", "||", "\\|\n", "\x7c\x5c", "\xfc", "\x0a\x0d"}
	for n := 0; n < 20; n++ {
		for _, p := range pieces {
			for _, q := range pieces {
				for pos := 0; pos <= n; pos++ {
					s := []byte(strings.Repeat("x", pos) + p + strings.Repeat("y", n-pos) + q)
					for _, fence := range []bool{false, true} {
						got, want := appendEscaped([]byte("pre"), s, fence), appendEscapedByByte([]byte("pre"), s, fence)
						if string(got) != string(want) {
							t.Fatalf("%q (fence %v): escaped as %q, want %q", s, fence, got, want)
						}
					}
				}
			}
		}
	}
}
