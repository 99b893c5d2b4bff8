-- deployment progress: every accepted upload is a version; nothing is updated or deleted,
-- so the state as of any date can be rebuilt, and every item names its upload (who, when)
CREATE TABLE progress_uploads (
    id           BIGSERIAL PRIMARY KEY,
    format       TEXT NOT NULL CHECK (format IN ('bul', 'civico', 'sites')),
    source_file  TEXT NOT NULL,
    checksum     TEXT NOT NULL UNIQUE,    -- sha256 of the content: re-sending is a no-op
    reported_on  DATE NOT NULL,           -- the date a BUL file reports (it has none)
    row_count    BIGINT NOT NULL,         -- data rows in the file
    item_count   BIGINT NOT NULL,         -- items stored
    skipped      BIGINT NOT NULL,         -- rows left out (--on-error skip)
    uploaded_at  TIMESTAMP NOT NULL,
    uploaded_by  TEXT NOT NULL,           -- "token 4 (label)" or "cli:<os user>"
    operator     TEXT,                    -- the uploader's operator, for uploader tokens
    report       TEXT NOT NULL            -- JSON: resolutions, warnings, skipped rows
);

CREATE TABLE progress_items (
    id             BIGSERIAL PRIMARY KEY,
    upload_id      BIGINT NOT NULL REFERENCES progress_uploads (id),
    kind           TEXT NOT NULL CHECK (kind IN ('comune', 'civico', 'site')),
    item_key       TEXT NOT NULL,         -- the same work across uploads
    operator       TEXT NOT NULL,
    plan           TEXT NOT NULL CHECK (plan IN ('BUL', 'PI1G', 'PI5G', 'PRIVATE', 'REGIONAL')),
    lot            TEXT,
    comune         TEXT NOT NULL,         -- current ISTAT code
    source_comune  TEXT NOT NULL,         -- as the file wrote it
    technology     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('planned', 'design_final', 'design_exec',
                       'permits', 'in_works', 'works_closed', 'testing', 'completed',
                       'sellable', 'excluded')),
    status_text    TEXT NOT NULL,         -- as the file wrote it
    status_date    DATE NOT NULL,
    units          BIGINT NOT NULL CHECK (units >= 0),
    planned_start  DATE,
    planned_ready  DATE,
    ready_date     DATE,
    sellable_date  DATE,
    max_down       DOUBLE PRECISION,
    max_up         DOUBLE PRECISION,
    note           TEXT,
    ref_id         TEXT,                  -- civico id or site id
    street         TEXT,
    number         TEXT,
    name           TEXT,                  -- comune name (BUL) or site type
    geom           geometry(Point, 4326),
    extra          TEXT,                  -- other columns of the source row, JSON
    source_row     BIGINT NOT NULL
);
CREATE INDEX progress_items_key_idx ON progress_items (item_key, status_date);
CREATE INDEX progress_items_comune_idx ON progress_items (comune);
CREATE INDEX progress_items_upload_idx ON progress_items (upload_id);
CREATE INDEX progress_items_geom_idx ON progress_items USING GIST (geom);
