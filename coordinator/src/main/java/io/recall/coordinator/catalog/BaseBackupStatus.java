package io.recall.coordinator.catalog;

/** Where a base backup is, as {@code GET /api/v1/sources/{id}/base-backups} reports it. */
public enum BaseBackupStatus {
    /** An operator asked for it; no worker has reported on it yet. */
    REQUESTED,
    /** Stored with its manifest; restores may start from it. */
    SUCCEEDED,
    /** The worker gave up on it; {@code error} says why. */
    FAILED
}
