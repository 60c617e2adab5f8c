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
