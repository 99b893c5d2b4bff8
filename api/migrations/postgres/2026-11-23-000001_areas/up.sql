-- administrative boundaries (comuni, and the provinces and regions dissolved from them)
-- for the map's `areas` layer and the API's /areas/{code}: reference data shared by all
-- snapshots, public. Importing a boundaries file replaces the areas with the same level
-- and code.
CREATE TABLE areas (
    id           BIGSERIAL PRIMARY KEY,
    level        TEXT NOT NULL CHECK (level IN ('comune', 'province', 'region')),
    code         TEXT NOT NULL,           -- ISTAT code: 6 digits, 3 digits, 2 digits
    name         TEXT NOT NULL,
    province     TEXT,                    -- the parent province's code (comuni)
    region       TEXT,                    -- the parent region's code (comuni, provinces)
    source_file  TEXT NOT NULL,
    checksum     TEXT NOT NULL,           -- sha256 of the boundaries file
    imported_at  TIMESTAMP NOT NULL,
    geom         geometry(MultiPolygon, 4326) NOT NULL,
    UNIQUE (level, code)
);
CREATE INDEX areas_geom_idx ON areas USING GIST (geom);
