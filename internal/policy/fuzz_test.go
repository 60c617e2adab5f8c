package policy

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzSecret signs the valid tokens in testdata/fuzz/FuzzParseToken.
var fuzzSecret = []byte("cccops-fuzz-secret-not-for-prod!")

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// globRegexp is an independent reading of the glob rules.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range lowerASCII(pattern) {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// FuzzMatch checks the rule matcher against a regular-expression model of
// the same globs, and that a rule selecting by that glob agrees with it.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"List*", "ListUsers"}, {"*", ""}, {"?et*", "GetUser"}, {"a*b*c", "aXbYc"}, {"*a*a*a*b", "aaaaaaaaaaaa"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(name) || len(pattern) > 256 || len(name) > 256 {
			t.Skip()
		}
		got := globMatch(pattern, name)
		want := globRegexp(pattern).MatchString(lowerASCII(name))
		if got != want {
			t.Fatalf("globMatch(%q, %q) = %v; the model says %v", pattern, name, got, want)
		}
		if !globMatch(pattern, pattern) && !strings.ContainsAny(pattern, "*?") {
			t.Fatalf("a literal pattern %q does not match itself", pattern)
		}
		if !globMatch("*", name) {
			t.Fatalf("'*' does not match %q", name)
		}
		if isASCII(name) && !strings.ContainsAny(name, "*?") && !globMatch(strings.ToUpper(name), name) {
			t.Fatalf("the upper-cased name does not match %q", name)
		}
		r := &Rule{Actions: []string{pattern}, Verdict: Allow}
		if m := r.matches(name, "agents", read); m != got {
			t.Fatalf("rule with actions [%q] matches %q: %v, glob says %v", pattern, name, m, got)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzParseToken feeds arbitrary strings to the token parser and to
// Admit: nothing panics, only the exact bytes the gate signs are accepted
// (parsing then re-signing gives the same string back), and nothing but a
// genuine token for that very call is ever accepted.
func FuzzParseToken(f *testing.F) {
	g, err := New(Config{Secret: fuzzSecret, Logger: quiet, Now: func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		f.Fatal(err)
	}
	c := resetCall()
	tok, _, err := issue(g, c)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Fuzz(func(t *testing.T, s string) {
		cl, rerr := g.parseToken(s)
		if rerr == nil {
			if again := g.sign(cl); again != s {
				t.Fatalf("parsed %q but it signs as %q: the format is malleable", s, again)
			}
		} else if rerr.Reason == "" || rerr.Code == "" {
			t.Fatalf("refusal without code or reason: %+v", rerr)
		}
		// A yes against a fresh gate: its store knows no request, so nothing is accepted for a call it does not bind.
		g2, _ := New(Config{Secret: fuzzSecret, Logger: quiet, Now: g.now})
		if err := redeem(g2, s, c, Principal{}); err == nil {
			if rerr != nil || cl.Principal != c.Principal.ID || cl.Action != c.Action || cl.Digest != Digest(c.Args) || cl.Instance != c.InstanceID {
				t.Fatalf("Redeem accepted %q for a call it does not bind", s)
			}
		}
	})
}

// TestFuzzSeedTokenIsGenuine keeps the seed corpus useful: its "valid"
// token must still verify under fuzzSecret and bind resetCall, or the
// fuzzer would only ever explore rejected inputs.
func TestFuzzSeedTokenIsGenuine(t *testing.T) {
	raw, err := os.ReadFile("testdata/fuzz/FuzzParseToken/valid")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	tok, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[len(lines)-1], "string("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Secret: fuzzSecret, Logger: quiet, Now: func() time.Time { return time.Date(2026, 3, 1, 9, 1, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	cl, rerr := g.parseToken(tok)
	if rerr != nil {
		t.Fatalf("seed token no longer verifies: %v", rerr.Reason)
	}
	c := resetCall()
	if cl.Principal != c.Principal.ID || cl.Action != c.Action || cl.Digest != Digest(c.Args) || cl.Instance != c.InstanceID {
		t.Fatalf("seed token does not bind resetCall: %+v", cl)
	}
}
