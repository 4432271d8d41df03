-- Entries of both collections. seq comes from one sequence and is taken
-- while the append lock is held, so seq order is commit order: a reader that
-- has seen seq N never later finds a committed entry below N.
CREATE SEQUENCE analytics_entry_seq;

CREATE TABLE analytics_entries (
	kind smallint NOT NULL,
	seq  bigint   NOT NULL,
	data bytea    NOT NULL,
	PRIMARY KEY (kind, seq)
);

-- The room the entries take, as the size limit counts it; one row.
CREATE TABLE analytics_usage (
	one   boolean PRIMARY KEY DEFAULT true CHECK (one),
	bytes bigint  NOT NULL
);
INSERT INTO analytics_usage (bytes) VALUES (0);

-- Idempotency keys: sum identifies the request, stored_at ages the key out,
-- reply is what a repeat of the request is answered with.
CREATE TABLE analytics_idempotency (
	key       text        PRIMARY KEY,
	sum       bytea       NOT NULL,
	stored_at timestamptz NOT NULL,
	reply     bytea
);
CREATE INDEX analytics_idempotency_stored_at ON analytics_idempotency (stored_at);

-- When the site last checked in, so that replicas sharing the database
-- check in once a day between them; one row.
CREATE TABLE analytics_checkin (
	one boolean     PRIMARY KEY DEFAULT true CHECK (one),
	at  timestamptz NOT NULL
);
