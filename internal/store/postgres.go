//go:build !nosqlstores

package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the store of replicas on several hosts: every replica opens
// the same database. Settling is one UPDATE … WHERE state = ANY(from), so
// of two replicas moving one request the database lets one win; Take locks
// its buckets (SELECT … FOR UPDATE) so the limit holds across replicas
// exactly.
//
// Every change to a request is announced with pg_notify (a trigger, so no
// writer can forget); each store keeps one connection LISTENing and wakes
// the Waits of this process, and Wait looks again every few seconds in
// case a notification was lost with a connection.
//
// The clock that decides expiry is Options.Now when set (tests), else the
// database's: replicas whose own clocks disagree still agree on expiry.
type Postgres struct {
	opt      Options
	name     string
	password string // only to scrub it from driver errors
	pool     *pgxpool.Pool
	poll     time.Duration
	lis      *pgListener
	closed   atomic.Bool
}

// PostgresPollEvery is how often Wait looks again when nothing notifies it
// and Options.PollEvery is not set.
const PostgresPollEvery = 2 * time.Second

const pgChannel = "cccops_requests"

// PostgresListenerName is the application_name of the LISTEN connection
// (pg_stat_activity shows one per process).
const PostgresListenerName = "cccops-listen"

// pgMigrationLock is the advisory lock that serializes migrations of
// replicas starting at once ("cccops" in ASCII).
const pgMigrationLock = 0x636363_6f7073

// OpenPostgres connects to the database at url (postgres://… or
// postgresql://…) and creates or migrates its schema.
func OpenPostgres(rawURL string, opt Options) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: cannot read the PostgreSQL address %s: %s; write it as postgres://USER:PASSWORD@HOST:5432/DATABASE",
			redactURL(rawURL), scrub(unwrapParse(err), passwordOf(rawURL)))
	}
	if !strings.Contains(rawURL, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, 10)
	}
	p := &Postgres{
		opt:      opt.withDefaults(),
		name:     pgName(cfg.ConnConfig),
		password: cfg.ConnConfig.Password,
		poll:     PostgresPollEvery,
	}
	if opt.PollEvery > 0 {
		p.poll = opt.PollEvery
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if p.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, p.openError(err, cfg.ConnConfig)
	}
	if err := p.migrate(ctx); err != nil {
		p.pool.Close()
		return nil, p.openError(err, cfg.ConnConfig)
	}
	lcfg := cfg.ConnConfig.Copy()
	lcfg.RuntimeParams["application_name"] = PostgresListenerName
	p.lis = newPGListener(lcfg)
	p.lis.waitUp(5 * time.Second) // not fatal: Wait polls while it is down
	return p, nil
}

func pgName(c *pgx.ConnConfig) string {
	return "postgres://" + net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) + "/" + c.Database
}

func passwordOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		if pw, ok := u.User.Password(); ok {
			return pw
		}
		return u.Query().Get("password")
	}
	return ""
}

func unwrapParse(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && errors.Unwrap(pe) != nil {
		return errors.Unwrap(pe).Error()
	}
	return err.Error()
}

// scrub removes a password from a message, however a driver quoted it.
func scrub(msg, password string) string {
	if len(password) >= 3 {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
		msg = strings.ReplaceAll(msg, url.QueryEscape(password), "xxxxx")
		msg = strings.ReplaceAll(msg, url.PathEscape(password), "xxxxx")
	}
	return msg
}

// openError says what to check when the store cannot be opened.
func (p *Postgres) openError(err error, c *pgx.ConnConfig) error {
	where := fmt.Sprintf("PostgreSQL at %s (database %q, user %q)", net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))), c.Database, c.User)
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "28P01" || pe.Code == "28000":
			return fmt.Errorf("store: %s refused the login: %s; check the user and password in the store URL", where, scrub(pe.Message, p.password))
		case pe.Code == "3D000":
			return fmt.Errorf("store: %s: the database %q does not exist; create it (createdb %s) or fix the name in the store URL", where, c.Database, c.Database)
		case pe.Code == "42501":
			return fmt.Errorf("store: %s: the user may not create the store's tables (%s); grant it CREATE on the database, or migrate once as its owner", where, scrub(pe.Message, p.password))
		case strings.HasPrefix(pe.Code, "53"):
			return fmt.Errorf("store: %s has no room for another connection (%s); raise max_connections or lower pool_max_conns", where, scrub(pe.Message, p.password))
		}
	}
	if strings.HasPrefix(err.Error(), "store: ") {
		return errors.New(scrub(err.Error(), p.password))
	}
	return fmt.Errorf("store: cannot open %s: %s; check that the server runs and accepts connections on that host and port (listen_addresses, pg_hba.conf, firewall), that the user and password are right, and that the database exists",
		where, scrub(pgCause(err), p.password))
}

// pgCause is the innermost words of a connection error, without the
// driver's own preamble.
func pgCause(err error) string {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && errors.Unwrap(ce) != nil {
		err = errors.Unwrap(ce)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message + " (SQLSTATE " + pe.Code + ")"
	}
	return err.Error()
}

// fail turns a driver error met while running into one that says what it
// means.
func (p *Postgres) fail(err error) error {
	if err == nil {
		return nil
	}
	if p.closed.Load() {
		return errClosed
	}
	var ce *ConflictError
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) || errors.As(err, &ce) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || strings.HasPrefix(err.Error(), "store: ") {
		return err
	}
	return fmt.Errorf("store: PostgreSQL %s: %s", p.name, scrub(pgCause(err), p.password))
}

func (p *Postgres) migrate(ctx context.Context) error {
	scripts, err := migrations("postgres")
	if err != nil {
		return err
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// Replicas starting at once take turns; the second finds the work done.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(pgMigrationLock)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS cccops_schema (version integer NOT NULL)"); err != nil {
		return err
	}
	var have int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM cccops_schema").Scan(&have); err != nil {
		return err
	}
	if have > len(scripts) {
		return errSchemaNewer("the PostgreSQL database "+p.name, have, len(scripts))
	}
	if have == len(scripts) {
		return nil
	}
	for v := have + 1; v <= len(scripts); v++ {
		if _, err := tx.Exec(ctx, scripts[v-1]); err != nil {
			return fmt.Errorf("migration to schema version %d: %w", v, err)
		}
	}
	if _, err := tx.Exec(ctx, "DELETE FROM cccops_schema"); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO cccops_schema (version) VALUES ($1)", len(scripts)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// clock is the argument every statement reads the time from: the injected
// clock, or NULL for the database's own (COALESCE($n::timestamptz, now()):
// the start of the statement, or of the transaction in Take).
func (p *Postgres) clock() any {
	if p.opt.Now != nil {
		return p.opt.Now()
	}
	return nil
}

const pgReqColumns = `id, kind, state, requester, requester_name, surface, action, tool, instance, digest, args,
	preview, four_eyes, rule, approvers, meta, created_at, expires_at, updated_at, changed_by, approver, reason,
	result, ccc_request_id, error`

func scanPGRequest(row pgx.Row, extra ...any) (*Request, error) {
	var (
		r     Request
		state string
	)
	dest := []any{&r.ID, &r.Kind, &state, &r.Requester, &r.RequesterName, &r.Surface, &r.Action, &r.Tool, &r.Instance,
		&r.Digest, &r.Args, &r.Preview, &r.FourEyes, &r.Rule, &r.Approvers, &r.Meta, &r.CreatedAt, &r.ExpiresAt,
		&r.UpdatedAt, &r.By, &r.Approver, &r.Reason, &r.Result, &r.RequestID, &r.Error}
	err := row.Scan(append(dest, extra...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.State = State(state)
	r.CreatedAt, r.ExpiresAt, r.UpdatedAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

func collectPGRequests(rows pgx.Rows) ([]*Request, error) {
	defer rows.Close()
	var out []*Request
	for rows.Next() {
		r, err := scanPGRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func bytesOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return []byte(b)
}

func stateStrings(ss []State) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// Create implements Store.
func (p *Postgres) Create(ctx context.Context, r *Request) error {
	if p.closed.Load() {
		return errClosed
	}
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
	tag, err := p.pool.Exec(ctx, `INSERT INTO cccops_requests (`+pgReqColumns+`)
		VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, COALESCE($1::timestamptz, now()), $18,
			COALESCE($1::timestamptz, now()), $19, $20, $21, $22, $23, $24)
		ON CONFLICT (id) DO NOTHING`,
		p.clock(), r.ID, r.Kind, string(state), r.Requester, r.RequesterName, r.Surface, r.Action, r.Tool, r.Instance,
		r.Digest, bytesOrNil(r.Args), r.Preview, r.FourEyes, r.Rule, bytesOrNil(r.Approvers), bytesOrNil(r.Meta),
		r.ExpiresAt, r.By, r.Approver, r.Reason, bytesOrNil(r.Result), r.RequestID, r.Error)
	if err != nil {
		return p.fail(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrExists
	}
	return nil
}

// pgExpireOrGet reads a request, storing its expiry first when it is open
// and past it: one statement (Move, when it did not apply).
var pgExpireOrGet = `WITH c AS (SELECT COALESCE($2::timestamptz, now()) AS now),
	e AS (UPDATE cccops_requests r SET state = 'expired', reason = $3, updated_at = c.now FROM c
		WHERE r.id = $1 AND r.state IN ('pending', 'approved') AND r.expires_at <= c.now
		RETURNING ` + pgReqColumnsOf("r") + `)
	SELECT ` + pgReqColumns + ` FROM e
	UNION ALL
	SELECT ` + pgReqColumns + ` FROM cccops_requests WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM e)`

func pgReqColumnsOf(alias string) string {
	cols := strings.Split(pgReqColumns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// Get implements Store. Expiry shows, by the store's clock, but only Move
// and Sweep store it.
func (p *Postgres) Get(ctx context.Context, id string) (*Request, error) {
	if p.closed.Load() {
		return nil, errClosed
	}
	var now time.Time
	r, err := scanPGRequest(p.pool.QueryRow(ctx, `SELECT `+pgReqColumns+`, COALESCE($2::timestamptz, now()) FROM cccops_requests
		WHERE id = $1`, id, p.clock()), &now)
	if err != nil {
		return nil, p.fail(err)
	}
	return seenAt(r, now), nil
}

// pgMove applies a move when the request is in a state it may move from
// and, unless it is asked to expire, not past its expiry.
var pgMove = `WITH c AS (SELECT COALESCE($1::timestamptz, now()) AS now)
	UPDATE cccops_requests r SET state = $4, updated_at = c.now,
		changed_by = CASE WHEN $5 = '' THEN r.changed_by ELSE $5 END,
		approver = CASE WHEN $6 = '' THEN r.approver ELSE $6 END,
		reason = CASE WHEN $7 = '' THEN r.reason ELSE $7 END,
		result = COALESCE($8::bytea, r.result),
		ccc_request_id = CASE WHEN $9 = '' THEN r.ccc_request_id ELSE $9 END,
		error = CASE WHEN $10 = '' THEN r.error ELSE $10 END,
		meta = COALESCE($11::bytea, r.meta)
	FROM c
	WHERE r.id = $2 AND r.state = ANY($3::text[])
		AND ($4 = 'expired' OR NOT (r.state IN ('pending', 'approved') AND r.expires_at <= c.now))
	RETURNING ` + pgReqColumnsOf("r")

// Move implements Store.
func (p *Postgres) Move(ctx context.Context, id string, from []State, to State, ch Change) (*Request, error) {
	if !to.Valid() {
		return nil, errBadState(to)
	}
	if p.closed.Load() {
		return nil, errClosed
	}
	for attempt := 0; ; attempt++ {
		r, err := scanPGRequest(p.pool.QueryRow(ctx, pgMove, p.clock(), id, stateStrings(from), string(to),
			ch.By, ch.Approver, ch.Reason, bytesOrNil(ch.Result), ch.RequestID, ch.Error, bytesOrNil(ch.Meta)))
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, p.fail(err)
		}
		// Not moved: say why, storing the expiry if that is why.
		cur, err := scanPGRequest(p.pool.QueryRow(ctx, pgExpireOrGet, id, p.clock(), ExpiredReason))
		if err != nil {
			return nil, p.fail(err)
		}
		if cur.State == Expired || !slices.Contains(from, cur.State) || attempt == 2 {
			return nil, &ConflictError{Current: cur, Wanted: to}
		}
		// It is movable now: created or moved back between the two
		// statements. Try again.
	}
}

// List implements Store. Expiry shows as in Get, and a state filter
// selects by the state shown.
func (p *Postgres) List(ctx context.Context, q Query) ([]*Request, error) {
	if p.closed.Load() {
		return nil, errClosed
	}
	var states []string
	if len(q.States) > 0 {
		states = stateStrings(q.States)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := p.pool.Query(ctx, `WITH c AS (SELECT COALESCE($5::timestamptz, now()) AS now)
		SELECT `+pgReqColumnsOf("r")+`, c.now FROM cccops_requests r, c
		WHERE ($1::text[] IS NULL OR (CASE WHEN r.state IN ('pending', 'approved') AND r.expires_at <= c.now THEN 'expired' ELSE r.state END) = ANY($1::text[]))
			AND ($2 = '' OR r.kind = $2) AND ($3 = '' OR r.requester = $3)
		ORDER BY r.created_at, r.id LIMIT $4`, states, q.Kind, q.Requester, limit, p.clock())
	if err != nil {
		return nil, p.fail(err)
	}
	defer rows.Close()
	var out []*Request
	for rows.Next() {
		var now time.Time
		r, err := scanPGRequest(rows, &now)
		if err != nil {
			return nil, p.fail(err)
		}
		out = append(out, seenAt(r, now))
	}
	return out, p.fail(rows.Err())
}

// Wait implements Store.
func (p *Postgres) Wait(ctx context.Context, id string, while []State) (*Request, error) {
	wake := p.lis.subscribe(id)
	defer p.lis.unsubscribe(id, wake)
	for {
		r, err := p.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(while, r.State) {
			return r, nil
		}
		d := p.poll
		if p.opt.Now == nil && (r.State == Pending || r.State == Approved) {
			// Look again when it expires (by this host's clock; Get then
			// asks the database's).
			d = min(d, max(time.Until(r.ExpiresAt), 10*time.Millisecond))
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Once implements Store.
func (p *Postgres) Once(ctx context.Context, kind, key string, expires time.Time) (bool, error) {
	if p.closed.Load() {
		return false, errClosed
	}
	tag, err := p.pool.Exec(ctx, `INSERT INTO cccops_once (kind, key, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (kind, key) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE cccops_once.expires_at <= COALESCE($4::timestamptz, now())`, kind, key, expires, p.clock())
	if err != nil {
		return false, p.fail(err)
	}
	return tag.RowsAffected() == 1, nil
}

// Take implements Store. Two round trips: BEGIN, create missing buckets
// and lock them all in key order (so two replicas never deadlock); then
// store the drawn tokens and COMMIT.
func (p *Postgres) Take(ctx context.Context, buckets []Bucket) (int, time.Duration, error) {
	if p.closed.Load() {
		return -1, 0, errClosed
	}
	if len(buckets) == 0 {
		return -1, 0, nil
	}
	byKey := map[string]Bucket{}
	for _, b := range buckets {
		byKey[b.Key] = b
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ns, pers := make([]int32, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		ns[i], pers[i] = int32(byKey[k].N), byKey[k].Per.Milliseconds()
	}

	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return -1, 0, p.fail(err)
	}
	defer conn.Release() // a connection left in a transaction is destroyed, not reused
	rollback := func(err error) (int, time.Duration, error) {
		conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return -1, 0, p.fail(err)
	}

	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(`INSERT INTO cccops_buckets (key, n, per_ms, tokens, last_at)
		SELECT k, n, per, n, COALESCE($4::timestamptz, now()) FROM unnest($1::text[], $2::int[], $3::bigint[]) AS v(k, n, per)
		ORDER BY k ON CONFLICT (key) DO NOTHING`, keys, ns, pers, p.clock())
	b.Queue(`SELECT key, n, per_ms, tokens, last_at, COALESCE($2::timestamptz, now()) FROM cccops_buckets
		WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`, keys, p.clock())
	br := conn.SendBatch(ctx, b)
	stored := map[string]bucketState{}
	var now time.Time
	_, err = br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if err == nil {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			for rows.Next() {
				var (
					st  bucketState
					n   int32
					per int64
				)
				if err = rows.Scan(&st.b.Key, &n, &per, &st.tokens, &st.last, &now); err != nil {
					break
				}
				st.b.N, st.b.Per = int(n), time.Duration(per)*time.Millisecond
				stored[st.b.Key] = st
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rollback(err)
	}
	if now.IsZero() {
		return rollback(errors.New("store: the buckets just created are missing"))
	}
	states, limited, wait := drawBuckets(buckets, stored, now)
	tokens := make([]float64, len(keys))
	for i, k := range keys {
		tokens[i] = states[k].tokens
	}
	b = &pgx.Batch{}
	b.Queue(`UPDATE cccops_buckets b SET n = v.n, per_ms = v.per, tokens = v.tokens, last_at = $5
		FROM unnest($1::text[], $2::int[], $3::bigint[], $4::float8[]) AS v(k, n, per, tokens) WHERE b.key = v.k`,
		keys, ns, pers, tokens, now)
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return rollback(err)
	}
	return limited, wait, nil
}

// Sweep implements Store.
func (p *Postgres) Sweep(ctx context.Context) ([]*Request, error) {
	if p.closed.Load() {
		return nil, errClosed
	}
	var now time.Time
	if err := p.pool.QueryRow(ctx, "SELECT COALESCE($1::timestamptz, now())", p.clock()).Scan(&now); err != nil {
		return nil, p.fail(err)
	}
	rows, err := p.pool.Query(ctx, `UPDATE cccops_requests r SET state = 'expired', reason = $2, updated_at = $1
		WHERE r.state IN ('pending', 'approved') AND r.expires_at <= $1 RETURNING `+pgReqColumnsOf("r"), now, ExpiredReason)
	if err != nil {
		return nil, p.fail(err)
	}
	expired, err := collectPGRequests(rows)
	if err != nil {
		return nil, p.fail(err)
	}
	slices.SortFunc(expired, func(a, b *Request) int { return strings.Compare(a.ID, b.ID) })
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM cccops_requests WHERE state IN ('denied', 'declined', 'cancelled', 'expired', 'done', 'failed')
		AND updated_at < $1`, now.Add(-p.opt.Retention))
	b.Queue(`DELETE FROM cccops_once WHERE expires_at <= $1`, now)
	b.Queue(`DELETE FROM cccops_buckets WHERE per_ms <= 0 OR tokens + n * (extract(epoch FROM ($1::timestamptz - last_at))::float8 * 1000) / per_ms >= n`, now)
	if err := p.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, p.fail(err)
	}
	return expired, nil
}

// Count implements Counter.
func (p *Postgres) Count(ctx context.Context) (Counts, error) {
	if p.closed.Load() {
		return Counts{}, errClosed
	}
	c := Counts{Requests: map[State]int{}}
	rows, err := p.pool.Query(ctx, `SELECT state, count(*) FROM cccops_requests GROUP BY state`)
	if err != nil {
		return c, p.fail(err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return c, p.fail(err)
		}
		c.Requests[State(st)] = n
	}
	rows.Close()
	err = p.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cccops_once), (SELECT count(*) FROM cccops_buckets)`).Scan(&c.OnceKeys, &c.Buckets)
	return c, p.fail(err)
}

// Now implements Store: the injected clock, else the database's.
func (p *Postgres) Now(ctx context.Context) (time.Time, error) {
	if p.opt.Now != nil {
		return p.opt.Now(), nil
	}
	if p.closed.Load() {
		return time.Time{}, errClosed
	}
	var now time.Time
	err := p.pool.QueryRow(ctx, "SELECT now()").Scan(&now)
	return now.UTC(), p.fail(err)
}

// Ping implements Store: the database answers and holds the store's tables.
func (p *Postgres) Ping(ctx context.Context) error {
	if p.closed.Load() {
		return errClosed
	}
	var n int
	return p.fail(p.pool.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM cccops_requests LIMIT 1) x").Scan(&n))
}

// Name implements Store: host, port and database, never the user's
// password.
func (p *Postgres) Name() string { return p.name }

// Close implements Store.
func (p *Postgres) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.lis.close()
	p.pool.Close()
	return nil
}

// pgListener is a store's one LISTEN connection: it wakes the Waits of
// this process on the requests a notification names, and reconnects when
// the connection drops (waking every Wait, since notifications may have
// been missed meanwhile).
type pgListener struct {
	cfg    *pgx.ConnConfig
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
	up      bool
	upCh    chan struct{} // closed when LISTEN is first in place
}

func newPGListener(cfg *pgx.ConnConfig) *pgListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &pgListener{cfg: cfg, cancel: cancel, done: make(chan struct{}), waiters: map[string]map[chan struct{}]struct{}{},
		upCh: make(chan struct{})}
	go l.run(ctx)
	return l
}

func (l *pgListener) run(ctx context.Context) {
	defer close(l.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, l.cfg)
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+pgChannel); err == nil {
				l.setUp(true)
				l.wakeAll()
				backoff = 100 * time.Millisecond
				for {
					n, err := conn.WaitForNotification(ctx)
					if err != nil {
						break
					}
					l.wake(n.Payload)
				}
				l.setUp(false)
			}
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			conn.Close(cctx)
			cancel()
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (l *pgListener) setUp(up bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if up && !l.up {
		select {
		case <-l.upCh:
		default:
			close(l.upCh)
		}
	}
	l.up = up
}

func (l *pgListener) waitUp(d time.Duration) {
	select {
	case <-l.upCh:
	case <-time.After(d):
	}
}

func (l *pgListener) subscribe(id string) chan struct{} {
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	if l.waiters[id] == nil {
		l.waiters[id] = map[chan struct{}]struct{}{}
	}
	l.waiters[id][ch] = struct{}{}
	l.mu.Unlock()
	return ch
}

func (l *pgListener) unsubscribe(id string, ch chan struct{}) {
	l.mu.Lock()
	delete(l.waiters[id], ch)
	if len(l.waiters[id]) == 0 {
		delete(l.waiters, id)
	}
	l.mu.Unlock()
}

func (l *pgListener) wake(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.waiters[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (l *pgListener) wakeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, chs := range l.waiters {
		for ch := range chs {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

func (l *pgListener) close() {
	l.cancel()
	<-l.done
}
