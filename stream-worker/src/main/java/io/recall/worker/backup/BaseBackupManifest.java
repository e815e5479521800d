package io.recall.worker.backup;

import java.time.Instant;
import java.util.List;

/**
 * {@code manifest.json} of a base backup, written last: a backup without one is incomplete and ignored.
 *
 * @param consistentLsn every transaction with commit LSN below it is in the dump; replay starts at it
 * @param snapshotTime the source's clock when the snapshot was exported
 * @param tables the captured tables whose data the dump holds
 * @param requestId the operator's request this backup answers (null for the first backup of a slot)
 */
public record BaseBackupManifest(
        int formatVersion,
        String sourceId,
        String backupId,
        String consistentLsn,
        Instant snapshotTime,
        String serverVersion,
        int serverVersionNum,
        String pgDumpVersion,
        List<String> tables,
        List<FileEntry> files,
        String requestId,
        Instant completedAt) {

    public static final int FORMAT_VERSION = 1;
    public static final String FILE_NAME = "manifest.json";

    /** One file of the backup, relative to the backup's prefix. */
    public record FileEntry(String name, long size, String sha256) {}
}
