package io.recall.coordinator.retention;

import static io.recall.coordinator.db.Tables.APPROXIMATE_RANGES;
import static io.recall.coordinator.db.Tables.BASE_BACKUPS;
import static io.recall.coordinator.db.Tables.RESTORES;
import static io.recall.coordinator.db.Tables.SCHEMA_CHANGES;
import static io.recall.coordinator.db.Tables.SEGMENTS;
import static io.recall.coordinator.db.Tables.SOURCES;
import static io.recall.coordinator.db.Tables.STREAM_GAPS;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import io.recall.coordinator.catalog.BaseBackupStatus;
import io.recall.coordinator.catalog.GapMarkers;
import io.recall.coordinator.retention.RetentionPolicy.Backup;
import io.recall.coordinator.retention.RetentionPolicy.Plan;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Carries out a {@link RetentionPolicy} for one source: deletes the base backups before the oldest kept one, the
 * segments wholly before its consistent point (last LSN below it: replay from any kept backup never reads them), the
 * gaps and approximate ranges that end at or before it (no restorable target lies in them any more), the schema
 * changes committed before it (every kept backup's dump already holds their result), and failed backup attempts
 * requested before its snapshot.
 *
 * <p><b>Ordering contract.</b> Each item goes in one step: its catalog row is deleted in a transaction, its objects are
 * deleted from storage inside that transaction, and the transaction commits only after storage confirmed. A storage
 * fault rolls the row back, so the catalog never loses sight of an object that is still there; a crash after the
 * objects went and before the commit leaves a row whose objects are gone, which the next run deletes again (deleting
 * a missing object does nothing). Only objects under the source's own {@code sources/{id}/} are ever deleted.
 * Thread-safe; run under the {@link io.recall.coordinator.catalog.CatalogLocks#MAINTENANCE} lock.
 */
@Component
class RetentionEnforcer {

    private static final Logger log = LoggerFactory.getLogger(RetentionEnforcer.class);
    private static final int SEGMENT_BATCH = 200;
    private static final Set<String> ACTIVE_RESTORES = Set.of("QUEUED", "RUNNING");

    /** A source and its policy. */
    record SourceRetention(SourceId source, RetentionPolicy policy) {}

    /** What one run deleted for a source. */
    record Pruned(
            int baseBackups, int segments, int gaps, int approximateRanges, int schemaChanges, int failedBackups) {
        boolean isEmpty() {
            return baseBackups + segments + gaps + approximateRanges + schemaChanges + failedBackups == 0;
        }
    }

    private final DSLContext db;
    private final BlobStore store;
    private final TransactionTemplate tx;
    private final GapMarkers gapMarkers;
    private final ObjectMapper json;

    RetentionEnforcer(
            DSLContext db, BlobStore store, TransactionTemplate tx, GapMarkers gapMarkers, ObjectMapper json) {
        this.db = db;
        this.store = store;
        this.tx = tx;
        this.gapMarkers = gapMarkers;
        this.json = json;
    }

    /** Sources with a retention policy that are not being deleted. A policy that cannot be read is logged. */
    List<SourceRetention> sources() {
        return db
                .select(SOURCES.ID, SOURCES.RETENTION)
                .from(SOURCES)
                .where(SOURCES.RETENTION.isNotNull())
                .and(SOURCES.DELETION_REQUESTED_AT.isNull())
                .orderBy(SOURCES.NAME)
                .fetch()
                .stream()
                .flatMap(r -> policy(new SourceId(r.value1()), r.value2().data()).stream())
                .toList();
    }

    private Optional<SourceRetention> policy(SourceId source, String retention) {
        try {
            return RetentionPolicy.of(json.readValue(retention, new TypeReference<Map<String, Object>>() {}))
                    .map(p -> new SourceRetention(source, p));
        } catch (IOException | IllegalArgumentException e) {
            log.error("the retention policy of source {} cannot be read ({}): nothing of it is deleted", source, e);
            return Optional.empty();
        }
    }

    /**
     * Applies the policy at {@code now}.
     *
     * @throws io.recall.common.storage.StorageException if storage is unavailable: what was deleted so far stays
     *     deleted, the rest waits for the next run
     */
    Pruned enforce(SourceId source, RetentionPolicy policy, Instant now) {
        List<Backup> backups = db.select(BASE_BACKUPS.ID, BASE_BACKUPS.CONSISTENT_LSN, BASE_BACKUPS.SNAPSHOT_TIME)
                .from(BASE_BACKUPS)
                .where(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                .and(BASE_BACKUPS.STATUS.eq(BaseBackupStatus.SUCCEEDED.name()))
                .and(BASE_BACKUPS.CONSISTENT_LSN.isNotNull())
                .and(BASE_BACKUPS.SNAPSHOT_TIME.isNotNull())
                .fetch(r ->
                        new Backup(r.value1(), new Lsn(r.value2()), r.value3().toInstant()));
        Set<UUID> inUse = new HashSet<>(db.select(RESTORES.BASE_BACKUP_ID)
                .from(RESTORES)
                .where(RESTORES.SOURCE_ID.eq(source.value()))
                .and(RESTORES.STATUS.in(ACTIVE_RESTORES))
                .and(RESTORES.BASE_BACKUP_ID.isNotNull())
                .fetch(r -> r.value1()));
        Plan plan = policy.plan(backups, now, inUse);
        if (plan.oldestKept().isEmpty()) {
            return new Pruned(0, 0, 0, 0, 0, 0);
        }
        Backup boundary = plan.oldestKept().get();
        int deletedBackups = 0;
        for (Backup b : plan.delete()) {
            if (deleteBackup(source, b.id(), BaseBackupStatus.SUCCEEDED)) {
                deletedBackups++;
            }
        }
        int failed = 0;
        for (UUID id : db.select(BASE_BACKUPS.ID)
                .from(BASE_BACKUPS)
                .where(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                .and(BASE_BACKUPS.STATUS.eq(BaseBackupStatus.FAILED.name()))
                .and(BASE_BACKUPS.REQUESTED_AT.lt(boundary.snapshotTime().atOffset(ZoneOffset.UTC)))
                .fetch(r -> r.value1())) {
            if (deleteBackup(source, id, BaseBackupStatus.FAILED)) {
                failed++;
            }
        }
        int segments = deleteSegments(source, boundary.consistentLsn());
        int gaps = deleteGaps(source, boundary.consistentLsn());
        int approximateRanges = deleteApproximateRanges(source, boundary.consistentLsn());
        int schemaChanges = deleteSchemaChanges(source, boundary.consistentLsn());
        Pruned pruned = new Pruned(deletedBackups, segments, gaps, approximateRanges, schemaChanges, failed);
        if (!pruned.isEmpty()) {
            log.info(
                    "retention {} of source {}: deleted {} base backup(s), {} segment(s), {} gap(s), {} approximate"
                            + " range(s), {} schema change(s) and {} failed backup attempt(s) before base backup {}"
                            + " (consistent point {})",
                    policy,
                    source,
                    deletedBackups,
                    segments,
                    gaps,
                    approximateRanges,
                    schemaChanges,
                    failed,
                    boundary.id(),
                    boundary.consistentLsn());
        }
        return pruned;
    }

    /** Deletes one backup's row and, in the same step, its objects. False if the row was gone already. */
    private boolean deleteBackup(SourceId source, UUID id, BaseBackupStatus status) {
        Boolean deleted = tx.execute(st -> {
            var row = db.selectFrom(BASE_BACKUPS)
                    .where(BASE_BACKUPS.ID.eq(id))
                    .and(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                    .and(BASE_BACKUPS.STATUS.eq(status.name()))
                    .forUpdate()
                    .fetchOptional();
            if (row.isEmpty()) {
                return false;
            }
            String prefix = backupPrefix(source, id, row.get().getStoragePrefix());
            db.deleteFrom(BASE_BACKUPS).where(BASE_BACKUPS.ID.eq(id)).execute();
            for (BlobInfo blob : store.list(prefix)) {
                store.delete(blob.key());
            }
            return true;
        });
        return Boolean.TRUE.equals(deleted);
    }

    /**
     * The folder of a backup's objects: the one its row names when that is a backup folder of this source, else the
     * folder capture would have used for its id. Never anything outside {@code sources/{id}/base/}.
     */
    static String backupPrefix(SourceId source, UUID id, String recorded) {
        Pattern own = Pattern.compile(Pattern.quote("sources/" + source + "/base/") + "[^/]+/");
        return recorded != null && own.matcher(recorded).matches()
                ? recorded
                : "sources/" + source + "/base/" + id + "/";
    }

    private int deleteSegments(SourceId source, Lsn boundary) {
        int deleted = 0;
        while (true) {
            Integer batch = tx.execute(st -> {
                var rows = db.select(SEGMENTS.FIRST_LSN, SEGMENTS.LAST_LSN, SEGMENTS.OBJECT_KEY)
                        .from(SEGMENTS)
                        .where(SEGMENTS.SOURCE_ID.eq(source.value()))
                        // LSNs stay far below 2^63 (see V1__metadata.sql), so signed comparison is LSN order
                        .and(SEGMENTS.LAST_LSN.lt(boundary.value()))
                        .orderBy(SEGMENTS.FIRST_LSN, SEGMENTS.LAST_LSN)
                        .limit(SEGMENT_BATCH)
                        .forUpdate()
                        .fetch();
                for (var r : rows) {
                    db.deleteFrom(SEGMENTS)
                            .where(SEGMENTS.SOURCE_ID.eq(source.value()))
                            .and(SEGMENTS.FIRST_LSN.eq(r.value1()))
                            .and(SEGMENTS.LAST_LSN.eq(r.value2()))
                            .execute();
                }
                for (var r : rows) {
                    // recorded keys name the source's own segments (checked when announced or rebuilt)
                    store.delete(r.value3());
                }
                return rows.size();
            });
            if (batch == null || batch == 0) {
                return deleted;
            }
            deleted += batch;
        }
    }

    private int deleteGaps(SourceId source, Lsn boundary) {
        int deleted = 0;
        for (UUID id : db.select(STREAM_GAPS.ID)
                .from(STREAM_GAPS)
                .where(STREAM_GAPS.SOURCE_ID.eq(source.value()))
                .and(STREAM_GAPS.TO_LSN.isNotNull())
                .and(STREAM_GAPS.TO_LSN.le(boundary.value()))
                .fetch(r -> r.value1())) {
            tx.executeWithoutResult(st -> {
                db.deleteFrom(STREAM_GAPS).where(STREAM_GAPS.ID.eq(id)).execute();
                gapMarkers.delete(source, id);
            });
            deleted++;
        }
        return deleted;
    }

    /** Catalog rows only: nothing of them is in storage. An open range stays, however old its start. */
    private int deleteApproximateRanges(SourceId source, Lsn boundary) {
        return db.deleteFrom(APPROXIMATE_RANGES)
                .where(APPROXIMATE_RANGES.SOURCE_ID.eq(source.value()))
                .and(APPROXIMATE_RANGES.TO_LSN.isNotNull())
                // LSNs stay far below 2^63 (see V1__metadata.sql), so signed comparison is LSN order
                .and(APPROXIMATE_RANGES.TO_LSN.le(boundary.value()))
                .execute();
    }

    /** Catalog rows only: nothing of them is in storage. */
    private int deleteSchemaChanges(SourceId source, Lsn boundary) {
        return db.deleteFrom(SCHEMA_CHANGES)
                .where(SCHEMA_CHANGES.SOURCE_ID.eq(source.value()))
                // LSNs stay far below 2^63 (see V1__metadata.sql), so signed comparison is LSN order
                .and(SCHEMA_CHANGES.COMMIT_LSN.lt(boundary.value()))
                .execute();
    }
}
