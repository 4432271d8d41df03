-- Stores copied in by `analyticsd migrate`, one row each. A database that
-- received one refuses another even once a check-in has emptied it: the
-- bbolt file is left as it was, and copying it again would upload its
-- entries twice.
CREATE TABLE analytics_imports (
	source      text        NOT NULL,
	imported_at timestamptz NOT NULL,
	events      bigint      NOT NULL,
	snapshots   bigint      NOT NULL,
	keys        bigint      NOT NULL
);
