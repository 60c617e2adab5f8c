package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// The flag types below refuse what the product cannot honour instead of
// swapping in a default: a zero or negative timeout, a rate limit of 0 or
// -5, a boolean spelled "yes". Their errors give the accepted values, and
// ApplyEnv reuses them, so the environment gets the same answer.

// boolValue is a flag.Value for true/false whose error names the accepted
// spellings (flag's own says only "parse error").
type boolValue struct{ dst *bool }

func (b boolValue) String() string {
	if b.dst == nil {
		return "false"
	}
	return strconv.FormatBool(*b.dst)
}

func (b boolValue) Set(s string) error {
	v, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return errors.New("use true or false")
	}
	*b.dst = v
	return nil
}

func (b boolValue) IsBoolFlag() bool { return true }

func (b boolValue) Type() string { return "" }

// BoolVar is fs.BoolVar with an error that says "use true or false".
func BoolVar(fs *flag.FlagSet, p *bool, name string, value bool, usage string) {
	*p = value
	fs.Var(boolValue{p}, name, usage)
}

// positiveDuration is a flag.Value for a duration above zero.
type positiveDuration struct{ dst *time.Duration }

func (d positiveDuration) String() string {
	if d.dst == nil {
		return "0s"
	}
	return d.dst.String()
}

func (d positiveDuration) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v <= 0 {
		return errors.New("use a positive duration with a unit, such as 30s, 2m or 1h")
	}
	*d.dst = v
	return nil
}

func (d positiveDuration) Type() string { return "duration" }

// PositiveDurationVar binds a duration flag that refuses 0, negative values
// and numbers without a unit.
func PositiveDurationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(positiveDuration{p}, name, usage)
}

// limitValue is a flag.Value for a rate limit: a positive count, or -1 for
// no limit. 0 and other negative numbers are refused: neither means
// anything a person would ask for on purpose.
type limitValue struct{ dst *int }

func (l limitValue) String() string {
	if l.dst == nil {
		return "0"
	}
	return strconv.Itoa(*l.dst)
}

func (l limitValue) Set(s string) error {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || (v <= 0 && v != -1) {
		return errors.New("use a positive whole number, or -1 for no limit")
	}
	*l.dst = v
	return nil
}

func (l limitValue) Type() string { return "limit" }

// LimitVar binds a rate-limit flag: a positive count, or -1 for no limit.
func LimitVar(fs *flag.FlagSet, p *int, name string, value int, usage string) {
	*p = value
	fs.Var(limitValue{p}, name, usage)
}

// EnvVar is a setting read only from the environment (a secret, or a list
// that has no flag), for the -h text.
type EnvVar struct{ Name, Meaning string }

// CredentialEnv are the environment-only credential settings of the real
// CCC, in the order they are looked for.
var CredentialEnv = []EnvVar{
	{"CCC_BEARER_TOKEN", "CCC bearer token (BEARERTOKEN signature)"},
	{"ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET", "AccessKey pair; both or neither"},
	{"ALIBABA_CLOUD_SECURITY_TOKEN", "STS token, with the AccessKey pair"},
	{"ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_ROLE_SESSION_NAME", "RAM role to assume, with the AccessKey pair"},
	{"ALIBABA_CLOUD_ECS_METADATA", "RAM role of this ECS instance"},
	{"ALIBABA_CLOUD_CREDENTIALS_FILE, ALIBABA_CLOUD_CREDENTIALS_URI", "the SDK's default credential chain"},
}

// SetUsage makes fs's -h print intro, the flags with their defaults, and
// then the settings that exist only in the environment: own (the binary's
// secrets) and the CCC credentials. Credentials select the real service;
// with none set, the simulator runs.
func SetUsage(fs *flag.FlagSet, intro string, own []EnvVar) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "%s\n\nFlags (each also read from the environment variable in brackets; the flag wins):\n", intro)
		PrintDefaults(fs)
		fmt.Fprintln(w, "\nEnvironment only (never flags, so secrets stay out of process lists):")
		printEnv(w, own)
		fmt.Fprintln(w, "\nCCC credentials (environment only; any of them selects the real CCC under --backend auto,")
		fmt.Fprintln(w, "none selects the simulator; they conflict with --backend sim and --sim-addr):")
		printEnv(w, CredentialEnv)
	}
}

// PrintDefaults is flag.PrintDefaults that names the types of this
// package's flags (duration, limit) instead of "value".
func PrintDefaults(fs *flag.FlagSet) {
	w := fs.Output()
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		if t, ok := f.Value.(interface{ Type() string }); ok {
			kind = t.Type()
		}
		line := "  -" + f.Name
		if kind != "" {
			line += " " + kind
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		switch def := f.DefValue; {
		case def == "" || def == "false" || def == "0s" || (def == "0" && kind != "limit"):
		case kind == "string":
			line += fmt.Sprintf(" (default %q)", def)
		default:
			line += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintln(w, line)
	})
}

func printEnv(w io.Writer, vars []EnvVar) {
	for _, v := range vars {
		fmt.Fprintf(w, "  %s\n    \t%s\n", v.Name, v.Meaning)
	}
}

// Exposed reports whether a listen address is reachable from other
// machines: any host but a loopback address or "localhost" (an empty host
// listens on every interface).
func Exposed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip == nil || !ip.IsLoopback()
}

// PlainHTTPWarning is the warning to log when a server speaks plain HTTP
// on an address other machines can reach, or "" when addr is loopback.
// what names the listener and its settings, e.g. "the Slack bot (SLACK_ADDR)".
func PlainHTTPWarning(addr, what string) string {
	if !Exposed(addr) {
		return ""
	}
	return fmt.Sprintf("%s listens on %s with plain HTTP, reachable from other machines: requests, tokens and replies cross the network unencrypted unless a TLS reverse proxy (or a TLS-terminating load balancer) is in front. Put one in front and keep this port closed to everything else, or listen on 127.0.0.1.", what, addr)
}
