package tools

import (
	"unicode"
	"unicode/utf8"
)

// TokenProxy estimates how many tokens a model's tokenizer makes of s,
// without a tokenizer: it counts the pieces byte-pair tokenizers of the
// o200k/cl100k kind split text into before merging — each run of letters
// split at lower-to-upper case changes (SkillGroupName is three), each group
// of up to three digits, each punctuation or symbol character, each line
// break, and each CJK (or other non-Latin) character. Spaces ride on the
// next piece. It is a proxy for comparing layouts, not a count to bill by.
func TokenProxy(s string) int {
	n := 0
	const (
		none = iota
		lower
		upper
		digit
	)
	state, digits := none, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z'):
			if state != lower && state != upper {
				n++
			}
			state = lower
		case r < utf8.RuneSelf && (r >= 'A' && r <= 'Z'):
			if state != upper {
				n++
			}
			state = upper
		case r >= '0' && r <= '9':
			if state != digit || digits == 3 {
				n++
				digits = 0
			}
			digits++
			state = digit
		case r == ' ' || r == '\t':
			state = none
		case r == '\n':
			n++
			state = none
		case unicode.IsLetter(r) && r >= utf8.RuneSelf:
			n++
			state = none
		default:
			n++
			state = none
		}
	}
	return n
}
