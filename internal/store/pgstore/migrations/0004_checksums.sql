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

-- The room the idempotency keys take, apart from the entries' (bytes):
-- MaxKeyBytes bounds it, so that keys never take the entries' room.
-- Triggers keep it in the transaction that changes the keys.
ALTER TABLE analytics_usage ADD COLUMN key_bytes bigint NOT NULL DEFAULT 0;

CREATE FUNCTION analytics_key_room(r analytics_idempotency) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT octet_length(r.key)::bigint + octet_length(r.sum) + coalesce(octet_length(r.reply), 0) + 48
$$;

CREATE FUNCTION analytics_count_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE analytics_usage SET key_bytes = key_bytes + (SELECT coalesce(sum(analytics_key_room(n)), 0) FROM new_keys n);
	ELSIF TG_OP = 'UPDATE' THEN
		UPDATE analytics_usage SET key_bytes = key_bytes
			+ (SELECT coalesce(sum(analytics_key_room(n)), 0) FROM new_keys n)
			- (SELECT coalesce(sum(analytics_key_room(o)), 0) FROM old_keys o);
	ELSE
		UPDATE analytics_usage SET key_bytes = key_bytes - (SELECT coalesce(sum(analytics_key_room(o)), 0) FROM old_keys o);
	END IF;
	RETURN NULL;
END
$$;

LOCK TABLE analytics_idempotency IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER analytics_keys_counted_insert AFTER INSERT ON analytics_idempotency
	REFERENCING NEW TABLE AS new_keys FOR EACH STATEMENT EXECUTE FUNCTION analytics_count_keys();
CREATE TRIGGER analytics_keys_counted_update AFTER UPDATE ON analytics_idempotency
	REFERENCING OLD TABLE AS old_keys NEW TABLE AS new_keys FOR EACH STATEMENT EXECUTE FUNCTION analytics_count_keys();
CREATE TRIGGER analytics_keys_counted_delete AFTER DELETE ON analytics_idempotency
	REFERENCING OLD TABLE AS old_keys FOR EACH STATEMENT EXECUTE FUNCTION analytics_count_keys();

UPDATE analytics_usage SET key_bytes = (SELECT coalesce(sum(analytics_key_room(k)), 0) FROM analytics_idempotency k);
