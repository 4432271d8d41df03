-- Every entry carries the CRC-32C of its sequence number and data
-- (store.Checksum), written with it and checked on every read. Rows from
-- before this version have none (NULL) until Open fills them in, a batch at
-- a time; a NULL checksum is read unchecked.
ALTER TABLE analytics_entries ADD COLUMN checksum bigint;

-- Entries whose data no longer matches their checksum, set aside by the
-- replica that read them: never served, uploaded or deleted by a check-in.
CREATE TABLE analytics_quarantine (
	kind     smallint    NOT NULL,
	seq      bigint      NOT NULL,
	data     bytea       NOT NULL,
	checksum bigint,
	found_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (kind, seq)
);
