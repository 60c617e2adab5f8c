package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const maxDocument = 1 << 20 // metadata and JWKS documents larger than this are refused

// issuer holds one trusted issuer's discovered metadata and cached keys.
type issuer struct {
	Issuer
	s *Server

	refresh sync.Mutex // one discovery or JWKS fetch at a time

	mu      sync.Mutex
	jwksURI string
	keys    []jose.JSONWebKey
	fetched time.Time // last successful JWKS fetch
	tried   time.Time // last attempt, successful or not
	fetches int       // JWKS fetches made (tests, logs)
}

var (
	errUnknownKey  = errors.New("unknown key")
	errUnavailable = errors.New("keys unavailable")
)

// Discover fetches every issuer's metadata and keys now, so a wrong issuer
// URL shows at start rather than at the first request.
func (s *Server) Discover(ctx context.Context) error {
	var errs []error
	for _, is := range s.order {
		if err := is.load(ctx, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// key returns the public key the token's header names, fetching the JWKS
// again when the key id is unknown or the cache is old, at most once per
// MinRefresh.
func (is *issuer) key(ctx context.Context, kid string, alg jose.SignatureAlgorithm) (*jose.JSONWebKey, error) {
	now := is.s.cfg.Now()
	is.mu.Lock()
	k, err := pick(is.keys, kid, alg)
	fresh := !is.fetched.IsZero() && now.Sub(is.fetched) < is.s.cfg.MaxKeyAge
	is.mu.Unlock()
	if err == nil && fresh {
		return k, nil
	}
	if lerr := is.load(ctx, false); lerr != nil {
		is.s.log.Warn("oauth: cannot refresh the issuer's keys", "issuer", is.Alias, "error", lerr)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.fetched.IsZero() {
		return nil, errUnavailable
	}
	return pick(is.keys, kid, alg)
}

// load discovers the metadata if needed and fetches the JWKS, unless the
// last attempt is younger than MinRefresh (force: Discover at start).
func (is *issuer) load(ctx context.Context, force bool) error {
	is.refresh.Lock()
	defer is.refresh.Unlock()
	now := is.s.cfg.Now()
	is.mu.Lock()
	if !force && !is.tried.IsZero() && now.Sub(is.tried) < is.s.cfg.MinRefresh {
		is.mu.Unlock()
		return nil
	}
	is.tried = now
	jwksURI := is.jwksURI
	is.mu.Unlock()
	if jwksURI == "" {
		u, err := is.discover(ctx)
		if err != nil {
			return err
		}
		is.mu.Lock()
		is.jwksURI = u
		is.mu.Unlock()
		jwksURI = u
	}
	keys, err := is.fetchKeys(ctx, jwksURI)
	if err != nil {
		return err
	}
	is.mu.Lock()
	is.keys, is.fetched = keys, is.s.cfg.Now()
	is.fetches++
	is.mu.Unlock()
	is.s.log.Debug("oauth: fetched the issuer's keys", "issuer", is.Alias, "keys", len(keys))
	return nil
}

// metadataURLs lists where the issuer's metadata may be, in the order the
// MCP authorization specification gives: RFC 8414 with the path inserted,
// OIDC with the path inserted, OIDC with the path appended.
func metadataURLs(issuer string) []string {
	u, _ := url.Parse(issuer)
	base := u.Scheme + "://" + u.Host
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	if p == "" {
		return []string{base + "/.well-known/oauth-authorization-server", base + "/.well-known/openid-configuration"}
	}
	return []string{
		base + "/.well-known/oauth-authorization-server" + p,
		base + "/.well-known/openid-configuration" + p,
		base + p + "/.well-known/openid-configuration",
	}
}

// discover returns the issuer's jwks_uri from the first metadata document
// that names this issuer.
func (is *issuer) discover(ctx context.Context) (string, error) {
	var tried []string
	for _, mu := range metadataURLs(is.URL) {
		var meta struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		status, err := is.getJSON(ctx, mu, &meta)
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed || (err == nil && meta.Issuer == "") {
			tried = append(tried, mu)
			continue
		}
		if err != nil {
			return "", fmt.Errorf("issuer %s metadata at %s: %w", is.URL, mu, err)
		}
		if meta.Issuer != is.URL {
			return "", fmt.Errorf("issuer %s: the metadata at %s names issuer %q; write the issuer exactly as the identity provider spells it", is.URL, mu, meta.Issuer)
		}
		ju, err := url.Parse(meta.JWKSURI)
		if err != nil || ju.Host == "" || !(ju.Scheme == "https" || ju.Scheme == "http" && Loopback(ju.Hostname())) {
			return "", fmt.Errorf("issuer %s: its metadata has no usable jwks_uri (%q); it must be an https URL", is.URL, meta.JWKSURI)
		}
		return meta.JWKSURI, nil
	}
	return "", fmt.Errorf("issuer %s publishes no metadata (tried %s); check the issuer URL", is.URL, strings.Join(tried, ", "))
}

// fetchKeys reads a JWKS, keeping the public signing keys it can decode
// and skipping the rest (an encryption key or an unknown key type must not
// make the whole set unusable).
func (is *issuer) fetchKeys(ctx context.Context, jwksURI string) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if _, err := is.getJSON(ctx, jwksURI, &set); err != nil {
		return nil, fmt.Errorf("issuer %s keys at %s: %w", is.URL, jwksURI, err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if _, symmetric := k.Key.([]byte); symmetric {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("issuer %s: the key set at %s holds no public signing key", is.URL, jwksURI)
	}
	return keys, nil
}

func (is *issuer) getJSON(ctx context.Context, u string, dst any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := is.s.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("cannot reach it: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocument))
		return resp.StatusCode, fmt.Errorf("it answered HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading it: %w", err)
	}
	if len(b) > maxDocument {
		return resp.StatusCode, fmt.Errorf("the document is larger than %d bytes", maxDocument)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return resp.StatusCode, errors.New("the document is not the expected JSON")
	}
	return resp.StatusCode, nil
}

// pick chooses the key for a token: by key id, or, when the token names
// none, the only key that fits the algorithm. A key's own alg, when it has
// one, must be the token's.
func pick(keys []jose.JSONWebKey, kid string, alg jose.SignatureAlgorithm) (*jose.JSONWebKey, error) {
	var found *jose.JSONWebKey
	n := 0
	for i := range keys {
		k := &keys[i]
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != string(alg) {
			continue
		}
		if !fits(k, alg) {
			continue
		}
		found = k
		n++
	}
	if n == 1 || (n > 1 && kid != "") {
		return found, nil
	}
	return nil, errUnknownKey
}
