package slack

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// The manifest in the repository must point Slack at the routes this bot
// serves and ask for exactly the scopes it uses.
func TestManifestMatchesTheBot(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "slack", "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command, URL string
			} `yaml:"slash_commands"`
		}
		OAuthConfig struct {
			Scopes struct{ Bot []string }
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				IsEnabled  bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			}
		}
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/ccc" {
		t.Fatalf("slash commands %+v", m.Features.SlashCommands)
	}
	scopes := slices.Sorted(slices.Values(m.OAuthConfig.Scopes.Bot))
	if !slices.Equal(scopes, []string{"chat:write", "commands", "files:write", "usergroups:read"}) {
		t.Errorf("scopes %v", scopes)
	}
	if !m.Settings.Interactivity.IsEnabled {
		t.Error("interactivity is off: the buttons would not work")
	}
	e := newEnv(t, envOpts{})
	h := e.bot.Handler()
	for _, u := range []string{m.Features.SlashCommands[0].URL, m.Settings.Interactivity.RequestURL} {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "https" {
			t.Fatalf("%q is not an https URL", u)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, pu.Path, nil))
		if rec.Code != http.StatusUnauthorized { // the route exists and wants a signature
			t.Errorf("%s: %d", pu.Path, rec.Code)
		}
	}
}
