package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Record is one audit line: a decision or the outcome of a call.
type Record struct {
	Time       time.Time      `json:"time"`
	Surface    string         `json:"surface,omitempty"`
	Principal  string         `json:"principal"`
	Action     string         `json:"action"`
	ArgsDigest string         `json:"args_digest,omitempty"`
	Args       map[string]any `json:"args,omitempty"` // redacted by Record
	Decision   Verdict        `json:"decision,omitempty"`
	Approver   string         `json:"approver,omitempty"`
	Approval   string         `json:"approval_id,omitempty"` // the stored request it belongs to
	RequestID  string         `json:"request_id,omitempty"`  // CCC's RequestId
	Result     string         `json:"result,omitempty"`      // "pending", "approved", "sending", "ok", "error", "refused", "expired", "rate-limited"
	ErrorCode  string         `json:"error_code,omitempty"`
	LatencyMS  int64          `json:"latency_ms,omitempty"`
	Reason     string         `json:"reason,omitempty"`
}

// Record writes r as one JSON line to the audit writer. It fills in the time
// and the argument digest when they are missing, redacts the arguments
// (Redact) and masks phone numbers in the reason (MaskText). It never fails
// the call: a write error is logged (without the record) and dropped.
func (g *Gate) Record(r Record) {
	if g.audit == io.Discard {
		return // auditing is off: do not pay for redaction and encoding
	}
	if r.Time.IsZero() {
		r.Time = g.now()
	}
	r.Time = r.Time.UTC()
	if r.ArgsDigest == "" && r.Args != nil {
		r.ArgsDigest = Digest(r.Args)
	}
	r.Args = Redact(r.Args)
	r.Reason = MaskText(r.Reason)
	r.ErrorCode = MaskText(r.ErrorCode)
	line, err := json.Marshal(r)
	if err != nil {
		g.log.Error("audit record could not be encoded; it was dropped", "action", r.Action, "err", err)
		return
	}
	line = append(line, '\n')
	g.auditMu.Lock()
	defer g.auditMu.Unlock()
	if _, err := g.audit.Write(line); err != nil {
		g.log.Error("audit record could not be written; check the audit file's disk and permissions", "action", r.Action, "err", err)
	}
}

// AuditFile appends audit lines to a file and syncs it to disk after each,
// so a record written is a record kept.
type AuditFile struct {
	mu sync.Mutex
	f  *os.File
}

// NewAuditFile opens (or creates, mode 0600) path for appending.
func NewAuditFile(path string) (*AuditFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit file: %w; check the path exists and is writable", err)
	}
	return &AuditFile{f: f}, nil
}

// Write appends p in one write and syncs the file.
func (a *AuditFile) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return 0, os.ErrClosed
	}
	n, err := a.f.Write(p)
	if err != nil {
		return n, err
	}
	return n, a.f.Sync()
}

// Close syncs and closes the file. Further writes fail.
func (a *AuditFile) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}

// phoneParams names parameters that hold phone numbers (lower case).
var phoneParams = map[string]bool{
	"phonenumber": true, "phonenumbers": true, "phone": true, "phones": true,
	"caller": true, "callee": true, "tela": true, "telb": true, "telx": true,
	"callednumber": true, "callingnumber": true, "calleenumber": true, "callernumber": true,
	"number": true, "numbers": true, "candidatenumber": true, "callcenternumber": true,
	"mobile": true, "mobilephone": true, "telephone": true, "tel": true,
}

// freeTextParams name parameters holding free text or embedded JSON, where
// a phone number may hide (lower case).
var freeTextParams = map[string]bool{
	"criteria": true, "templateparam": true, "content": true, "canvas": true,
	"stats": true, "description": true, "remark": true, "displayname": true,
}

// isPhoneParam reports whether a parameter name holds phone numbers.
func isPhoneParam(name string) bool {
	n := strings.ToLower(name)
	if phoneParams[n] {
		return true
	}
	// Names like CustomerPhoneNumber; but not PhoneNumberId or PageNumber.
	return strings.HasSuffix(n, "phonenumber") || strings.HasSuffix(n, "phonenumbers") || strings.HasSuffix(n, "mobile")
}

// isSecretParam reports whether a parameter name looks like it carries a
// credential.
func isSecretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "secret", "password", "passwd", "signature", "credential", "accesskey", "authorization", "cookie", "privatekey"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Redact returns a copy of args safe to log: phone-number parameters keep
// only their last 4 digits, free-text parameters have phone-like digit runs
// masked, e-mail addresses keep their domain, and anything named like a
// token, secret, password or signature is removed. Nested objects and
// arrays are handled by the same rules. args itself is not changed.
func Redact(args map[string]any) map[string]any {
	if args == nil {
		return nil
	}
	out := make(map[string]any, len(args))
	for k, v := range args {
		if isSecretParam(k) {
			continue
		}
		out[k] = redactValue(k, v)
	}
	return out
}

func redactValue(name string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		return Redact(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(name, e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(name, e)
		}
		return out
	case string:
		n := strings.ToLower(name)
		switch {
		case isPhoneParam(name):
			return maskPhoneList(x)
		case n == "email":
			return maskEmail(x)
		case freeTextParams[n]:
			return MaskText(x)
		}
		return x
	case nil, bool:
		return x
	default:
		// Numbers, and anything else typed: a phone number may arrive as a
		// JSON number.
		if isPhoneParam(name) {
			return MaskPhone(fmt.Sprint(x))
		}
		if _, ok := x.(json.Number); ok || isNumber(x) {
			return x
		}
		// An unexpected type (struct, pointer): log its text, masked.
		return MaskText(fmt.Sprint(x))
	}
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return true
	}
	return false
}

// MaskPhone keeps the last 4 digits of a phone number and stars the other
// digits; separators and '+' are dropped: "+8613800001234" → "*********1234".
// A value with no digits becomes "****", so nothing of it leaks.
func MaskPhone(s string) string {
	var digits []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits = append(digits, s[i])
		}
	}
	if len(digits) == 0 {
		if s == "" {
			return ""
		}
		return "****"
	}
	keep := min(4, len(digits))
	if len(digits) <= 4 {
		keep = 0 // too short to show any of it safely
	}
	return strings.Repeat("*", len(digits)-keep) + string(digits[len(digits)-keep:])
}

// maskPhoneList masks each number of a list written as one string
// ("138…,139…" or with ';' or spaces between them).
func maskPhoneList(s string) string {
	var b strings.Builder
	start := 0
	flush := func(end int) {
		if end > start {
			b.WriteString(MaskPhone(s[start:end]))
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ';', ' ', '\t', '\n', '\r':
			flush(i)
			b.WriteByte(s[i])
			start = i + 1
		}
	}
	flush(len(s))
	return b.String()
}

func maskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return MaskText(s)
	}
	return s[:1] + "***" + s[at:]
}

// MaskText masks phone-like digit runs inside free text: any run of at least
// 7 digits, which may start with '+' and have single spaces, '-' or '.'
// between digit groups, keeps its last 4 digits and has the other digits
// replaced by '*' ("call +86 138 0000 1234" → "call +** *** **** 1234").
// ISO dates (2026-03-01) are left alone.
// Long numeric identifiers are masked too: in a log, hiding an id is cheaper
// than leaking a customer's number. Use it on anything that goes to a log.
func MaskText(s string) string {
	b := []byte(s)
	i := 0
	for i < len(b) {
		if !isDigit(b[i]) {
			i++
			continue
		}
		if isDate(b[i:]) { // 2026-03-01 is a date, not a phone number
			i += 10
			continue
		}
		// Extend a run: digits, with single separators between digits.
		start, end, digits := i, i, 0
		j := i
		for j < len(b) {
			if isDigit(b[j]) {
				digits++
				j++
				end = j
				continue
			}
			if (b[j] == ' ' || b[j] == '-' || b[j] == '.') && j+1 < len(b) && isDigit(b[j+1]) {
				j++
				continue
			}
			break
		}
		if digits >= 7 {
			keep := 4
			for k := end - 1; k >= start; k-- {
				if !isDigit(b[k]) {
					continue
				}
				if keep > 0 {
					keep--
					continue
				}
				b[k] = '*'
			}
		}
		i = end
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isDate reports whether b starts with an ISO date, YYYY-MM-DD, not
// followed by another digit.
func isDate(b []byte) bool {
	if len(b) < 10 || (len(b) > 10 && isDigit(b[10])) {
		return false
	}
	for i, c := range b[:10] {
		if i == 4 || i == 7 {
			if c != '-' {
				return false
			}
		} else if !isDigit(c) {
			return false
		}
	}
	return true
}
