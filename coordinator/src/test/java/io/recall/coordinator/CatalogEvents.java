package io.recall.coordinator;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.segment.SegmentFormat;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.segment.SegmentName;
import io.recall.schemas.catalog.ApproximateRange;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.GapDetected;
import io.recall.schemas.catalog.SchemaChanged;
import io.recall.schemas.catalog.SchemaObjectChange;
import io.recall.schemas.catalog.SegmentSealed;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Test-data builders for what workers report on {@code recall.catalog}, and polling until the coordinator has caught
 * up.
 */
final class CatalogEvents {

    private CatalogEvents() {}

    /** A base backup as capture reports it, stored under the source's usual prefix. */
    static BaseBackupCompleted backup(
            String sourceId, String backupId, Lsn consistent, Instant snapshot, String reason, long totalBytes) {
        return BaseBackupCompleted.newBuilder()
                .setBackupId(backupId)
                .setConsistentLsn(consistent.value())
                .setSnapshotTime(snapshot)
                .setServerVersion("15.18")
                .setStoragePrefix("sources/" + sourceId + "/base/" + backupId + "/")
                .setTotalBytes(totalBytes)
                .setManifestSha256("ab".repeat(32))
                .setReason(reason)
                .build();
    }

    static GapDetected gap(Lsn from, String reason) {
        return GapDetected.newBuilder()
                .setFromLsn(from.value())
                .setReason(reason)
                .build();
    }

    /** A schema change fallback DDL capture cannot rebuild exactly, from {@code from} on ({@code to} null: open). */
    static ApproximateRange approximateRange(Lsn from, Lsn to, String reason) {
        return ApproximateRange.newBuilder()
                .setFromLsn(from.value())
                .setToLsn(to == null ? null : to.value())
                .setReason(reason)
                .build();
    }

    /** One DDL command as capture reports it, touching {@code objects} (built with {@link #object}). */
    static SchemaChanged schemaChange(
            Lsn commit, Instant time, long xid, int ordinal, String commandTag, SchemaObjectChange... objects) {
        return SchemaChanged.newBuilder()
                .setCommitLsn(commit.value())
                .setCommitTime(time)
                .setXid(xid)
                .setOrdinal(ordinal)
                .setCommandTag(commandTag)
                .setObjects(List.of(objects))
                .setApproximate(false)
                .build();
    }

    static SchemaObjectChange object(String objectType, String identity, String action, boolean replayed) {
        return new SchemaObjectChange(objectType, identity, action, replayed);
    }

    /**
     * A segment with {@code transactions} transactions between {@code first} and {@code last} (committed at
     * {@code firstTime} and {@code lastTime}), or with heartbeats only when {@code transactions} is 0 (no commit
     * times), establishing {@code watermark} at {@code watermarkTime}.
     */
    static SegmentSealed segment(
            String sourceId,
            Lsn first,
            Lsn last,
            long transactions,
            Instant firstTime,
            Instant lastTime,
            Lsn watermark,
            Instant watermarkTime) {
        return SegmentSealed.newBuilder()
                .setObjectKey(new SegmentName(SourceId.parse(sourceId), first, last).key())
                .setFirstLsn(first.value())
                .setLastLsn(last.value())
                .setFirstCommitTime(transactions == 0 ? null : firstTime)
                .setLastCommitTime(transactions == 0 ? null : lastTime)
                .setWatermarkLsn(watermark.value())
                .setWatermarkTime(watermarkTime)
                .setRecordCount(transactions == 0 ? 3 : transactions * 2 + 1)
                .setTransactionCount(transactions)
                .setChangeCount(transactions * 4)
                .setStoredBytes(1000 + transactions * 100)
                .setUncompressedBytes(5000 + transactions * 500)
                .setSchemaFingerprint(SegmentFormat.SCHEMA_FINGERPRINT_HEX)
                .build();
    }

    /** The announcement of a segment file that is in storage, as the sink makes it. */
    static SegmentSealed sealed(SegmentMetadata m, long storedBytes) {
        return SegmentSealed.newBuilder()
                .setObjectKey(m.name().key())
                .setFirstLsn(m.firstLsn().value())
                .setLastLsn(m.lastLsn().value())
                .setFirstCommitTime(m.firstCommitTime())
                .setLastCommitTime(m.lastCommitTime())
                .setWatermarkLsn(m.watermarkLsn().value())
                .setWatermarkTime(m.watermarkTime())
                .setRecordCount(m.recordCount())
                .setTransactionCount(m.transactionCount())
                .setChangeCount(m.changeCount())
                .setStoredBytes(storedBytes)
                .setUncompressedBytes(m.uncompressedBytes())
                .setSchemaFingerprint(m.schemaFingerprint())
                .build();
    }

    static void send(String sourceId, Object body) {
        KafkaRecords.sendCatalog(CoordinatorIT.KAFKA.bootstrapServers(), sourceId, body);
    }

    /** Polls {@code done} every 100 ms for up to 30 s; fails saying {@code what} never happened. */
    static void await(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within 30 s");
            }
            KafkaRecords.sleep(100);
        }
    }
}
