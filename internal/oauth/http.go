package oauth

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/cccops/cccops/internal/policy"
)

// Metadata is the protected resource metadata document (RFC 9728 §2).
type Metadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// Metadata returns the document served at MetadataURL.
func (s *Server) Metadata() Metadata {
	return Metadata{
		Resource:               s.cfg.Resource,
		AuthorizationServers:   s.issuerURLs(),
		ScopesSupported:        ScopesSupported,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "cccops: Alibaba Cloud Call Center tools",
	}
}

// ServeMetadata answers requests for the metadata document (at
// /.well-known/oauth-protected-resource and its path-suffixed form) and
// reports whether r was one. The document is public: any origin may read it.
func (s *Server) ServeMetadata(w http.ResponseWriter, r *http.Request) bool {
	if !s.metaPaths[strings.TrimSuffix(r.URL.Path, "/")] {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Mcp-Protocol-Version")
		w.WriteHeader(http.StatusNoContent)
		return true
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		plain(w, http.StatusMethodNotAllowed, "the resource metadata is read with GET")
		return true
	}
	b, _ := json.MarshalIndent(s.Metadata(), "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(append(b, '\n'))
	}
	return true
}

// Authenticate checks the request's bearer token. On success it returns the
// principal; otherwise it writes the refusal (401 or 403 with a
// WWW-Authenticate challenge pointing to the metadata, or 503 when the keys
// cannot be fetched) and returns false.
func (s *Server) Authenticate(w http.ResponseWriter, r *http.Request) (policy.Principal, bool) {
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	tok = strings.TrimSpace(tok)
	if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		s.Refuse(w, &Refusal{Status: http.StatusUnauthorized, Description: "missing bearer token: sign in through your identity provider (the client finds it from " + s.metaURL + ") and send Authorization: Bearer <access token>"})
		return policy.Principal{}, false
	}
	p, ref := s.Verify(r.Context(), tok)
	if ref == nil && len(p.Scopes) == 0 {
		ref = &Refusal{Status: http.StatusForbidden, Code: "insufficient_scope", Scope: policy.ScopeRead,
			Description: "the access token carries neither ccc:read nor ccc:write; sign in again granting at least ccc:read"}
	}
	if ref != nil {
		s.log.Debug("oauth: token refused", "status", ref.Status, "reason", ref.Description)
		s.Refuse(w, ref)
		return policy.Principal{}, false
	}
	return p, true
}

// Refuse writes a refusal with its challenge.
func (s *Server) Refuse(w http.ResponseWriter, ref *Refusal) {
	if ref.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "30")
	} else {
		w.Header().Set("WWW-Authenticate", s.challenge(ref))
	}
	plain(w, ref.Status, ref.Description)
}

// challenge is the WWW-Authenticate value (RFC 6750 §3, RFC 9728 §5.1).
func (s *Server) challenge(ref *Refusal) string {
	var parts []string
	if ref.Code != "" {
		parts = append(parts, `error="`+ref.Code+`"`, `error_description="`+quoteSafe(ref.Description)+`"`)
	}
	scope := ref.Scope
	if ref.Code == "" {
		scope = strings.Join(ScopesSupported, " ")
	}
	if scope != "" {
		parts = append(parts, `scope="`+scope+`"`)
	}
	parts = append(parts, `resource_metadata="`+s.metaURL+`"`)
	return "Bearer " + strings.Join(parts, ", ")
}

// quoteSafe keeps a description inside an RFC 6750 quoted string: printable
// ASCII without '"' or '\'.
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '\''
		}
		return r
	}, s)
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}
