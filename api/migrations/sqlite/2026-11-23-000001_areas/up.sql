-- administrative boundaries (comuni, and the provinces and regions dissolved from them)
-- for the map's `areas` layer and the API's /areas/{code}: reference data shared by all
-- snapshots, public. Importing a boundaries file replaces the areas with the same level
-- and code. Same columns as ../../postgres/; geometries are EWKB blobs.
CREATE TABLE areas (
    id           INTEGER PRIMARY KEY,
    level        TEXT NOT NULL CHECK (level IN ('comune', 'province', 'region')),
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    province     TEXT,
    region       TEXT,
    source_file  TEXT NOT NULL,
    checksum     TEXT NOT NULL,
    imported_at  TIMESTAMP NOT NULL,
    geom         BLOB NOT NULL,
    UNIQUE (level, code)
);
