-- segcopy catalog on PostgreSQL, schema version 1: the SQLite catalog's
-- schema (versions 1 and 2 there) in PostgreSQL's types, and the tables a
-- shared catalog needs: one row per resource ever claimed (the row a claim
-- locks) and each holder's heartbeat.
--
-- Times are seconds since the Unix epoch (to_timestamp(started) reads
-- them); enums are words; a segment's place is columns.

CREATE TABLE catalog_meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
-- The catalog's identity, written in every tape map: 32 hex digits.
INSERT INTO catalog_meta (key, value) VALUES ('id', replace(gen_random_uuid()::text, '-', ''));

CREATE TABLE holders (
    id          BIGSERIAL PRIMARY KEY,
    host        TEXT NOT NULL,
    pid         BIGINT NOT NULL,
    pid_start   BIGINT NOT NULL,    -- clock ticks after boot, 0: unknown
    since       BIGINT NOT NULL,
    purpose     TEXT NOT NULL,
    heartbeat   BIGINT NOT NULL,    -- the last time its host said it lives
    ended       BIGINT,             -- NULL while registered
    ended_how   TEXT CHECK (ended_how IN ('unregistered', 'died'))
);

-- Every resource a claim ever named: claims and releases lock these rows
-- (in name order), so two hosts never both take one resource.
CREATE TABLE resources (
    name        TEXT PRIMARY KEY
);

CREATE TABLE leases (
    resource    TEXT NOT NULL REFERENCES resources(name),
    holder      BIGINT NOT NULL REFERENCES holders(id),
    stream      SMALLINT NOT NULL,
    exclusive   BOOLEAN NOT NULL,
    since       BIGINT NOT NULL,
    PRIMARY KEY (resource, holder, stream)
);
CREATE INDEX leases_by_holder ON leases(holder);

-- The history outlives its holders' leases. seq orders the events of one
-- resource as they were committed (its row is locked by each writer).
CREATE TABLE lease_events (
    seq         BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    resource    TEXT NOT NULL,
    holder      BIGINT NOT NULL REFERENCES holders(id),
    stream      SMALLINT NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('taken', 'released')),
    note        TEXT
);

CREATE TABLE unusable (
    resource    TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    since       BIGINT NOT NULL
);

CREATE TABLE backups (
    id              BIGSERIAL PRIMARY KEY,
    job             BIGINT,         -- no foreign key: a backup read back
                                    -- from tape may outlive its job
    source          TEXT NOT NULL,
    designator      TEXT NOT NULL,
    lba             BIGINT NOT NULL,
    blocks          BIGINT NOT NULL,
    block_length    BIGINT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('failover', 'mirror')),
    segment_bytes   BIGINT NOT NULL,
    segments        BIGINT NOT NULL,
    streams         BIGINT NOT NULL,
    started         BIGINT NOT NULL,
    ended           BIGINT,
    status          TEXT NOT NULL
                    CHECK (status IN ('running', 'completed', 'partial', 'failed')),
    preferred_copy  BIGINT,
    verified        BOOLEAN NOT NULL,
    holder          BIGINT REFERENCES holders(id),
    retain_until    BIGINT          -- NULL: for good
);

CREATE TABLE jobs (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    source          TEXT NOT NULL,
    lba             BIGINT NOT NULL,
    blocks          BIGINT,         -- NULL: to the end of the source
    mode            TEXT NOT NULL CHECK (mode IN ('failover', 'mirror')),
    segment_bytes   BIGINT NOT NULL,
    streams         BIGINT NOT NULL,
    target          TEXT NOT NULL CHECK (target IN ('tape', 'disk')),
    target_disks    TEXT,           -- JSON array of names, for 'disk'
    target_lba      BIGINT,         -- for 'disk'
    every_seconds   BIGINT,         -- NULL: run by hand only
    next_due        BIGINT,
    last_backup     BIGINT REFERENCES backups(id),
    retention       BIGINT,         -- seconds; NULL: for good
    CHECK ((target = 'tape') = (target_disks IS NULL AND target_lba IS NULL))
);

CREATE TABLE segments (
    backup          BIGINT NOT NULL REFERENCES backups(id),
    copy            BIGINT NOT NULL,
    seg_index       BIGINT NOT NULL,
    source_lba      BIGINT NOT NULL,
    blocks          BIGINT NOT NULL,
    bytes           BIGINT NOT NULL,
    stream          BIGINT NOT NULL,
    mover_device    TEXT NOT NULL,
    mover           TEXT NOT NULL CHECK (mover IN ('xcopy', 'host')),
    place           TEXT NOT NULL CHECK (place IN ('tape', 'disk')),
    -- place = 'tape'
    library         TEXT,
    drive           TEXT,
    barcode         TEXT,
    block_length    BIGINT,
    first_block     BIGINT,
    last_block      BIGINT,
    verified        BOOLEAN,
    -- place = 'disk'
    disk            TEXT,
    designator      TEXT,
    lba             BIGINT,
    crc32c          BIGINT,
    completed       BIGINT NOT NULL,
    PRIMARY KEY (backup, copy, seg_index),
    CHECK (place <> 'tape' OR (library IS NOT NULL AND drive IS NOT NULL
        AND barcode IS NOT NULL AND block_length IS NOT NULL
        AND (first_block IS NULL) = (last_block IS NULL)
        AND verified IS NOT NULL)),
    CHECK (place <> 'disk' OR (disk IS NOT NULL AND designator IS NOT NULL
        AND lba IS NOT NULL))
);
CREATE INDEX segments_by_barcode ON segments(barcode) WHERE barcode IS NOT NULL;

CREATE TABLE stream_events (
    seq             BIGSERIAL PRIMARY KEY,
    backup          BIGINT NOT NULL REFERENCES backups(id),
    stream          BIGINT NOT NULL,
    failed_at       BIGINT,         -- NULL: the stream completed
    segments_done   BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX stream_events_by_backup ON stream_events(backup);
