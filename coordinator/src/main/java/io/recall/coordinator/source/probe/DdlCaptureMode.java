package io.recall.coordinator.source.probe;

/** How schema changes of a source are captured; chosen by the probe from what the role may do. */
public enum DdlCaptureMode {
    /** Event triggers record each DDL's resulting state in the stream (needs superuser on PostgreSQL 13-17). */
    EVENT_TRIGGER,
    /**
     * No event triggers (managed services): column changes derived from the stream's Relation messages and the
     * catalog, tables found by polling; what cannot be rebuilt exactly is an approximate range until a new base backup.
     */
    FALLBACK
}
