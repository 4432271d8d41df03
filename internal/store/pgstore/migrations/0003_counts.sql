-- The number of entries of each collection, kept next to the room they take
-- so that counting costs the same at any size. Triggers keep them, in the
-- transaction of the statement that inserts or deletes entries, whichever
-- replica (or import) runs it; an update of the one row is serialised by its
-- row lock, so concurrent writers add up.
ALTER TABLE analytics_usage
	ADD COLUMN events    bigint NOT NULL DEFAULT 0,
	ADD COLUMN snapshots bigint NOT NULL DEFAULT 0;

CREATE FUNCTION analytics_count_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE analytics_usage SET
			events    = events    + (SELECT count(*) FROM changed WHERE kind = 1),
			snapshots = snapshots + (SELECT count(*) FROM changed WHERE kind = 2);
	ELSE
		UPDATE analytics_usage SET
			events    = events    - (SELECT count(*) FROM changed WHERE kind = 1),
			snapshots = snapshots - (SELECT count(*) FROM changed WHERE kind = 2);
	END IF;
	RETURN NULL;
END
$$;

-- No entry may land between the count below and the triggers: writers wait.
LOCK TABLE analytics_entries IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER analytics_entries_counted_insert AFTER INSERT ON analytics_entries
	REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION analytics_count_entries();
CREATE TRIGGER analytics_entries_counted_delete AFTER DELETE ON analytics_entries
	REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION analytics_count_entries();

UPDATE analytics_usage SET
	events    = (SELECT count(*) FROM analytics_entries WHERE kind = 1),
	snapshots = (SELECT count(*) FROM analytics_entries WHERE kind = 2);
