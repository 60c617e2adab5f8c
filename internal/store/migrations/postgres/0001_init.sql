-- cccops store, PostgreSQL schema version 1. Tables carry the cccops_
-- prefix so the store can share a database with other applications.
-- JSON columns are bytea: the exact bytes the caller gave (an argument
-- digest is computed over them); read them with convert_from(col, 'UTF8').
CREATE TABLE cccops_requests (
	id             text PRIMARY KEY,
	kind           text NOT NULL,
	state          text NOT NULL,
	requester      text NOT NULL DEFAULT '',
	requester_name text NOT NULL DEFAULT '',
	surface        text NOT NULL DEFAULT '',
	action         text NOT NULL DEFAULT '',
	tool           text NOT NULL DEFAULT '',
	instance       text NOT NULL DEFAULT '',
	digest         text NOT NULL DEFAULT '',
	args           bytea,
	preview        text NOT NULL DEFAULT '',
	four_eyes      boolean NOT NULL DEFAULT false,
	rule           text NOT NULL DEFAULT '',
	approvers      bytea,
	meta           bytea,
	created_at     timestamptz NOT NULL,
	expires_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL,
	changed_by     text NOT NULL DEFAULT '',
	approver       text NOT NULL DEFAULT '',
	reason         text NOT NULL DEFAULT '',
	result         bytea,
	ccc_request_id text NOT NULL DEFAULT '',
	error          text NOT NULL DEFAULT ''
);
CREATE INDEX cccops_requests_state_expires ON cccops_requests (state, expires_at);
CREATE INDEX cccops_requests_state_updated ON cccops_requests (state, updated_at);
CREATE INDEX cccops_requests_created ON cccops_requests (created_at, id);
CREATE INDEX cccops_requests_requester ON cccops_requests (requester, created_at);

-- Every change to a request is announced to the processes waiting on it
-- (LISTEN cccops_requests); the payload is the request id. Delivered when
-- the change commits, whichever statement or process made it.
CREATE FUNCTION cccops_requests_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('cccops_requests', NEW.id);
	RETURN NULL;
END
$$;
CREATE TRIGGER cccops_requests_notify AFTER INSERT OR UPDATE ON cccops_requests
	FOR EACH ROW EXECUTE FUNCTION cccops_requests_notify();

-- Single-use keys: token redemptions, Slack replay memory, MCP nonces.
CREATE TABLE cccops_once (
	kind       text NOT NULL,
	key        text NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (kind, key)
);
CREATE INDEX cccops_once_expires ON cccops_once (expires_at);

-- Rate-limit token buckets: n tokens per per_ms, tokens left at last_at.
CREATE TABLE cccops_buckets (
	key     text PRIMARY KEY,
	n       integer NOT NULL,
	per_ms  bigint NOT NULL,
	tokens  double precision NOT NULL,
	last_at timestamptz NOT NULL
);
