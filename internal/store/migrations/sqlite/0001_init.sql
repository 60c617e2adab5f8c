-- cccops store, SQLite schema version 1. Times are unix milliseconds, UTC.
-- JSON columns hold the bytes the caller gave, unchanged (an argument
-- digest is computed over them).
CREATE TABLE requests (
	id             TEXT PRIMARY KEY,
	kind           TEXT NOT NULL,
	state          TEXT NOT NULL,
	requester      TEXT NOT NULL DEFAULT '',
	requester_name TEXT NOT NULL DEFAULT '',
	surface        TEXT NOT NULL DEFAULT '',
	action         TEXT NOT NULL DEFAULT '',
	tool           TEXT NOT NULL DEFAULT '',
	instance       TEXT NOT NULL DEFAULT '',
	digest         TEXT NOT NULL DEFAULT '',
	args           BLOB,
	preview        TEXT NOT NULL DEFAULT '',
	four_eyes      INTEGER NOT NULL DEFAULT 0,
	rule           TEXT NOT NULL DEFAULT '',
	approvers      BLOB,
	meta           BLOB,
	created_ms     INTEGER NOT NULL,
	expires_ms     INTEGER NOT NULL,
	updated_ms     INTEGER NOT NULL,
	changed_by     TEXT NOT NULL DEFAULT '',
	approver       TEXT NOT NULL DEFAULT '',
	reason         TEXT NOT NULL DEFAULT '',
	result         BLOB,
	ccc_request_id TEXT NOT NULL DEFAULT '',
	error          TEXT NOT NULL DEFAULT ''
);
-- Open requests by expiry (Sweep, List), ended ones by age (retention),
-- everything oldest first (List).
CREATE INDEX requests_state_expires ON requests (state, expires_ms);
CREATE INDEX requests_state_updated ON requests (state, updated_ms);
CREATE INDEX requests_created ON requests (created_ms, id);
CREATE INDEX requests_requester ON requests (requester, created_ms);

-- Single-use keys: token redemptions, Slack replay memory, MCP nonces.
CREATE TABLE once_keys (
	kind       TEXT NOT NULL,
	key        TEXT NOT NULL,
	expires_ms INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX once_keys_expires ON once_keys (expires_ms);

-- Rate-limit token buckets: n tokens per per_ms, tokens left at last_ms.
CREATE TABLE buckets (
	key     TEXT PRIMARY KEY,
	n       INTEGER NOT NULL,
	per_ms  INTEGER NOT NULL,
	tokens  REAL NOT NULL,
	last_ms INTEGER NOT NULL
) WITHOUT ROWID;
