package docs

import (
	"strings"
	"testing"
	"unicode"

	"github.com/cccops/cccops/internal/ccc/spec"
)

const (
	maxTitleChars      = 40
	maxDescriptionByte = 230
)

func loadSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, err := spec.LoadSpec()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	return s
}

// hasHan reports whether text holds a Chinese (Han) character.
func hasHan(text string) bool {
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// checkText applies the rules every piece of our text must follow.
func checkText(t *testing.T, where, text string) {
	t.Helper()
	if strings.TrimSpace(text) == "" {
		t.Errorf("%s: empty text", where)
	}
	if strings.Contains(text, "`") {
		t.Errorf("%s: holds a backquote (it would break the generated struct tag): %q", where, text)
	}
	if hasHan(text) {
		t.Errorf("%s: holds Chinese characters; the spec's summary is appended elsewhere: %q", where, text)
	}
	if text != strings.TrimSpace(text) || strings.Contains(text, "\n") {
		t.Errorf("%s: leading/trailing space or newline: %q", where, text)
	}
}

func TestEveryActionHasTitleAndDescription(t *testing.T) {
	s := loadSpec(t)
	if len(s.Actions) != 89 {
		t.Fatalf("spec has %d actions, want 89", len(s.Actions))
	}
	for _, a := range s.Actions {
		d, ok := Actions()[a.Name]
		if !ok {
			t.Errorf("%s: no entry in Actions", a.Name)
			continue
		}
		checkText(t, a.Name+" title", d.Title)
		checkText(t, a.Name+" description", d.Description)
		if n := len([]rune(d.Title)); n > maxTitleChars {
			t.Errorf("%s: title is %d characters, limit %d: %q", a.Name, n, maxTitleChars, d.Title)
		}
		if n := len(d.Description); n > maxDescriptionByte {
			t.Errorf("%s: description is %d bytes, limit %d: %q", a.Name, n, maxDescriptionByte, d.Description)
		}
		if n := strings.Count(d.Description, ". ") + 1; n > 3 {
			t.Errorf("%s: description has about %d sentences, limit 3", a.Name, n)
		}
	}
}

// Non-read actions must tell the reader about their risk and the confirmation.
func TestRiskyActionsSayAHumanMustConfirm(t *testing.T) {
	for _, a := range loadSpec(t).Actions {
		d := Actions()[a.Name].Description
		switch a.Access {
		case "write", "destructive", "external":
			if !strings.Contains(d, "human must confirm") {
				t.Errorf("%s (%s): description does not say a human must confirm: %q", a.Name, a.Access, d)
			}
		case "secret":
			if !strings.Contains(strings.ToLower(d), "secret") && !strings.Contains(strings.ToLower(d), "private") {
				t.Errorf("%s (secret): description does not warn that the result is secret: %q", a.Name, d)
			}
		}
	}
}

func TestNoActionDocForUnknownAction(t *testing.T) {
	s := loadSpec(t)
	for name := range Actions() {
		if s.Action(name) == nil {
			t.Errorf("Actions has %q, which is not an action of the spec", name)
		}
	}
}

func TestEveryParameterHasADescription(t *testing.T) {
	for _, a := range loadSpec(t).Actions {
		for _, p := range a.Params {
			d := ParamDescription(a.Name, p.Name)
			checkText(t, a.Name+"."+p.Name, d)
			if len(d) > 160 {
				t.Errorf("%s.%s: description is %d bytes; keep parameter text short (budget)", a.Name, p.Name, len(d))
			}
		}
	}
}

func TestGlossaryEntriesAreUsed(t *testing.T) {
	used := map[string]bool{}
	for _, a := range loadSpec(t).Actions {
		for _, p := range a.Params {
			if _, over := Overrides()[a.Name][p.Name]; !over {
				used[p.Name] = true
			}
		}
	}
	for name, text := range Glossary() {
		checkText(t, "Glossary."+name, text)
		if !used[name] {
			t.Errorf("Glossary.%s is never shown: no action uses it without an override", name)
		}
	}
}

func TestOverrideKeysNameRealParameters(t *testing.T) {
	s := loadSpec(t)
	for action, params := range Overrides() {
		a := s.Action(action)
		if a == nil {
			t.Errorf("Overrides: unknown action %q", action)
			continue
		}
		for param, text := range params {
			if paramOf(a, param) == nil {
				t.Errorf("Overrides: %s has no parameter %q", action, param)
			}
			checkText(t, "Overrides."+action+"."+param, text)
		}
	}
}

func paramOf(a *spec.Action, name string) *spec.Param {
	for i := range a.Params {
		if a.Params[i].Name == name {
			return &a.Params[i]
		}
	}
	return nil
}

// resolveKey checks an "Action.Param" or "*.Param" key and returns the
// parameters it applies to.
func resolveKey(t *testing.T, s *spec.Spec, table, key string) []*spec.Param {
	t.Helper()
	action, param, ok := strings.Cut(key, ".")
	if !ok || action == "" || param == "" {
		t.Errorf("%s: key %q is not Action.Param or *.Param", table, key)
		return nil
	}
	var out []*spec.Param
	if action == "*" {
		for _, a := range s.Actions {
			if p := paramOf(a, param); p != nil {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			t.Errorf("%s: %q matches no parameter of any action", table, key)
		}
		return out
	}
	a := s.Action(action)
	if a == nil {
		t.Errorf("%s: %q names unknown action %s", table, key, action)
		return nil
	}
	p := paramOf(a, param)
	if p == nil {
		t.Errorf("%s: %q: action %s has no parameter %s", table, key, action, param)
		return nil
	}
	return []*spec.Param{p}
}

func TestEnumKeysAndValues(t *testing.T) {
	s := loadSpec(t)
	for key, values := range Enums() {
		ps := resolveKey(t, s, "Enums", key)
		for _, p := range ps {
			if p.Type != "string" && !(p.Type == "array" && p.Items == "string") {
				t.Errorf("Enums %q: parameter is %s/%s; the generator only bakes string enums (use Bounds for integers)", key, p.Type, p.Items)
			}
		}
		if len(values) == 0 {
			t.Errorf("Enums %q: empty set", key)
		}
		seen := map[string]bool{}
		for _, v := range values {
			// Values travel inside a jsonschema struct tag split on "," and "=".
			if v == "" || strings.ContainsAny(v, ",=`\" ") {
				t.Errorf("Enums %q: value %q cannot be carried in a struct tag", key, v)
			}
			if seen[v] {
				t.Errorf("Enums %q: duplicate value %q", key, v)
			}
			seen[v] = true
		}
	}
}

func TestBoundKeysAndRanges(t *testing.T) {
	s := loadSpec(t)
	for key, b := range Bounds() {
		for _, p := range resolveKey(t, s, "Bounds", key) {
			if p.Type != "integer" && !(p.Type == "array" && p.Items == "integer") {
				t.Errorf("Bounds %q: parameter is %s/%s, not an integer", key, p.Type, p.Items)
			}
		}
		if b.Min == nil && b.Max == nil {
			t.Errorf("Bounds %q: neither end set", key)
		}
		if b.Min != nil && b.Max != nil && *b.Min > *b.Max {
			t.Errorf("Bounds %q: min %d > max %d", key, *b.Min, *b.Max)
		}
	}
}

func TestLookupPrefersPerActionEntries(t *testing.T) {
	// An override wins over the glossary.
	if got, want := ParamDescription("ListAgentStateLogs", "RamId"), Overrides()["ListAgentStateLogs"]["RamId"]; got != want || got == Glossary()["RamId"] {
		t.Errorf("ParamDescription(ListAgentStateLogs, RamId) = %q, want the override %q", got, want)
	}
	// Without an override the glossary answers.
	if got := ParamDescription("GetInstance", "InstanceId"); got != Glossary()["InstanceId"] || got == "" {
		t.Errorf("ParamDescription(GetInstance, InstanceId) = %q, want glossary entry", got)
	}
	if got := ParamDescription("GetInstance", "NoSuchParam"); got != "" {
		t.Errorf("unknown parameter got description %q", got)
	}
	// Per-action bound wins over the wildcard.
	b, ok := ParamBound("ListAgentStates", "PageSize")
	if !ok || b.Max == nil || *b.Max != 100 {
		t.Errorf("ParamBound(ListAgentStates, PageSize) = %+v, %v; want max 100", b, ok)
	}
	if b, ok := ParamBound("ListUsers", "PageNumber"); !ok || b.Min == nil || *b.Min != 1 {
		t.Errorf("ParamBound(ListUsers, PageNumber) = %+v, %v; want the *.PageNumber min 1", b, ok)
	}
	if e := ParamEnum("ListAgentStates", "State"); len(e) == 0 {
		t.Error("ParamEnum(ListAgentStates, State) is empty")
	}
	if e := ParamEnum("GetInstance", "InstanceId"); e != nil {
		t.Errorf("ParamEnum(GetInstance, InstanceId) = %v, want none", e)
	}
}
