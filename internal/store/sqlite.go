//go:build !nosqlstores

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite is the store of one host: a file that every process on the host
// opens (the MCP server and the Slack bot), in WAL mode so readers never
// wait for the writer. Pure Go (modernc.org/sqlite), no cgo.
//
// Every change runs in a BEGIN IMMEDIATE transaction: it takes the file's
// write lock before it reads, so of two processes settling one request the
// second reads the first one's answer and gets a *ConflictError. Within a
// process, writers queue on a mutex instead of on the file lock; across
// processes they wait up to the busy timeout (5 s).
//
// Times are stored as unix milliseconds (UTC) and expiry is decided by
// Options.Now (default time.Now), so the processes sharing a file must
// agree on the time, which one host does. Wait polls every
// Options.PollEvery (default 200 ms) for changes by other processes and
// wakes at once on changes made through the same store.
//
// Durability: synchronous=NORMAL. A committed change survives the process
// being killed (kill -9); the last changes before a power cut or an OS
// crash may be lost. The file and its -wal and -shm companions are
// created readable by their owner only (0600).
type SQLite struct {
	opt  Options
	path string
	db   *sql.DB

	wmu     sync.Mutex // one writer at a time in this process
	cmu     sync.Mutex
	changed chan struct{} // closed and replaced on every change made here (Wait)
	closed  atomic.Bool
}

// SQLiteBusyTimeout is how long a change waits for another process's write
// transaction before it fails.
const SQLiteBusyTimeout = 5 * time.Second

// OpenSQLite opens (creating if need be) the store in the file at path and
// creates or migrates its schema.
func OpenSQLite(path string, opt Options) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("store: sqlite needs a file: use sqlite:/var/lib/cccops/state.db")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: the SQLite file name %q holds '?' or '#'; choose a name without them", path)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: cannot create the folder of the SQLite file %s: %w", path, err)
	}
	// Create the file ourselves so that it, and the -wal and -shm files
	// SQLite gives the same mode, are readable by their owner only.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: cannot open the SQLite file %s: %w; check the path and that this user may write there", path, err)
	}
	f.Close()

	dsn := path + fmt.Sprintf("?_busy_timeout=%d&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate", SQLiteBusyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: cannot open the SQLite file %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := &SQLite{opt: opt.withDefaults(), path: path, db: db, changed: make(chan struct{})}
	// Processes opening a fresh file at once race to turn it to WAL: SQLite
	// answers one of them SQLITE_BUSY at once, without waiting the busy
	// timeout, where waiting could deadlock (8 opens at once failed in about
	// one run in 40). Try again, within the busy timeout, on a new connection.
	deadline := time.Now().Add(SQLiteBusyTimeout)
	for {
		err := s.migrate()
		if err == nil {
			return s, nil
		}
		var le *lockedError
		if !errors.As(err, &le) || time.Now().After(deadline) {
			db.Close()
			return nil, err
		}
		time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
	}
}

func (s *SQLite) migrate() error {
	scripts, err := migrations("sqlite")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*SQLiteBusyTimeout)
	defer cancel()
	return s.write(ctx, func(tx *sql.Tx, _ time.Time) error {
		var have int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
			return err
		}
		if have > len(scripts) {
			return errSchemaNewer("the SQLite file "+s.path, have, len(scripts))
		}
		for v := have + 1; v <= len(scripts); v++ {
			if _, err := tx.ExecContext(ctx, scripts[v-1]); err != nil {
				return fmt.Errorf("migration to schema version %d: %w", v, err)
			}
		}
		if have < len(scripts) {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(scripts))); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *SQLite) now() time.Time {
	if s.opt.Now != nil {
		return s.opt.Now()
	}
	return time.Now()
}

// lockedError is SQLite's SQLITE_BUSY or SQLITE_LOCKED, in words.
type lockedError struct{ path string }

func (e *lockedError) Error() string {
	return fmt.Sprintf("store: the SQLite file %s stayed locked by another process for more than %v; check for a process holding it in a long transaction, and that the file is on a local disk (not a network share)", e.path, SQLiteBusyTimeout)
}

// fail turns a driver error into one that says what to check.
func (s *SQLite) fail(err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return errClosed
	}
	var ce *ConflictError
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) || errors.As(err, &ce) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || strings.HasPrefix(err.Error(), "store: ") {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return &lockedError{path: s.path}
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("store: cannot write the SQLite file %s (%v); check that this user owns it and its folder", s.path, se)
		case sqlite3.SQLITE_FULL:
			return fmt.Errorf("store: the disk of the SQLite file %s is full", s.path)
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("store: %s is not a usable SQLite file (%v); restore it from a backup or point the store at a new file", s.path, se)
		}
	}
	return fmt.Errorf("store: SQLite file %s: %w", s.path, err)
}

// write runs fn in one BEGIN IMMEDIATE transaction, holding this process's
// writer mutex; now is read after the lock is held.
func (s *SQLite) write(ctx context.Context, fn func(tx *sql.Tx, now time.Time) error) error {
	if s.closed.Load() {
		return errClosed
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(err)
	}
	if err := fn(tx, s.now()); err != nil {
		tx.Rollback()
		return s.fail(err)
	}
	return s.fail(tx.Commit())
}

func (s *SQLite) notify() {
	s.cmu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.cmu.Unlock()
}

func (s *SQLite) changes() <-chan struct{} {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.changed
}

const sqliteReqColumns = `id, kind, state, requester, requester_name, surface, action, tool, instance, digest, args,
	preview, four_eyes, rule, approvers, meta, created_ms, expires_ms, updated_ms, changed_by, approver, reason,
	result, ccc_request_id, error`

type rowScanner interface{ Scan(dest ...any) error }

func scanSQLiteRequest(sc rowScanner) (*Request, error) {
	var (
		r                         Request
		state                     string
		fourEyes                  int
		created, expires, updated int64
		args, approvers, meta     []byte
		result                    []byte
	)
	err := sc.Scan(&r.ID, &r.Kind, &state, &r.Requester, &r.RequesterName, &r.Surface, &r.Action, &r.Tool, &r.Instance,
		&r.Digest, &args, &r.Preview, &fourEyes, &r.Rule, &approvers, &meta, &created, &expires, &updated, &r.By,
		&r.Approver, &r.Reason, &result, &r.RequestID, &r.Error)
	if err != nil {
		return nil, err
	}
	r.State = State(state)
	r.FourEyes = fourEyes != 0
	r.Args, r.Approvers, r.Meta, r.Result = args, approvers, meta, result
	r.CreatedAt, r.ExpiresAt, r.UpdatedAt = fromMS(created), fromMS(expires), fromMS(updated)
	return &r, nil
}

func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// blob keeps nil as NULL.
func blob(b []byte) any {
	if b == nil {
		return nil
	}
	return []byte(b)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *SQLite) getTx(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (*Request, error) {
	r, err := scanSQLiteRequest(q.QueryRowContext(ctx, "SELECT "+sqliteReqColumns+" FROM requests WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return r, err
}

// saveTx writes the fields a Move changes.
func saveTx(ctx context.Context, tx *sql.Tx, r *Request) error {
	_, err := tx.ExecContext(ctx, `UPDATE requests SET state = ?, updated_ms = ?, changed_by = ?, approver = ?, reason = ?,
		result = ?, ccc_request_id = ?, error = ?, meta = ? WHERE id = ?`,
		string(r.State), r.UpdatedAt.UnixMilli(), r.By, r.Approver, r.Reason, blob(r.Result), r.RequestID, r.Error,
		blob(r.Meta), r.ID)
	return err
}

// Create implements Store.
func (s *SQLite) Create(ctx context.Context, r *Request) error {
	if r.ID == "" || r.ExpiresAt.IsZero() {
		return errIncomplete
	}
	state := r.State
	if state == "" {
		state = Pending
	}
	if !state.Valid() {
		return errBadState(state)
	}
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO requests (`+sqliteReqColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			r.ID, r.Kind, string(state), r.Requester, r.RequesterName, r.Surface, r.Action, r.Tool, r.Instance, r.Digest,
			blob(r.Args), r.Preview, boolInt(r.FourEyes), r.Rule, blob(r.Approvers), blob(r.Meta), now.UnixMilli(),
			r.ExpiresAt.UnixMilli(), now.UnixMilli(), r.By, r.Approver, r.Reason, blob(r.Result), r.RequestID, r.Error)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrExists
		}
		return nil
	})
	if err == nil {
		s.notify()
	}
	return err
}

// Get implements Store. Expiry shows, but only Move and Sweep store it.
func (s *SQLite) Get(ctx context.Context, id string) (*Request, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	r, err := s.getTx(ctx, s.db, id)
	if err != nil {
		return nil, s.fail(err)
	}
	return seenAt(r, s.now()), nil
}

// Move implements Store.
func (s *SQLite) Move(ctx context.Context, id string, from []State, to State, ch Change) (*Request, error) {
	if !to.Valid() {
		return nil, errBadState(to)
	}
	var (
		r        *Request
		conflict bool
	)
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var err error
		if r, err = s.getTx(ctx, tx, id); err != nil {
			return err
		}
		switch {
		case to != Expired && r.expiredAt(now):
			r.apply(Expired, Change{Reason: ExpiredReason}, now)
			conflict = true
		case !slices.Contains(from, r.State):
			conflict = true
			return nil
		default:
			r.apply(to, ch, now)
		}
		return saveTx(ctx, tx, r)
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	if conflict {
		return nil, &ConflictError{Current: r, Wanted: to}
	}
	return r, nil
}

func expireDueTx(ctx context.Context, tx *sql.Tx, now time.Time) ([]*Request, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+sqliteReqColumns+` FROM requests
		WHERE state IN ('pending', 'approved') AND expires_ms <= ? ORDER BY id`, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	var expired []*Request
	for rows.Next() {
		r, err := scanSQLiteRequest(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		expired = append(expired, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range expired {
		r.apply(Expired, Change{Reason: ExpiredReason}, now)
		if err := saveTx(ctx, tx, r); err != nil {
			return nil, err
		}
	}
	return expired, nil
}

// List implements Store. Expiry shows as in Get, and a state filter
// selects by the state shown.
func (s *SQLite) List(ctx context.Context, q Query) ([]*Request, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	now := s.now()
	var (
		where []string
		args  []any
	)
	if len(q.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(q.States)), ", ")
		where = append(where, "(CASE WHEN state IN ('pending', 'approved') AND expires_ms <= ? THEN 'expired' ELSE state END) IN ("+marks+")")
		args = append(args, now.UnixMilli())
		for _, st := range q.States {
			args = append(args, string(st))
		}
	}
	if q.Kind != "" {
		where = append(where, "kind = ?")
		args = append(args, q.Kind)
	}
	if q.Requester != "" {
		where = append(where, "requester = ?")
		args = append(args, q.Requester)
	}
	query := "SELECT " + sqliteReqColumns + " FROM requests"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query += " ORDER BY created_ms, id LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	var out []*Request
	for rows.Next() {
		r, err := scanSQLiteRequest(rows)
		if err != nil {
			return nil, s.fail(err)
		}
		out = append(out, seenAt(r, now))
	}
	return out, s.fail(rows.Err())
}

// Wait implements Store.
func (s *SQLite) Wait(ctx context.Context, id string, while []State) (*Request, error) {
	for {
		changed := s.changes()
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(while, r.State) {
			return r, nil
		}
		t := time.NewTimer(s.opt.PollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// Once implements Store.
func (s *SQLite) Once(ctx context.Context, kind, key string, expires time.Time) (bool, error) {
	var recorded bool
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO once_keys (kind, key, expires_ms) VALUES (?, ?, ?)
			ON CONFLICT (kind, key) DO UPDATE SET expires_ms = excluded.expires_ms WHERE once_keys.expires_ms <= ?`,
			kind, key, expires.UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		recorded = n == 1
		return err
	})
	return recorded, err
}

// Take implements Store.
func (s *SQLite) Take(ctx context.Context, buckets []Bucket) (int, time.Duration, error) {
	limited, worst := -1, time.Duration(0)
	if len(buckets) == 0 {
		return limited, worst, nil
	}
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		keys := make([]any, len(buckets))
		for i, b := range buckets {
			keys[i] = b.Key
		}
		rows, err := tx.QueryContext(ctx, `SELECT key, n, per_ms, tokens, last_ms FROM buckets WHERE key IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")+`)`, keys...)
		if err != nil {
			return err
		}
		stored := map[string]bucketState{}
		for rows.Next() {
			var (
				key       string
				st        bucketState
				n, per    int64
				tok       float64
				lastMilli int64
			)
			if err := rows.Scan(&key, &n, &per, &tok, &lastMilli); err != nil {
				rows.Close()
				return err
			}
			st.b = Bucket{Key: key, N: int(n), Per: time.Duration(per) * time.Millisecond}
			st.tokens, st.last = tok, fromMS(lastMilli)
			stored[key] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var states map[string]*bucketState
		states, limited, worst = drawBuckets(buckets, stored, now)
		for key, st := range states {
			if _, err := tx.ExecContext(ctx, `INSERT INTO buckets (key, n, per_ms, tokens, last_ms) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET n = excluded.n, per_ms = excluded.per_ms, tokens = excluded.tokens, last_ms = excluded.last_ms`,
				key, st.b.N, st.b.Per.Milliseconds(), st.tokens, now.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return -1, 0, err
	}
	return limited, worst, nil
}

// Sweep implements Store.
func (s *SQLite) Sweep(ctx context.Context) ([]*Request, error) {
	var expired []*Request
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var err error
		if expired, err = expireDueTx(ctx, tx, now); err != nil {
			return err
		}
		ms := now.UnixMilli()
		if _, err := tx.ExecContext(ctx, `DELETE FROM requests WHERE state IN ('denied', 'declined', 'cancelled', 'expired', 'done', 'failed')
			AND updated_ms < ?`, ms-s.opt.Retention.Milliseconds()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM once_keys WHERE expires_ms <= ?`, ms); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM buckets WHERE per_ms <= 0 OR tokens + n * 1.0 * (? - last_ms) / per_ms >= n`, ms)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(expired) > 0 {
		s.notify()
	}
	return expired, nil
}

// Count implements Counter.
func (s *SQLite) Count(ctx context.Context) (Counts, error) {
	if s.closed.Load() {
		return Counts{}, errClosed
	}
	c := Counts{Requests: map[State]int{}}
	rows, err := s.db.QueryContext(ctx, `SELECT state, count(*) FROM requests GROUP BY state`)
	if err != nil {
		return c, s.fail(err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return c, s.fail(err)
		}
		c.Requests[State(st)] = n
	}
	rows.Close()
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM once_keys), (SELECT count(*) FROM buckets)`).Scan(&c.OnceKeys, &c.Buckets); err != nil {
		return c, s.fail(err)
	}
	return c, nil
}

// Now implements Store.
func (s *SQLite) Now(context.Context) (time.Time, error) { return s.now(), nil }

// Ping implements Store.
func (s *SQLite) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	var n int
	return s.fail(s.db.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM requests LIMIT 1)").Scan(&n))
}

// Name implements Store.
func (s *SQLite) Name() string { return "sqlite:" + s.path }

// Path is the file the store is kept in.
func (s *SQLite) Path() string { return s.path }

// Close implements Store.
func (s *SQLite) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.db.Close()
}
