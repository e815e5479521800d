package io.recall.coordinator.source;

/** Where a source is in its lifecycle, as {@code GET /api/v1/sources} reports it. */
public enum SourceStatus {
    /** Being checked (a re-probe). */
    PROBING,
    /** Registered; a capture worker takes (or will take) the first base backup. */
    BASE_BACKUP,
    /** Changes are streaming into Kafka. */
    STREAMING,
    /** Capture stopped by an operator; the slot is kept and retains WAL on the source. */
    PAUSED,
    /** Capture failed; {@code lastError} says why. */
    ERROR;
}
