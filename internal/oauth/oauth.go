// Package oauth makes the MCP HTTP endpoint an OAuth 2.1 resource server,
// as the MCP authorization specification asks: it publishes the protected
// resource metadata (RFC 9728), answers 401 with a challenge that points to
// it, and accepts JWT access tokens (RFC 9068) from the trusted issuers,
// checked against each issuer's JWKS (signature, iss, aud = this server's
// resource URL per RFC 8707, exp and nbf). A valid token becomes a
// policy.Principal "oauth:<issuer-alias>:<sub>" with the token's groups and
// scopes; the gate decides the rest.
//
// The JOSE work (JWS parsing, signature checks, JWK decoding) is
// github.com/go-jose/go-jose/v4; this package only chooses the key, the
// accepted algorithms and the claims to check. The client's token is never
// logged, never put in an error, and never passed on.
package oauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/policy"
)

// Defaults.
const (
	DefaultGroupsClaim = "groups"
	// Leeway on exp, nbf and iat, for clocks that disagree a little.
	Leeway = 60 * time.Second
	// DefaultMinRefresh bounds how often an issuer's JWKS is fetched again
	// when a token names a key id the cache does not hold.
	DefaultMinRefresh = 30 * time.Second
	// DefaultMaxKeyAge is how long a fetched JWKS is used before it is
	// fetched again (so removed keys stop working).
	DefaultMaxKeyAge = 15 * time.Minute
	// WellKnown is the RFC 9728 metadata path (the path-suffixed form adds
	// the resource's path after it).
	WellKnown = "/.well-known/oauth-protected-resource"
)

// Issuer is one trusted authorization server.
type Issuer struct {
	// Alias names the issuer in principal ids: oauth:<alias>:<sub>.
	Alias string
	// URL is the issuer identifier, exactly as the tokens' iss claim
	// spells it (a trailing slash matters).
	URL string
}

// Config sets up a resource server.
type Config struct {
	// Issuers trusted to mint access tokens; at least one.
	Issuers []Issuer
	// Resource is this server's resource URL as clients reach it (the MCP
	// endpoint, e.g. https://mcp.example.com/mcp).
	Resource string
	// Audience every token's aud must contain; default Resource.
	Audience string
	// GroupsClaim names the claim whose values become the principal's
	// groups (default "groups"); a dotted name such as realm_access.roles
	// reaches into an object.
	GroupsClaim string
	// SlackClaim, when set, names the claim holding the person's Slack user
	// id (U…), which links their assistant's requests to them for
	// approvals in Slack; the policy file's link wins.
	SlackClaim string
	// EndpointPath is the path the MCP endpoint is served at locally, when
	// a proxy maps Resource's path to another one (default: Resource's path).
	EndpointPath string
	// HTTPClient fetches metadata and keys; default: 10 s timeout.
	HTTPClient *http.Client
	// MinRefresh and MaxKeyAge tune the key cache (defaults above).
	MinRefresh, MaxKeyAge time.Duration
	Now                   func() time.Time
	Logger                *slog.Logger
}

// Server is the resource server. It is safe for concurrent use.
type Server struct {
	cfg       Config
	resource  *url.URL
	metaURL   string
	metaPaths map[string]bool
	issuers   map[string]*issuer // by issuer URL
	order     []*issuer
	log       *slog.Logger
}

// New checks the configuration and builds the server. It fetches nothing:
// metadata and keys are discovered on first use (call Discover to fail
// early).
func New(cfg Config) (*Server, error) {
	if len(cfg.Issuers) == 0 {
		return nil, errors.New("OAuth needs at least one trusted issuer: set --oauth-issuer (CCC_OAUTH_ISSUER) to your identity provider's issuer URL")
	}
	res, err := url.Parse(strings.TrimSpace(cfg.Resource))
	if err != nil || res.Host == "" || (res.Scheme != "https" && res.Scheme != "http") || res.Fragment != "" || res.RawQuery != "" {
		return nil, fmt.Errorf("the resource URL %q is not an absolute http(s) URL without query or fragment; set --public-url to the URL clients use, e.g. https://mcp.example.com/mcp", cfg.Resource)
	}
	if res.Scheme == "http" && !Loopback(res.Hostname()) {
		return nil, fmt.Errorf("the resource URL %s is plain HTTP on a non-loopback host; remote clients need HTTPS: put a TLS proxy in front and set --public-url https://…", res)
	}
	if res.Path == "" {
		res.Path = "/"
	}
	cfg.Resource = res.String()
	if cfg.Audience == "" {
		cfg.Audience = cfg.Resource
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = DefaultGroupsClaim
	}
	if cfg.EndpointPath == "" {
		cfg.EndpointPath = res.Path
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	cfg.HTTPClient = guarded(cfg.HTTPClient)
	if cfg.MinRefresh <= 0 {
		cfg.MinRefresh = DefaultMinRefresh
	}
	if cfg.MaxKeyAge <= 0 {
		cfg.MaxKeyAge = DefaultMaxKeyAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, resource: res, issuers: map[string]*issuer{}, log: cfg.Logger}
	suffix := strings.TrimSuffix(res.Path, "/")
	s.metaURL = res.Scheme + "://" + res.Host + WellKnown + suffix
	s.metaPaths = map[string]bool{WellKnown: true, WellKnown + suffix: true, WellKnown + strings.TrimSuffix(cfg.EndpointPath, "/"): true}
	aliases := map[string]string{}
	for _, is := range cfg.Issuers {
		if err := checkIssuer(is); err != nil {
			return nil, err
		}
		if other, dup := aliases[is.Alias]; dup {
			return nil, fmt.Errorf("issuers %s and %s share the alias %q; name them: --oauth-issuer 'a=%s,b=%s'", other, is.URL, is.Alias, other, is.URL)
		}
		if s.issuers[is.URL] != nil {
			return nil, fmt.Errorf("issuer %s is listed twice", is.URL)
		}
		aliases[is.Alias] = is.URL
		iss := &issuer{Issuer: is, s: s}
		s.issuers[is.URL] = iss
		s.order = append(s.order, iss)
	}
	return s, nil
}

// Resource is this server's resource URL (RFC 9728 "resource").
func (s *Server) Resource() string { return s.cfg.Resource }

// MetadataURL is where the protected resource metadata is published.
func (s *Server) MetadataURL() string { return s.metaURL }

// Issuers lists the trusted issuers in configuration order.
func (s *Server) Issuers() []Issuer {
	out := make([]Issuer, len(s.order))
	for i, is := range s.order {
		out[i] = is.Issuer
	}
	return out
}

// ParseIssuers reads CCC_OAUTH_ISSUER: a comma-separated list of issuer
// URLs, each optionally named "alias=https://…". An unnamed issuer's alias
// is its host name.
func ParseIssuers(s string) ([]Issuer, error) {
	var out []Issuer
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		is := Issuer{URL: part}
		if alias, rest, ok := strings.Cut(part, "="); ok && !strings.Contains(alias, "/") {
			is.Alias, is.URL = strings.TrimSpace(alias), strings.TrimSpace(rest)
		} else if u, err := url.Parse(part); err == nil {
			is.Alias = u.Hostname()
		}
		if err := checkIssuer(is); err != nil {
			return nil, err
		}
		out = append(out, is)
	}
	return out, nil
}

func checkIssuer(is Issuer) error {
	u, err := url.Parse(is.URL)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("issuer %q is not an issuer URL (https://host[/path], no query or fragment)", is.URL)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && Loopback(u.Hostname()):
	case u.Scheme == "http":
		return fmt.Errorf("issuer %s uses plain HTTP; tokens and keys must come over HTTPS (plain HTTP is allowed only on loopback)", is.URL)
	default:
		return fmt.Errorf("issuer %q is not an https URL", is.URL)
	}
	if is.Alias == "" {
		return fmt.Errorf("issuer %s needs an alias: write alias=%s", is.URL, is.URL)
	}
	for _, c := range is.Alias {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("issuer alias %q may only use letters, digits, '-', '_' and '.'", is.Alias)
		}
	}
	return nil
}

// Loopback reports whether host is localhost or a loopback IP.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// guarded copies c and refuses redirects that leave HTTPS (except on
// loopback), so discovery cannot be downgraded.
func guarded(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "https" && !Loopback(req.URL.Hostname()) {
			return fmt.Errorf("redirect to plain HTTP (%s) refused", req.URL.Host)
		}
		return nil
	}
	return &cc
}

// ScopesSupported are the scopes published in the metadata.
var ScopesSupported = []string{policy.ScopeRead, policy.ScopeWrite}
