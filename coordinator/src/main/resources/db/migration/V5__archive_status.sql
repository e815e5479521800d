-- The sink's storage health per source (ArchiveStatus events on recall.catalog): set while storage refuses the
-- source's sealed segments, cleared when one is stored again.
ALTER TABLE sources ADD COLUMN archive_error TEXT;
ALTER TABLE sources ADD COLUMN archive_error_since TIMESTAMPTZ;
