package io.recall.coordinator.catalog;

import static io.recall.coordinator.db.Tables.BASE_BACKUPS;
import static io.recall.coordinator.db.Tables.RESTORE_POINTS;
import static io.recall.coordinator.db.Tables.SEGMENTS;
import static io.recall.coordinator.db.Tables.SOURCES;
import static io.recall.coordinator.db.Tables.STREAM_GAPS;
import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.excluded;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.errors.ConflictException;
import io.recall.common.errors.NotFoundException;
import io.recall.common.layout.GapMarker;
import io.recall.common.layout.RestorePointMarker;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.segment.SegmentName;
import io.recall.common.segment.SegmentReader;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobNotFoundException;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.javacrumbs.shedlock.core.DefaultLockingTaskExecutor;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.LockingTaskExecutor;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Rebuilds a source's catalog from storage alone: base backups from their {@code manifest.json}, segments from their
 * file headers ({@link SegmentMetadata}), gaps from their markers ({@link GapMarkers}), and the archived watermark
 * from the segments. For a metadata database that was lost or restored from an older backup. Schema history and
 * approximate ranges are not in storage: a rebuild does not bring them back.
 *
 * <p>A rebuild adds and corrects; it never removes a row. Rows are upserted by the same keys the catalog consumer
 * uses (backup id, segment LSN range, gap id), so a rebuild next to a running consumer, or twice, changes nothing
 * further, and rows that only the catalog knows (requested and failed backups) stay. What is in the catalog but no
 * longer in storage is counted in the result, not deleted: an object a sink uploads while the listing runs would look
 * the same, and deleting its row would lose a segment. Manifests do not record why a backup was taken: a row the
 * rebuild creates has the reason {@code UNKNOWN}; an existing row keeps its own. The archived watermark only moves
 * forward.
 *
 * <p>Only sources the catalog knows are rebuilt (a source's connection and credentials are not in storage). Runs under
 * the {@link CatalogLocks#MAINTENANCE} lock, so never while retention deletes. Thread-safe.
 */
@Service
public class CatalogRebuilder {

    private static final Logger log = LoggerFactory.getLogger(CatalogRebuilder.class);

    /** A segment's header (metadata, schema, sync marker) fits in this much; a larger one is read whole. */
    private static final long HEADER_BYTES = 256 * 1024;
    /** Segment headers read at once: storage round trips dominate, and an S3 store serves many in parallel. */
    private static final int PARALLEL_READS = 16;
    /** Segments written to the catalog per transaction. */
    private static final int BATCH = 500;

    private static final String MANIFEST = "manifest.json";

    /** What one source's rebuild found. */
    public record RebuiltSource(
            String sourceId,
            int baseBackups,
            int segments,
            int gaps,
            int restorePoints,
            String archivedLsn,
            int baseBackupsNotInStorage,
            int segmentsNotInStorage,
            List<String> unreadable) {}

    /** The result of {@code POST /api/v1/admin/catalog/rebuild}. */
    public record Rebuild(List<RebuiltSource> sources) {}

    private final DSLContext db;
    private final BlobStore store;
    private final ObjectMapper json;
    private final TransactionTemplate tx;
    private final GapMarkers gapMarkers;
    private final LockingTaskExecutor locks;

    CatalogRebuilder(
            DSLContext db,
            BlobStore store,
            ObjectMapper json,
            TransactionTemplate tx,
            GapMarkers gapMarkers,
            LockProvider lockProvider) {
        this.db = db;
        this.store = store;
        this.json = json;
        this.tx = tx;
        this.gapMarkers = gapMarkers;
        this.locks = new DefaultLockingTaskExecutor(lockProvider);
    }

    /**
     * Rebuilds one source, or every source the catalog knows.
     *
     * @param only the source to rebuild, or null for all
     * @throws NotFoundException if {@code only} is not a known source
     * @throws ConflictException if retention or another rebuild holds the maintenance lock
     * @throws StorageException if storage is unavailable (what was rebuilt before stays)
     */
    public Rebuild rebuild(SourceId only) {
        List<SourceId> sources;
        if (only != null) {
            if (!db.fetchExists(SOURCES, SOURCES.ID.eq(only.value()))) {
                throw new NotFoundException("source", only.toString());
            }
            sources = List.of(only);
        } else {
            sources = db.select(SOURCES.ID).from(SOURCES).orderBy(SOURCES.NAME).fetch(r -> new SourceId(r.value1()));
        }
        LockingTaskExecutor.TaskResult<Rebuild> result;
        try {
            result = locks.executeWithLock(
                    () -> new Rebuild(sources.stream().map(this::rebuildSource).toList()),
                    new LockConfiguration(Instant.now(), CatalogLocks.MAINTENANCE, Duration.ofHours(6), Duration.ZERO));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        if (!result.wasExecuted()) {
            throw new ConflictException("catalog maintenance (retention or another rebuild) is running on a"
                    + " coordinator; rebuild again when it is done");
        }
        return result.getResult();
    }

    private RebuiltSource rebuildSource(SourceId source) {
        try (var ignored = MDC.putCloseable("source", source.toString())) {
            List<String> unreadable = new ArrayList<>();
            int backups = rebuildBackups(source, unreadable);
            SegmentCounts segments = rebuildSegments(source, unreadable);
            int gaps = rebuildGaps(source, unreadable);
            int points = rebuildRestorePoints(source, unreadable);
            Lsn archived = tx.execute(st -> advanceWatermark(source));
            int missingBackups = backupsNotInStorage(source);
            if (missingBackups > 0 || segments.notInStorage() > 0) {
                log.warn(
                        "the catalog of source {} names {} base backup(s) and {} segment(s) that are not in storage",
                        source,
                        missingBackups,
                        segments.notInStorage());
            }
            log.info(
                    "rebuilt the catalog of source {} from storage: {} base backups, {} segments, {} gaps, archived"
                            + " watermark {}, {} unreadable",
                    source,
                    backups,
                    segments.read(),
                    gaps,
                    archived,
                    unreadable.size());
            return new RebuiltSource(
                    source.toString(),
                    backups,
                    segments.read(),
                    gaps,
                    points,
                    archived == null ? null : archived.toString(),
                    missingBackups,
                    segments.notInStorage(),
                    unreadable);
        }
    }

    // ---------------------------------------------------------------- base backups

    private int rebuildBackups(SourceId source, List<String> unreadable) {
        String base = "sources/" + source + "/base/";
        Map<String, Long> sizeByBackup = new LinkedHashMap<>();
        List<String> manifests = new ArrayList<>();
        for (BlobInfo info : store.list(base)) {
            String rest = info.key().substring(base.length());
            int slash = rest.indexOf('/');
            if (slash <= 0) {
                continue;
            }
            sizeByBackup.merge(rest.substring(0, slash), info.size(), Long::sum);
            if (rest.substring(slash + 1).equals(MANIFEST)) {
                manifests.add(info.key());
            }
        }
        int recorded = 0;
        for (String key : manifests) {
            String folder = key.substring(base.length(), key.length() - MANIFEST.length() - 1);
            byte[] bytes;
            try (InputStream in = store.open(key)) {
                bytes = in.readAllBytes();
            } catch (BlobNotFoundException e) {
                continue;
            } catch (IOException e) {
                unreadable.add(key + ": " + e.getMessage());
                continue;
            }
            BaseBackupManifest m;
            Lsn consistent;
            try {
                m = json.readValue(bytes, BaseBackupManifest.class);
                consistent = Lsn.parse(m.consistentLsn());
            } catch (IOException | RuntimeException e) {
                unreadable.add(key + ": not a base backup manifest (" + e.getMessage() + ")");
                continue;
            }
            if (!source.toString().equals(m.sourceId()) || !folder.equals(m.backupId()) || m.snapshotTime() == null) {
                unreadable.add(key + ": the manifest does not describe backup " + folder + " of this source");
                continue;
            }
            recordBackup(source, m, consistent, base + folder + "/", sizeByBackup.get(folder), sha256(bytes));
            recorded++;
        }
        return recorded;
    }

    private void recordBackup(
            SourceId source,
            BaseBackupManifest m,
            Lsn consistent,
            String prefix,
            long totalBytes,
            String manifestSha256) {
        OffsetDateTime snapshot = utc(m.snapshotTime());
        OffsetDateTime finished = m.completedAt() == null ? snapshot : utc(m.completedAt());
        db.insertInto(BASE_BACKUPS)
                .set(BASE_BACKUPS.ID, CatalogRecorder.backupId(source, m.backupId()))
                .set(BASE_BACKUPS.SOURCE_ID, source.value())
                .set(BASE_BACKUPS.STATUS, BaseBackupStatus.SUCCEEDED.name())
                .set(BASE_BACKUPS.REASON, "UNKNOWN")
                .set(BASE_BACKUPS.CONSISTENT_LSN, consistent.value())
                .set(BASE_BACKUPS.SNAPSHOT_TIME, snapshot)
                .set(BASE_BACKUPS.SERVER_VERSION, m.serverVersion())
                .set(BASE_BACKUPS.STORAGE_PREFIX, prefix)
                .set(BASE_BACKUPS.TOTAL_BYTES, totalBytes)
                .set(BASE_BACKUPS.MANIFEST_SHA256, manifestSha256)
                .set(BASE_BACKUPS.REQUESTED_AT, snapshot)
                .set(BASE_BACKUPS.STARTED_AT, snapshot)
                .set(BASE_BACKUPS.FINISHED_AT, finished)
                .onConflict(BASE_BACKUPS.ID)
                .doUpdate()
                .set(BASE_BACKUPS.STATUS, BaseBackupStatus.SUCCEEDED.name())
                .set(BASE_BACKUPS.CONSISTENT_LSN, excluded(BASE_BACKUPS.CONSISTENT_LSN))
                .set(BASE_BACKUPS.SNAPSHOT_TIME, excluded(BASE_BACKUPS.SNAPSHOT_TIME))
                .set(BASE_BACKUPS.SERVER_VERSION, excluded(BASE_BACKUPS.SERVER_VERSION))
                .set(BASE_BACKUPS.STORAGE_PREFIX, excluded(BASE_BACKUPS.STORAGE_PREFIX))
                .set(BASE_BACKUPS.TOTAL_BYTES, excluded(BASE_BACKUPS.TOTAL_BYTES))
                .set(BASE_BACKUPS.MANIFEST_SHA256, excluded(BASE_BACKUPS.MANIFEST_SHA256))
                .set(BASE_BACKUPS.STARTED_AT, coalesce(BASE_BACKUPS.STARTED_AT, excluded(BASE_BACKUPS.STARTED_AT)))
                .set(BASE_BACKUPS.FINISHED_AT, coalesce(BASE_BACKUPS.FINISHED_AT, excluded(BASE_BACKUPS.FINISHED_AT)))
                .set(BASE_BACKUPS.ERROR, (String) null)
                .where(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                .execute();
    }

    private int backupsNotInStorage(SourceId source) {
        int missing = 0;
        for (String prefix : db.select(BASE_BACKUPS.STORAGE_PREFIX)
                .from(BASE_BACKUPS)
                .where(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                .and(BASE_BACKUPS.STATUS.eq(BaseBackupStatus.SUCCEEDED.name()))
                .fetch(r -> r.value1())) {
            if (prefix == null || !store.exists(prefix + MANIFEST)) {
                missing++;
            }
        }
        return missing;
    }

    // ---------------------------------------------------------------- segments

    private record SegmentCounts(int read, int notInStorage) {}

    /** A segment file whose header could not be read, or says it is another segment than its name. */
    private record Unreadable(String reason) {}

    private SegmentCounts rebuildSegments(SourceId source, List<String> unreadable) {
        List<BlobInfo> files = new ArrayList<>();
        for (BlobInfo info : store.list(SegmentName.prefix(source))) {
            var name = SegmentName.tryParse(info.key());
            if (name.isPresent() && name.get().sourceId().equals(source)) {
                files.add(info);
            } else {
                unreadable.add(info.key() + ": not a segment name");
            }
        }
        int read = 0;
        try (ExecutorService readers =
                Executors.newFixedThreadPool(PARALLEL_READS, Thread.ofVirtual().factory())) {
            for (int from = 0; from < files.size(); from += BATCH) {
                List<BlobInfo> batch = files.subList(from, Math.min(files.size(), from + BATCH));
                List<Future<Object>> headers = new ArrayList<>();
                for (BlobInfo info : batch) {
                    headers.add(readers.submit(() -> readHeader(info.key())));
                }
                Map<BlobInfo, SegmentMetadata> found = new LinkedHashMap<>();
                for (int i = 0; i < batch.size(); i++) {
                    Object header = await(headers.get(i));
                    if (header instanceof SegmentMetadata m) {
                        found.put(batch.get(i), m);
                    } else if (header instanceof Unreadable u) {
                        unreadable.add(batch.get(i).key() + ": " + u.reason());
                    }
                }
                tx.executeWithoutResult(st -> found.forEach((info, m) -> recordSegment(source, info, m)));
                read += found.size();
            }
        }
        Set<String> stored = new HashSet<>();
        files.forEach(f -> stored.add(f.key()));
        int notInStorage = (int) db
                .select(SEGMENTS.OBJECT_KEY)
                .from(SEGMENTS)
                .where(SEGMENTS.SOURCE_ID.eq(source.value()))
                .fetch(r -> r.value1())
                .stream()
                .filter(k -> !stored.contains(k))
                .count();
        return new SegmentCounts(read, notInStorage);
    }

    /** The header's metadata, an {@link Unreadable}, or null when the file went away since the listing. */
    private Object readHeader(String key) {
        SegmentName name = SegmentName.parse(key);
        SegmentMetadata m;
        try {
            m = header(key);
        } catch (BlobNotFoundException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            if (e instanceof StorageException s) {
                throw s;
            }
            return new Unreadable(e.getMessage());
        }
        if (!m.name().equals(name)) {
            return new Unreadable("its metadata describes segment " + m.name());
        }
        return m;
    }

    /** Reads the header from the first bytes of the object, or from the whole object if it is larger. */
    private SegmentMetadata header(String key) throws IOException {
        try (SegmentReader reader = SegmentReader.open(store.open(key, 0, HEADER_BYTES))) {
            return reader.metadata();
        } catch (IOException | RuntimeException first) {
            if (first instanceof StorageException || first instanceof BlobNotFoundException) {
                throw first;
            }
            try (SegmentReader reader = SegmentReader.open(store, key)) {
                return reader.metadata();
            }
        }
    }

    private static Object await(Future<Object> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading segment headers", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private void recordSegment(SourceId source, BlobInfo info, SegmentMetadata m) {
        db.insertInto(SEGMENTS)
                .set(SEGMENTS.SOURCE_ID, source.value())
                .set(SEGMENTS.FIRST_LSN, m.firstLsn().value())
                .set(SEGMENTS.LAST_LSN, m.lastLsn().value())
                .set(SEGMENTS.FIRST_COMMIT_TIME, utcOrNull(m.firstCommitTime()))
                .set(SEGMENTS.LAST_COMMIT_TIME, utcOrNull(m.lastCommitTime()))
                .set(SEGMENTS.WATERMARK_LSN, m.watermarkLsn().value())
                .set(SEGMENTS.WATERMARK_TIME, utcOrNull(m.watermarkTime()))
                .set(SEGMENTS.RECORD_COUNT, m.recordCount())
                .set(SEGMENTS.TRANSACTION_COUNT, m.transactionCount())
                .set(SEGMENTS.CHANGE_COUNT, m.changeCount())
                .set(SEGMENTS.STORED_BYTES, info.size())
                .set(SEGMENTS.UNCOMPRESSED_BYTES, m.uncompressedBytes())
                .set(SEGMENTS.OBJECT_KEY, info.key())
                .set(SEGMENTS.SCHEMA_FINGERPRINT, m.schemaFingerprint())
                .set(SEGMENTS.SEALED_AT, utc(info.lastModified()))
                .onConflict(SEGMENTS.SOURCE_ID, SEGMENTS.FIRST_LSN, SEGMENTS.LAST_LSN)
                .doUpdate()
                .set(SEGMENTS.FIRST_COMMIT_TIME, excluded(SEGMENTS.FIRST_COMMIT_TIME))
                .set(SEGMENTS.LAST_COMMIT_TIME, excluded(SEGMENTS.LAST_COMMIT_TIME))
                .set(SEGMENTS.WATERMARK_LSN, excluded(SEGMENTS.WATERMARK_LSN))
                .set(SEGMENTS.WATERMARK_TIME, excluded(SEGMENTS.WATERMARK_TIME))
                .set(SEGMENTS.RECORD_COUNT, excluded(SEGMENTS.RECORD_COUNT))
                .set(SEGMENTS.TRANSACTION_COUNT, excluded(SEGMENTS.TRANSACTION_COUNT))
                .set(SEGMENTS.CHANGE_COUNT, excluded(SEGMENTS.CHANGE_COUNT))
                .set(SEGMENTS.STORED_BYTES, excluded(SEGMENTS.STORED_BYTES))
                .set(SEGMENTS.UNCOMPRESSED_BYTES, excluded(SEGMENTS.UNCOMPRESSED_BYTES))
                .set(SEGMENTS.SCHEMA_FINGERPRINT, excluded(SEGMENTS.SCHEMA_FINGERPRINT))
                .execute();
    }

    /** Moves the archived watermark up to the highest segment watermark in the catalog; returns the result. */
    private Lsn advanceWatermark(SourceId source) {
        var top = db.select(SEGMENTS.WATERMARK_LSN, SEGMENTS.WATERMARK_TIME)
                .from(SEGMENTS)
                .where(SEGMENTS.SOURCE_ID.eq(source.value()))
                .orderBy(
                        SEGMENTS.WATERMARK_LSN.desc(),
                        SEGMENTS.WATERMARK_TIME.desc().nullsLast())
                .limit(1)
                .fetchOptional();
        top.ifPresent(r -> CatalogRecorder.advanceArchived(db, source, new Lsn(r.value1()), r.value2()));
        Long archived = db.select(SOURCES.ARCHIVED_LSN)
                .from(SOURCES)
                .where(SOURCES.ID.eq(source.value()))
                .fetchOptional()
                .map(r -> r.value1())
                .orElse(null);
        return archived == null ? null : new Lsn(archived);
    }

    // ---------------------------------------------------------------- gaps

    private int rebuildGaps(SourceId source, List<String> unreadable) {
        GapMarkers.Read read = gapMarkers.read(source);
        unreadable.addAll(read.unreadable());
        int recorded = 0;
        for (GapMarker m : read.markers()) {
            UUID id;
            Lsn from;
            Lsn to;
            try {
                id = UUID.fromString(m.id());
                from = Lsn.parse(m.fromLsn());
                to = m.toLsn() == null ? null : Lsn.parse(m.toLsn());
            } catch (IllegalArgumentException e) {
                unreadable.add("gap marker " + m.id() + ": " + e.getMessage());
                continue;
            }
            db.insertInto(STREAM_GAPS)
                    .set(STREAM_GAPS.ID, id)
                    .set(STREAM_GAPS.SOURCE_ID, source.value())
                    .set(STREAM_GAPS.FROM_LSN, from.value())
                    .set(STREAM_GAPS.TO_LSN, to == null ? null : to.value())
                    .set(STREAM_GAPS.REASON, m.reason() == null ? "unknown" : m.reason())
                    .set(STREAM_GAPS.DETECTED_AT, utc(m.detectedAt() == null ? Instant.EPOCH : m.detectedAt()))
                    .onConflict(STREAM_GAPS.ID)
                    .doUpdate()
                    // a gap closed in the catalog stays closed; one closed only in its marker gets closed
                    .set(STREAM_GAPS.TO_LSN, coalesce(STREAM_GAPS.TO_LSN, excluded(STREAM_GAPS.TO_LSN)))
                    .where(STREAM_GAPS.SOURCE_ID.eq(source.value()))
                    .execute();
            recorded++;
        }
        return recorded;
    }

    // ---------------------------------------------------------------- restore points

    /** Named restore points from their markers; a point the catalog already has keeps its row. */
    private int rebuildRestorePoints(SourceId source, List<String> unreadable) {
        int recorded = 0;
        for (BlobInfo info : store.list(RestorePointMarker.prefix(source))) {
            RestorePointMarker m;
            Lsn lsn;
            try (InputStream in = store.open(info.key())) {
                m = json.readValue(in, RestorePointMarker.class);
                lsn = Lsn.parse(m.lsn());
                RestorePointMarker.checkName(m.name());
            } catch (BlobNotFoundException e) {
                continue;
            } catch (IOException | RuntimeException e) {
                unreadable.add(info.key() + ": not a restore point marker (" + e.getMessage() + ")");
                continue;
            }
            if (!source.toString().equals(m.sourceId()) || m.time() == null) {
                unreadable.add(info.key() + ": the marker does not describe a restore point of this source");
                continue;
            }
            db.insertInto(RESTORE_POINTS)
                    .set(RESTORE_POINTS.SOURCE_ID, source.value())
                    .set(RESTORE_POINTS.NAME, m.name())
                    .set(RESTORE_POINTS.LSN, lsn.value())
                    .set(RESTORE_POINTS.POINT_TIME, utc(m.time()))
                    .set(RESTORE_POINTS.CREATED_AT, utc(m.createdAt() == null ? m.time() : m.createdAt()))
                    .onConflictDoNothing()
                    .execute();
            recorded++;
        }
        return recorded;
    }

    // ---------------------------------------------------------------- helpers

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static OffsetDateTime utcOrNull(Instant instant) {
        return instant == null ? null : utc(instant);
    }
}
