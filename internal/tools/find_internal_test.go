package tools

import (
	"reflect"
	"strings"
	"testing"
)

// TestThesaurusNamesRealTools: every tool the thesaurus names exists, and
// every phrase it matches on covers at least one tool, so an entry cannot
// rot silently when the catalog changes.
func TestThesaurusNamesRealTools(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tl := range all {
		names[tl.Name] = true
	}
	for i, c := range thesaurus {
		for _, n := range c.tools {
			if !names[n] {
				t.Errorf("thesaurus entry %d names %s, which is not a tool", i, n)
			}
		}
		for _, p := range c.on {
			covered := false
			for _, tl := range all {
				if (concept{on: []string{p}}).covers(tl, append(words(tl.Name), words(tl.Title)...)) {
					covered = true
					break
				}
			}
			if !covered {
				t.Errorf("thesaurus phrase %q (entry %d: %s…) covers no tool", p, i, strings.Join(c.words[:min(3, len(c.words))], ", "))
			}
		}
	}
}

func TestTermsFoldAndSplit(t *testing.T) {
	for in, want := range map[string][]string{
		"ListRealTimeAgent":    {"list", "real", "list real", "time", "real time", "agent", "time agent"},
		"GetTURNCredentials":   {"get", "turn", "get turn", "credential", "turn credential"},
		"who is stuck":         {"who is", "stuck"},
		"our DIDs":             {"did"},
		"queues and statuses":  {"queue", "status", "queue status"},
		"logged in | sign out": {"logged in", "logged", "sign out", "sign"},
		"坐席状态":                 {"坐席", "席状", "坐席 席状", "状态", "席状 状态"},
	} {
		if got := terms(in); !reflect.DeepEqual(got, want) {
			t.Errorf("terms(%q) = %q, want %q", in, got, want)
		}
	}
}
