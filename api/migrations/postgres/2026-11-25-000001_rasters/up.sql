-- coverage rasters (mobile signal or speed per pixel). A coverage dataset imported from a
-- raster keeps one GeoTIFF (a self-describing copy of the file: the metadata items it was
-- read with are written on each band), one row per band, and the polygons of each band's
-- value classes for the map. Same columns as ../../sqlite/.
CREATE TABLE raster_files (
    dataset_id  BIGINT PRIMARY KEY REFERENCES datasets (id) ON DELETE CASCADE,
    content     BYTEA NOT NULL            -- the GeoTIFF's bytes
);

-- one row per band: the offer it stands for (its speeds vary per pixel)
CREATE TABLE raster_bands (
    dataset_id      BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    band            INTEGER NOT NULL,     -- 1-based, as GDAL numbers bands
    operator        TEXT NOT NULL,
    infrastructure  TEXT NOT NULL,
    technology      TEXT NOT NULL,
    value_kind      TEXT NOT NULL CHECK (value_kind IN ('down_mbps', 'peak_down_mbps', 'rsrp_dbm')),
    up_mbps         DOUBLE PRECISION,     -- of the whole band, when known
    status          TEXT NOT NULL CHECK (status IN ('existing', 'planned')),
    year            INTEGER,
    width           INTEGER NOT NULL,     -- pixels
    height          INTEGER NOT NULL,
    crs             TEXT NOT NULL,        -- the pixel grid's CRS (EPSG:N or WKT)
    PRIMARY KEY (dataset_id, band)
);

-- the pixels of a band in one value class, as polygons (one per group of pixels sharing
-- edges), for the map's coverage layer: display only, classification samples the pixels
CREATE TABLE raster_areas (
    id          BIGSERIAL PRIMARY KEY,
    dataset_id  BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    band        INTEGER NOT NULL,
    class_min   DOUBLE PRECISION NOT NULL, -- lowest value of the class (Mbit/s or dBm)
    class_max   DOUBLE PRECISION,         -- the next class's lowest; NULL for the top class
    geom        geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX raster_areas_dataset_idx ON raster_areas (dataset_id, band);
CREATE INDEX raster_areas_geom_idx ON raster_areas USING GIST (geom);
