package main

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/cccops/cccops/internal/ccc/sim"
)

// TestStoreSectionPrintsFiguresForEachStore runs the store figures alone,
// at a tiny size, on memory and SQLite, and checks that every table has a
// row of numbers per store and that the goals are judged for SQLite.
func TestStoreSectionPrintsFiguresForEachStore(t *testing.T) {
	var errOut bytes.Buffer
	o, err := parse([]string{"--stores", "sqlite", "--rounds", "20", "--calls", "80"}, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.store.engines, []string{"memory", "sqlite"}) {
		t.Fatalf("--stores sqlite measures %v, want memory (the baseline) and sqlite", o.store.engines)
	}
	srv, err := sim.Start("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var out bytes.Buffer
	r := &report{w: tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)}
	if err := storeFigures(context.Background(), o, srv, nil, r); err != nil {
		t.Fatal(err)
	}
	r.w.Flush()
	got := out.String()
	for _, title := range []string{
		"Gate + store: one GetUser over MCP streamable HTTP",
		"with 8 clients, one principal (bearer token) each",
		"with 8 clients, all one principal",
		"one confirmed write at the gate",
	} {
		i := strings.Index(got, title)
		if i < 0 {
			t.Errorf("no section %q", title)
			continue
		}
		section, _, _ := strings.Cut(got[i:], "\n\n")
		for _, store := range []string{"memory", "sqlite"} {
			if !regexp.MustCompile(`(?m)^  ` + store + ` +[0-9]+( µs)? +[0-9]+ µs +[0-9.]+ `).MatchString(section) {
				t.Errorf("section %q has no row of numbers for %s:\n%s", title, store, section)
			}
		}
	}
	goals := strings.Join(r.goals, "\n")
	for _, want := range []string{"store read cost at p50, sqlite", "store throughput over HTTP, 8 clients, sqlite"} {
		if !strings.Contains(goals, want) {
			t.Errorf("no goal %q in\n%s", want, goals)
		}
	}
	if strings.Contains(goals, "postgres") || strings.Contains(got, "postgres") {
		t.Errorf("postgres was not asked for, yet it is reported:\n%s\n%s", got, goals)
	}
	if t.Failed() || testing.Verbose() {
		t.Log(got)
	}
}

func TestStoresFlagIsChecked(t *testing.T) {
	var errOut bytes.Buffer
	for _, bad := range []string{"mysql", "memory,,sqlite"} {
		if _, err := parse([]string{"--stores", bad}, &errOut); err == nil {
			t.Errorf("--stores %q was accepted", bad)
		}
	}
	o, err := parse([]string{"--stores", "none"}, &errOut)
	if err != nil || len(o.store.engines) != 0 {
		t.Errorf("--stores none measures %v (%v)", o.store.engines, err)
	}
	o, err = parse(nil, &errOut)
	if err != nil || !slices.Equal(o.store.engines, []string{"memory", "sqlite", "postgres"}) {
		t.Errorf("the default stores are %v (%v)", o.store.engines, err)
	}
}
