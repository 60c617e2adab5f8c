package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/big"
	"sort"
	"strconv"
)

// Digest is the SHA-256, in hex, of the arguments' canonical JSON: object
// keys sorted, null members dropped (they are not sent either), numbers
// written in one form (1, 1.0 and 1e0 are the same number), no HTML
// escaping. A nil map digests like an empty one. Arguments that cannot be
// turned into JSON (they could not be sent either) digest to a hash of the
// encoding error, which no encodable argument set can share.
func Digest(args map[string]any) string {
	var buf bytes.Buffer
	if err := canonicalArgs(&buf, args); err != nil {
		sum := sha256.Sum256([]byte("unencodable:" + err.Error()))
		return hex.EncodeToString(sum[:])
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

func canonicalArgs(buf *bytes.Buffer, args map[string]any) error {
	if args == nil {
		args = map[string]any{}
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	return canonical(buf, v)
}

func canonical(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case string:
		writeString(buf, x)
	case json.Number:
		buf.WriteString(canonicalNumber(x))
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := canonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k, e := range x {
			if e != nil {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := canonical(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
}

// canonicalNumber writes integers exactly (however large) and other numbers
// in Go's shortest float64 form.
func canonicalNumber(n json.Number) string {
	s := string(n)
	if i, ok := new(big.Int).SetString(s, 10); ok {
		return i.String()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return "n:" + s // keep the text; still deterministic
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		// An integral float (1.0, 1e3): write it as the integer it is.
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
