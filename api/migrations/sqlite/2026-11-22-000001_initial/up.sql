-- bianca's store, SQLite flavour. The PostgreSQL + PostGIS flavour in
-- ../../postgres/ has the same tables, columns and names; geometries are
-- EWKB blobs here (SRID 4326) and geometry(..., 4326) there.

-- one import of a registry, a coverage file or a declarations file
CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('units', 'coverage', 'declarations')),
    name          TEXT NOT NULL UNIQUE,
    source_file   TEXT NOT NULL,
    checksum      TEXT NOT NULL,          -- sha256 of the file's bytes, hex
    crs           TEXT NOT NULL,          -- CRS of the file; stored geometries are EPSG:4326
    row_count     BIGINT NOT NULL,
    rejected      BIGINT NOT NULL,        -- rows skipped with --on-error skip
    imported_at   TIMESTAMP NOT NULL,     -- UTC
    imported_by   TEXT NOT NULL,
    public        BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (kind, checksum)
);

-- housing units (civici) of a registry dataset, in file order
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    dataset_id  BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,         -- row in the file, from 0
    unit_id     TEXT NOT NULL,            -- the registry's own id
    housing_units INTEGER NOT NULL CHECK (housing_units >= 1),
    comune      TEXT,                     -- ISTAT PRO_COM_T
    address     TEXT,
    geom        BLOB NOT NULL,
    UNIQUE (dataset_id, ord)
);
CREATE INDEX units_unit_id_idx ON units (dataset_id, unit_id);

-- offers reaching units through a polygon (one row per footprint)
CREATE TABLE footprints (
    id              INTEGER PRIMARY KEY,
    dataset_id      BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    ord             INTEGER NOT NULL,
    operator        TEXT NOT NULL,
    infrastructure  TEXT NOT NULL,
    technology      TEXT NOT NULL,
    down_mbps       DOUBLE NOT NULL,
    up_mbps         DOUBLE NOT NULL,
    peak_down_mbps  DOUBLE,
    peak_up_mbps    DOUBLE,
    status          TEXT NOT NULL CHECK (status IN ('existing', 'planned')),
    year            INTEGER,
    licensed        BOOLEAN NOT NULL,
    geom            BLOB NOT NULL,
    UNIQUE (dataset_id, ord)
);

-- offers reaching units by id (per-civico declarations)
CREATE TABLE declarations (
    id              INTEGER PRIMARY KEY,
    dataset_id      BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    ord             INTEGER NOT NULL,
    unit_id         TEXT NOT NULL,
    operator        TEXT NOT NULL,
    infrastructure  TEXT NOT NULL,
    technology      TEXT NOT NULL,
    down_mbps       DOUBLE NOT NULL,
    up_mbps         DOUBLE NOT NULL,
    peak_down_mbps  DOUBLE,
    peak_up_mbps    DOUBLE,
    status          TEXT NOT NULL CHECK (status IN ('existing', 'planned')),
    year            INTEGER,
    licensed        BOOLEAN NOT NULL,
    UNIQUE (dataset_id, ord)
);
CREATE INDEX declarations_unit_id_idx ON declarations (unit_id);

-- rule sets as used by snapshots, by content
CREATE TABLE rule_sets (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL,
    version   INTEGER NOT NULL,
    checksum  TEXT NOT NULL UNIQUE,       -- sha256 of the TOML text
    toml      TEXT NOT NULL
);

-- one classification run; immutable
CREATE TABLE snapshots (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    reference_year    INTEGER NOT NULL,
    created_at        TIMESTAMP NOT NULL, -- UTC
    created_by        TEXT NOT NULL,
    units_dataset_id  BIGINT NOT NULL REFERENCES datasets (id),
    addresses         BIGINT NOT NULL,
    housing_units     BIGINT NOT NULL,
    pairs             BIGINT NOT NULL,
    declared_pairs    BIGINT NOT NULL
);

-- the coverage and declarations datasets a snapshot used
CREATE TABLE snapshot_datasets (
    snapshot_id  BIGINT NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    dataset_id   BIGINT NOT NULL REFERENCES datasets (id),
    PRIMARY KEY (snapshot_id, dataset_id)
);

-- the rule sets of a snapshot; position 0 is the primary one
CREATE TABLE snapshot_rules (
    snapshot_id  BIGINT NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    rule_set_id  BIGINT NOT NULL REFERENCES rule_sets (id),
    PRIMARY KEY (snapshot_id, position)
);

-- per unit: what reaches it, whatever the rules.
-- unit_results and unit_classes are bulk tables (one row per unit, and per unit and rule
-- set, of every snapshot) written only by bianca in the transaction of their snapshot:
-- they carry no foreign keys, whose per-row checks took 23 of 28 s of a 1M-unit snapshot
-- on PostGIS. snapshot_id is a snapshots.id, unit_row a units.id.
CREATE TABLE unit_results (
    snapshot_id    BIGINT NOT NULL,
    unit_row       BIGINT NOT NULL,
    best_down_mbps DOUBLE NOT NULL,
    best_up_mbps   DOUBLE NOT NULL,
    technologies   TEXT NOT NULL,         -- e.g. "FTTH,FWA", empty when none
    networks_4g    INTEGER NOT NULL,
    networks_5g    INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, unit_row)
);

-- per unit and rule set: the class
CREATE TABLE unit_classes (
    snapshot_id   BIGINT NOT NULL,
    position      INTEGER NOT NULL,       -- snapshot_rules.position
    unit_row      BIGINT NOT NULL,
    class         TEXT NOT NULL,          -- a class of the rule set, or 'unknown'
    networks      INTEGER NOT NULL,
    unknown_data  BOOLEAN NOT NULL,
    PRIMARY KEY (snapshot_id, position, unit_row)
);

-- per area (comune, province, region, total): totals
CREATE TABLE area_stats (
    snapshot_id     BIGINT NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    level           TEXT NOT NULL,        -- comune, province, region, total
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    addresses       BIGINT NOT NULL,
    housing_units   BIGINT NOT NULL,
    units_4g        BIGINT NOT NULL,
    units_5g        BIGINT NOT NULL,
    sum_best_down   DOUBLE NOT NULL,
    PRIMARY KEY (snapshot_id, level, code)
);

-- per area, rule set and class: counts
CREATE TABLE area_classes (
    snapshot_id    BIGINT NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    level          TEXT NOT NULL,
    code           TEXT NOT NULL,
    position       INTEGER NOT NULL,
    class          TEXT NOT NULL,
    addresses      BIGINT NOT NULL,
    housing_units  BIGINT NOT NULL,
    PRIMARY KEY (snapshot_id, level, code, position, class)
);

-- per unit, snapshot and rule set, with the unit's point: the table to open in QGIS
-- (filter on snapshot and rule_set; unit_row is a unique key within one of each)
CREATE VIEW snapshot_units AS
SELECT s.name AS snapshot,
       r.name AS rule_set,
       u.id AS unit_row,
       u.unit_id,
       u.comune,
       u.housing_units,
       c.class,
       c.networks,
       c.unknown_data,
       res.best_down_mbps,
       res.best_up_mbps,
       res.technologies,
       u.geom
FROM unit_classes c
JOIN snapshots s ON s.id = c.snapshot_id
JOIN snapshot_rules sr ON sr.snapshot_id = c.snapshot_id AND sr.position = c.position
JOIN rule_sets r ON r.id = sr.rule_set_id
JOIN units u ON u.id = c.unit_row
JOIN unit_results res ON res.snapshot_id = c.snapshot_id AND res.unit_row = c.unit_row;

-- people and API tokens (used by `bianca serve`)
CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'planner', 'uploader')),
    operator    TEXT,                     -- for uploaders: the one operator they act for
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT REFERENCES users (id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'planner', 'uploader')),
    operator    TEXT,
    token_hash  TEXT NOT NULL UNIQUE,     -- never the token itself
    created_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);
