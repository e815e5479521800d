package io.recall.restore.job;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.errors.RecallException;
import io.recall.common.layout.GapMarker;
import io.recall.common.layout.RestorePointMarker;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.segment.SegmentName;
import io.recall.common.segment.SegmentReader;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobNotFoundException;
import io.recall.common.storage.BlobStore;
import io.recall.restore.replay.RecoveryWindow;
import io.recall.restore.replay.TargetNotRestorableException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * What storage holds about one source, read the way a catalog rebuild reads it: complete base backups (their
 * manifests), gap markers, restore points and segments with their header metadata. A restore worker needs nothing
 * else (not the coordinator's catalog). {@link #refresh()} reads the segment listing again and the headers of
 * segments it has not seen. Not thread-safe: one job's thread uses it.
 */
final class StoredSource {

    /** Header reads in flight at once (each is one small ranged read). */
    private static final int HEADER_READS = 16;

    /** Bytes read for a header: the schema and metadata are a few KiB. */
    private static final long HEADER_RANGE = 256 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final BlobStore store;
    private final SourceId source;
    private final Map<String, StoredSegment> known = new HashMap<>();
    private List<BaseBackupManifest> backups = List.of();
    private List<RecoveryWindow.Gap> gaps = List.of();
    private List<StoredSegment> segments = List.of();

    /** A segment in storage. */
    record StoredSegment(String key, long size, SegmentMetadata metadata) {
        SegmentName name() {
            return metadata.name();
        }
    }

    StoredSource(BlobStore store, SourceId source) {
        this.store = store;
        this.source = source;
    }

    /** Reads backups, gaps and the segments' headers (only of segments not read before). */
    StoredSource refresh() {
        backups = BaseBackupManifest.listCompleted(store, source);
        gaps = readGaps();
        List<BlobInfo> listed = store.list(SegmentName.prefix(source)).stream()
                .filter(b -> SegmentName.tryParse(b.key()).isPresent())
                .toList();
        List<BlobInfo> unread =
                listed.stream().filter(b -> !known.containsKey(b.key())).toList();
        readHeaders(unread).forEach(s -> known.put(s.key(), s));
        segments = listed.stream()
                .map(b -> known.get(b.key()))
                .sorted(Comparator.comparing(StoredSegment::name))
                .toList();
        return this;
    }

    SourceId source() {
        return source;
    }

    /** Complete base backups, oldest consistent point first. */
    List<BaseBackupManifest> backups() {
        return backups;
    }

    List<RecoveryWindow.Gap> gaps() {
        return gaps;
    }

    /** Every stored segment in name (commit-LSN) order. */
    List<StoredSegment> segments() {
        return segments;
    }

    /**
     * What storage can restore to: from the oldest backup's consistent point to the highest archived watermark of any
     * segment (the backup alone when no segment reaches past it).
     *
     * @throws TargetNotRestorableException if there is no complete base backup
     */
    RecoveryWindow window() {
        if (backups.isEmpty()) {
            throw new TargetNotRestorableException(
                    "source " + source + " has no complete base backup in storage (sources/" + source + "/base/)",
                    null);
        }
        BaseBackupManifest oldest = backups.get(0);
        Lsn end = oldest.consistentPoint();
        Instant endTime = oldest.snapshotTime();
        for (StoredSegment s : segments) {
            SegmentMetadata m = s.metadata();
            if (m.watermarkLsn().isValid()
                    && m.watermarkTime() != null
                    && m.watermarkLsn().isAfter(end)) {
                end = m.watermarkLsn();
                endTime = m.watermarkTime();
            }
        }
        return new RecoveryWindow(oldest.consistentPoint(), oldest.snapshotTime(), end, endTime, gaps);
    }

    /** The segments that may hold transactions with commit LSN at or after {@code from}, in name order. */
    List<StoredSegment> segmentsFrom(Lsn from) {
        return segments.stream().filter(s -> !s.name().lastLsn().isBefore(from)).toList();
    }

    /**
     * The LSN of a restore point as the coordinator stored it.
     *
     * @throws TargetNotRestorableException if there is no point of that name
     */
    Lsn restorePoint(String name) {
        String key = RestorePointMarker.key(source, name);
        try (InputStream in = store.open(key)) {
            RestorePointMarker m = JSON.readValue(in, RestorePointMarker.class);
            return Lsn.parse(m.lsn());
        } catch (BlobNotFoundException e) {
            throw new TargetNotRestorableException(
                    "source " + source + " has no restore point named '" + name + "' (" + key + ")", null);
        } catch (IOException | IllegalArgumentException e) {
            throw new RecallException("unreadable restore point " + key + ": " + e.getMessage(), e);
        }
    }

    private List<RecoveryWindow.Gap> readGaps() {
        List<RecoveryWindow.Gap> out = new ArrayList<>();
        for (BlobInfo b : store.list(GapMarker.prefix(source))) {
            if (!b.key().endsWith(".json")) {
                continue;
            }
            try (InputStream in = store.open(b.key())) {
                GapMarker g = JSON.readValue(in, GapMarker.class);
                // an open gap (no new base backup yet) runs to the end of any LSN
                Lsn to = g.toLsn() == null ? new Lsn(-1L) : Lsn.parse(g.toLsn());
                out.add(new RecoveryWindow.Gap(Lsn.parse(g.fromLsn()), to));
            } catch (BlobNotFoundException e) {
                // deleted since the listing (retention): the gap is behind every kept backup
            } catch (IOException | IllegalArgumentException e) {
                throw new RecallException("unreadable gap marker " + b.key() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private List<StoredSegment> readHeaders(List<BlobInfo> blobs) {
        List<StoredSegment> out = new ArrayList<>(blobs.size());
        Semaphore slots = new Semaphore(HEADER_READS);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<StoredSegment>> reads = new ArrayList<>(blobs.size());
            for (BlobInfo b : blobs) {
                reads.add(pool.submit(() -> {
                    slots.acquire();
                    try {
                        return new StoredSegment(b.key(), b.size(), header(b.key()));
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (Future<StoredSegment> f : reads) {
                out.add(f.get());
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new RecallException("cannot read segment headers of source " + source + ": " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobStoppedException(JobControl.Stop.SHUTDOWN, "interrupted while reading segment headers");
        }
        return out;
    }

    private SegmentMetadata header(String key) throws IOException {
        try (SegmentReader r = SegmentReader.open(store.open(key, 0, HEADER_RANGE))) {
            return r.metadata();
        } catch (IOException e) {
            // a header larger than the range: read it from the whole object
            return SegmentReader.readMetadata(store, key);
        }
    }
}
