package store

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Open opens the store a setting names: "memory", "sqlite:PATH" or a
// PostgreSQL URL ("postgres://…", "postgresql://…"). SQL stores create or
// migrate their schema before they return; a store that cannot be opened
// or migrated is an error — never a silent fall back to memory.
func Open(setting string, opt Options) (Store, error) {
	s := strings.TrimSpace(setting)
	switch {
	case s == "" || s == "memory":
		return NewMemory(opt), nil
	case strings.HasPrefix(s, "sqlite:"):
		path := strings.TrimPrefix(s, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return nil, errors.New("store: sqlite needs a file: use sqlite:/var/lib/cccops/state.db")
		}
		return OpenSQLite(path, opt)
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return OpenPostgres(s, opt)
	}
	return nil, fmt.Errorf("store: %q is not a store: use memory, sqlite:PATH or postgres://user@host:5432/db", redactURL(s))
}

// redactURL returns s with any password dropped: the one in the user part
// (user:secret@host) and a password=… query parameter. What cannot be parsed
// as a URL is not echoed at all beyond its scheme, since it may hold a
// password in a shape we do not recognise.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.Index(s, "://"); i > 0 && !strings.ContainsAny(s[:i], ":@/") {
			return s[:i] + "://(an address that cannot be read)"
		}
		return "(a setting that cannot be read)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.User(u.User.Username())
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		if q.Has("password") {
			q.Del("password")
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}
