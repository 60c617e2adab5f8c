package store

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The schema of each SQL engine is a list of migrations, one file each,
// named NNNN_what.sql and numbered from 1 without gaps. The version of a
// database is the number of the last migration applied to it; a store
// applies the missing ones at open, in one transaction, and refuses a
// database newer than it knows.
//
//go:embed migrations
var migrationFiles embed.FS

// migrations returns the migration scripts of an engine ("sqlite",
// "postgres"), the one for version v at index v-1.
func migrations(engine string) ([]string, error) {
	dir := path.Join("migrations", engine)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	out := make([]string, 0, len(names))
	for i, name := range names {
		num, _, _ := strings.Cut(name, "_")
		if n, err := strconv.Atoi(num); err != nil || n != i+1 {
			return nil, fmt.Errorf("store: migration %s/%s is out of sequence (want number %d)", dir, name, i+1)
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

func errSchemaNewer(where string, have, know int) error {
	return fmt.Errorf("store: %s has schema version %d, newer than this build knows (%d): run the newer cccops build that migrated it, or point this one at another store", where, have, know)
}
