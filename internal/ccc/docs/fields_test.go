package docs

import (
	"regexp"
	"sort"
	"testing"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// timeLike are response field names that may hold a time or a duration.
var timeLike = regexp.MustCompile(`Time|Date|Duration|Stamp|Expires|Modified|Created|LongestCall|^Begin$|^End$|Login|Logout`)

// TestTimeFieldsAreDerivedFromTheSpec: every response field of the spec
// whose name looks like a time or a duration is classified (a kind, or not
// a time with the reason), and every classified field exists in the spec
// with that JSON type — so the text renderings never guess at run time.
func TestTimeFieldsAreDerivedFromTheSpec(t *testing.T) {
	seen := map[string]bool{}
	var walk func(s *spec.Schema)
	walk = func(s *spec.Schema) {
		if s == nil {
			return
		}
		for name, p := range s.Properties {
			if p != nil && p.Type != "object" && p.Type != "array" {
				seen[name+"/"+p.Type] = true
			}
			walk(p)
		}
		walk(s.Items)
	}
	for _, a := range spec.MustSpec().Actions {
		walk(a.Response)
	}
	var missing []string
	for key := range seen {
		name := key[:len(key)-len("/")-len(typeOf(key))]
		if timeLike.MatchString(name) && ResponseFields[key] == "" && NotTimes[key] == "" {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("response fields that look like times are not classified in ResponseFields or NotTimes: %v", missing)
	}
	for key := range ResponseFields {
		if !seen[key] {
			t.Errorf("ResponseFields lists %s, which no response of the spec has", key)
		}
	}
	for key := range NotTimes {
		if !seen[key] {
			t.Errorf("NotTimes lists %s, which no response of the spec has", key)
		}
	}
	for name := range UntrustedFields {
		if !seen[name+"/string"] {
			t.Errorf("UntrustedFields lists %s, which is no text field of the spec", name)
		}
	}
}

func typeOf(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' {
			return key[i+1:]
		}
	}
	return ""
}
