-- Desired state on Kafka (recall.sources). The metadata database is the source of truth: a change is committed here
-- first (epoch bumped), then written to Kafka; a record Kafka has acknowledged moves published_epoch up to its epoch.
-- A source whose published_epoch differs from its epoch is republished by the reconciler.

-- epoch of the last desired state (or tombstone) Kafka acknowledged; NULL = nothing acknowledged yet
ALTER TABLE sources ADD COLUMN published_epoch BIGINT;

-- the operator's latest base-backup request; part of the desired state (a worker takes one backup per distinct id)
ALTER TABLE sources ADD COLUMN base_backup_request_id UUID;

-- set by DELETE: from then on the desired state is a tombstone, and the row goes once the slot and publication
-- are dropped on the source
ALTER TABLE sources ADD COLUMN deletion_requested_at TIMESTAMP WITH TIME ZONE;
