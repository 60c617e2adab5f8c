package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCommandText feeds arbitrary /ccc text to the command parser: it never
// panics, an error is only an unclosed quote, and words without quotes or
// blanks survive a round trip through quoting.
func FuzzCommandText(f *testing.F) {
	for _, seed := range []string{
		"", "help", "reset mallory,trent", `calls since=1h agent="Alice Wang"`,
		"list_real_time_agent InstanceId=ccc-sim-shanghai", `x "unclosed`, "a\tb\nc", "“smart quotes”",
		"&lt;@U123&gt; &amp;", "ResetUserStatus RamIdList=1,2 RamIdList=3", "'single' \"double\"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		words, err := splitWords(text)
		if err != nil {
			if !strings.Contains(err.Error(), "unclosed quote") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !utf8.ValidString(text) {
			return
		}
		opts, rest := options(words)
		if len(opts)+len(rest) > len(words) {
			t.Fatalf("options invented words: %v %v from %v", opts, rest, words)
		}
		for k := range opts {
			if k != strings.ToLower(k) {
				t.Fatalf("option key %q not lower-cased", k)
			}
		}
		// Quoting each plain word and splitting again gives the same words.
		var quoted []string
		for _, w := range words {
			if strings.ContainsAny(w, "\"'&“”‘’") { // & would be unescaped twice; quotes are syntax
				return
			}
			quoted = append(quoted, `"`+w+`"`)
		}
		again, err := splitWords(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("re-split of %q: %v", quoted, err)
		}
		if strings.Join(again, "\x00") != strings.Join(words, "\x00") {
			t.Fatalf("round trip changed %q into %q", words, again)
		}
	})
}
