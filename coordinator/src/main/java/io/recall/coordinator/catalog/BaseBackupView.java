package io.recall.coordinator.catalog;

import java.time.OffsetDateTime;

/**
 * A base backup as the API shows it.
 *
 * @param id the backup id (for a request, the request id)
 * @param status {@link BaseBackupStatus}
 * @param reason INITIAL, REQUESTED, SCHEDULED, AFTER_GAP, or UNKNOWN for a failure that did not say and for a backup
 *     a catalog rebuild found in storage (manifests do not record why a backup was taken)
 * @param consistentLsn every transaction with commit LSN below it is in the dump; replay starts at it ({@code X/Y})
 * @param storagePrefix where its files and manifest are, under the deployment's storage prefix
 */
public record BaseBackupView(
        String id,
        String status,
        String reason,
        String consistentLsn,
        OffsetDateTime snapshotTime,
        String serverVersion,
        Long totalBytes,
        String storagePrefix,
        String manifestSha256,
        String error,
        OffsetDateTime requestedAt,
        OffsetDateTime finishedAt) {}
