//go:build nosqlstores

package store

import "errors"

// Built with -tags nosqlstores (the fuzz runs, which never open a SQL
// store and need not compile its drivers): only the memory store exists.

var errNoSQL = errors.New("store: this build has no SQL stores (it was built with -tags nosqlstores); use memory, or a build without that tag")

// OpenSQLite is not in this build.
func OpenSQLite(string, Options) (Store, error) { return nil, errNoSQL }

// OpenPostgres is not in this build.
func OpenPostgres(string, Options) (Store, error) { return nil, errNoSQL }
