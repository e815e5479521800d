package io.recall.worker.sink;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.segment.SealedSegment;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.segment.SegmentWriter;
import io.recall.common.storage.BlobInfo;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.TransactionChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the sink holds between Kafka and storage: per source (and partition) one open segment, the sealed segments
 * waiting to be stored and announced, and per partition the offset that may be committed. No Kafka client and no
 * storage here, so rotation and offset rules are tested with a fake clock.
 *
 * <h2>Rotation</h2>
 *
 * An open segment is sealed when it has reached {@code maxSegmentBytes} (uncompressed), has been open for
 * {@code maxSegmentAge} by the injected clock, or a seal was requested for its source — but only at a transaction
 * boundary: never after a chunk that is not its transaction's last. All chunks of a transaction therefore land in one
 * segment.
 *
 * <h2>Offsets (I1)</h2>
 *
 * Several sources share a partition. The offset committable for a partition is the smallest first offset of any
 * segment of that partition that is open or sealed but not yet announced ({@link #announced}), or else the offset after
 * the last record seen. Every record below it is in a stored, announced segment (or was dropped as below).
 *
 * <h2>Starting inside a transaction</h2>
 *
 * After an assignment, consumption starts at the committed offset, which may lie inside a transaction of a source
 * whose earlier chunks come before it (the offset was held back by another source's segment). Those leading chunks
 * (chunk index &gt; 0 before any other record of the source) are dropped: the committed offset passed the
 * transaction's first chunk, so that chunk was in a stored segment, and since segments end only at transaction
 * boundaries, so was the whole transaction. Dropping them keeps every segment starting at a transaction boundary,
 * which is what makes two segments with the same name hold the same transactions, so that storing one over the other
 * (a retry after a crash) never loses a transaction.
 *
 * <p>The price of boundary-only sealing: a transaction whose last chunk never comes (capture crashed inside it and the
 * source was never captured again; a capture restart re-sends it, which ends the abandoned run) keeps its source's
 * segment open and so holds back its partition's committed offset. That costs re-reading after a restart, never a
 * change.
 *
 * <h2>Transactions sent again</h2>
 *
 * A source's transactions can reach Kafka twice: a capture that restarts streams again from its slot's confirmed
 * position, which lags what Kafka holds (and PostgreSQL before 17 forgets a confirmed position it has not persisted
 * when the source restarts). Such a repeat steps back in commit-LSN order behind transactions already read, possibly
 * past several segments. Per source, each assignment therefore keeps only transactions that move the stream forward:
 * a chunk of a transaction that commits before the highest commit LSN read so far, or of that transaction again
 * after its last chunk, is dropped. Its first copy was read earlier, in this assignment or before the committed
 * offset; either way it is in a segment. So every segment holds a gap-free run of the source's transactions in
 * commit-LSN order, which is what restore's merge of segments by first LSN relies on (I2): two segments can overlap,
 * never interleave.
 *
 * <h2>Watermark</h2>
 *
 * Each new segment of a source starts from the watermark of the source's previous segment in this assignment, so a
 * segment of heartbeats and sequence snapshots carries it on.
 *
 * <p>Not thread-safe: used by the sink loop's thread only.
 */
final class OpenSegments implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpenSegments.class);

    /** Why a segment was sealed, for logs. */
    enum Reason {
        SIZE,
        AGE,
        REQUESTED
    }

    /** A segment being written. */
    static final class Open {
        final TopicPartition partition;
        final SourceId source;
        final long firstOffset;
        final Instant openedAt;
        final SegmentWriter writer;
        boolean sealRequested;

        Open(TopicPartition partition, SourceId source, long firstOffset, Instant openedAt, SegmentWriter writer) {
            this.partition = partition;
            this.source = source;
            this.firstOffset = firstOffset;
            this.openedAt = openedAt;
            this.writer = writer;
        }
    }

    /** A finished segment on local disk, waiting to be stored and announced; it still holds its first offset. */
    static final class Sealed {
        final TopicPartition partition;
        final long firstOffset;
        final SealedSegment segment;
        final Reason reason;
        BlobInfo stored;

        Sealed(TopicPartition partition, long firstOffset, SealedSegment segment, Reason reason) {
            this.partition = partition;
            this.firstOffset = firstOffset;
            this.segment = segment;
            this.reason = reason;
        }

        SegmentMetadata metadata() {
            return segment.metadata();
        }
    }

    private record Key(TopicPartition partition, SourceId source) {}

    private record Watermark(Lsn lsn, Instant time) {}

    /** The source's furthest transaction read in this assignment, and whether its last chunk was. */
    private record Furthest(long commitLsn, boolean complete) {}

    private static final class PartitionState {
        long nextOffset = -1;
        final Set<SourceId> started = new HashSet<>();
    }

    private final Path spoolDir;
    private final SegmentWriter.Options options;
    private final long maxSegmentBytes;
    private final Duration maxSegmentAge;
    private final Clock clock;

    private final Map<Key, Open> open = new LinkedHashMap<>();
    private final Deque<Sealed> sealed = new ArrayDeque<>();
    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private final Map<Key, Watermark> watermarks = new HashMap<>();
    private final Map<Key, Furthest> furthest = new HashMap<>();
    private long repeatsDropped;

    OpenSegments(
            Path spoolDir, SegmentWriter.Options options, long maxSegmentBytes, Duration maxSegmentAge, Clock clock) {
        this.spoolDir = spoolDir;
        this.options = options;
        this.maxSegmentBytes = maxSegmentBytes;
        this.maxSegmentAge = maxSegmentAge;
        this.clock = clock;
    }

    /**
     * Adds a record read at {@code offset} of {@code partition} to its source's open segment (opening one), and seals
     * that segment at once if it is due.
     *
     * @param raw the record's Kafka value, the Avro single-object encoding of {@code record}
     * @return false if the record was dropped: a leading chunk of a transaction that is already stored, or a chunk
     *     of a transaction sent again
     */
    boolean add(TopicPartition partition, long offset, ChangeEnvelope record, byte[] raw) throws IOException {
        PartitionState state = partitions.computeIfAbsent(partition, p -> new PartitionState());
        state.nextOffset = Math.max(state.nextOffset, offset + 1);
        SourceId source = SourceId.parse(record.getSourceId());
        if (!state.started.contains(source)) {
            if (record.getBody() instanceof TransactionChunk c && c.getChunkIndex() > 0) {
                log.debug(
                        "dropping chunk {} of transaction {} of source {} at {}-{}: stored before the committed offset",
                        c.getChunkIndex(),
                        new Lsn(c.getCommitLsn()),
                        source,
                        partition,
                        offset);
                return false;
            }
            state.started.add(source);
        }
        Key key = new Key(partition, source);
        if (record.getBody() instanceof TransactionChunk c && repeated(key, c)) {
            if (repeatsDropped++ % 1000 == 0) {
                log.info(
                        "dropping chunk {} of transaction {} of source {} at {}-{}: sent again, read before ({} so far)",
                        c.getChunkIndex(),
                        new Lsn(c.getCommitLsn()),
                        source,
                        partition,
                        offset,
                        repeatsDropped);
            }
            return false;
        }
        Open segment = open.get(key);
        if (segment == null) {
            Watermark w = watermarks.getOrDefault(key, new Watermark(Lsn.INVALID, null));
            segment = new Open(
                    partition,
                    source,
                    offset,
                    clock.instant(),
                    SegmentWriter.create(source, spoolDir, options, w.lsn(), w.time()));
            open.put(key, segment);
        }
        segment.writer.append(record, raw);
        Reason reason = due(segment, clock.instant());
        if (reason != null) {
            seal(key, segment, reason);
        }
        return true;
    }

    /** Whether the chunk repeats a transaction read before; if not, it becomes the source's furthest. */
    private boolean repeated(Key key, TransactionChunk c) {
        Furthest f = furthest.get(key);
        long lsn = c.getCommitLsn();
        if (f != null && (Long.compareUnsigned(lsn, f.commitLsn()) < 0 || (lsn == f.commitLsn() && f.complete()))) {
            return true;
        }
        furthest.put(key, new Furthest(lsn, c.getLastChunk()));
        return false;
    }

    /** Chunks dropped as repeats of transactions read before, since this sink started. */
    long repeatsDropped() {
        return repeatsDropped;
    }

    /**
     * Asks for the source's open segments to be sealed at their next transaction boundary (at once if they are at one
     * already, on the next {@link #sealDue()}).
     *
     * @return whether the source had an open segment
     */
    boolean requestSeal(SourceId source) {
        boolean any = false;
        for (Open segment : open.values()) {
            if (segment.source.equals(source)) {
                segment.sealRequested = true;
                any = true;
            }
        }
        return any;
    }

    /** Seals every open segment that is due now, in the order they were opened. */
    void sealDue() throws IOException {
        Instant now = clock.instant();
        for (Iterator<Map.Entry<Key, Open>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, Open> entry = it.next();
            Reason reason = due(entry.getValue(), now);
            if (reason != null) {
                it.remove();
                finish(entry.getKey(), entry.getValue(), reason);
            }
        }
    }

    private Reason due(Open segment, Instant now) {
        if (segment.writer.inTransaction()) {
            return null;
        }
        if (segment.sealRequested) {
            return Reason.REQUESTED;
        }
        if (segment.writer.uncompressedBytes() >= maxSegmentBytes) {
            return Reason.SIZE;
        }
        if (Duration.between(segment.openedAt, now).compareTo(maxSegmentAge) >= 0) {
            return Reason.AGE;
        }
        return null;
    }

    private void seal(Key key, Open segment, Reason reason) throws IOException {
        open.remove(key);
        finish(key, segment, reason);
    }

    private void finish(Key key, Open segment, Reason reason) throws IOException {
        SealedSegment finished;
        try {
            finished = segment.writer.finish();
        } catch (IOException | RuntimeException e) {
            segment.writer.close();
            throw e;
        }
        SegmentMetadata m = finished.metadata();
        watermarks.put(key, new Watermark(m.watermarkLsn(), m.watermarkTime()));
        sealed.addLast(new Sealed(segment.partition, segment.firstOffset, finished, reason));
    }

    /** The oldest sealed segment not yet announced: segments are stored and announced in the order they sealed. */
    Optional<Sealed> nextSealed() {
        return Optional.ofNullable(sealed.peekFirst());
    }

    /**
     * The segment was stored and its {@code SegmentSealed} event acknowledged by Kafka: it no longer holds back its
     * partition's offset, and its spool file is deleted.
     *
     * @throws IllegalStateException unless it is {@link #nextSealed()}
     */
    void announced(Sealed segment) {
        if (sealed.peekFirst() != segment) {
            throw new IllegalStateException("segments are announced in the order they sealed");
        }
        sealed.removeFirst();
        try {
            segment.segment.delete();
        } catch (IOException e) {
            log.warn("could not delete spool file of {}: {}", segment.segment.key(), e.toString());
        }
    }

    /**
     * Per partition seen since its assignment, the offset that may be committed: the smallest first offset of its open
     * or unannounced segments, else the offset after its last record.
     */
    Map<TopicPartition, Long> committable() {
        Map<TopicPartition, Long> out = new HashMap<>();
        partitions.forEach((tp, state) -> {
            if (state.nextOffset >= 0) {
                out.put(tp, state.nextOffset);
            }
        });
        for (Open segment : open.values()) {
            out.merge(segment.partition, segment.firstOffset, Math::min);
        }
        for (Sealed segment : sealed) {
            out.merge(segment.partition, segment.firstOffset, Math::min);
        }
        return out;
    }

    /**
     * Forgets the partitions (revoked or lost): their open and unannounced segments are deleted, to be read again from
     * the committed offset by whichever member owns the partition next.
     */
    void discard(Collection<TopicPartition> revoked) {
        Set<TopicPartition> gone = new HashSet<>(revoked);
        for (Iterator<Open> it = open.values().iterator(); it.hasNext(); ) {
            Open segment = it.next();
            if (gone.contains(segment.partition)) {
                it.remove();
                closeQuietly(segment);
            }
        }
        for (Iterator<Sealed> it = sealed.iterator(); it.hasNext(); ) {
            Sealed segment = it.next();
            if (gone.contains(segment.partition)) {
                it.remove();
                deleteQuietly(segment);
            }
        }
        partitions.keySet().removeAll(gone);
        watermarks.keySet().removeIf(k -> gone.contains(k.partition()));
        furthest.keySet().removeIf(k -> gone.contains(k.partition()));
    }

    /** Local disk taken by sealed segments that are not stored yet. */
    long sealedBytes() {
        long bytes = 0;
        for (Sealed segment : sealed) {
            try {
                bytes += segment.segment.spoolBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return bytes;
    }

    /** The open segments, for status and tests. */
    List<Open> open() {
        return List.copyOf(open.values());
    }

    /** The sealed segments not yet announced, oldest first. */
    List<Sealed> sealed() {
        return List.copyOf(sealed);
    }

    /** Discards everything: nothing is stored, nothing more may be committed. */
    @Override
    public void close() {
        discard(new ArrayList<>(partitionsHeld()));
    }

    private Set<TopicPartition> partitionsHeld() {
        Set<TopicPartition> all = new HashSet<>(partitions.keySet());
        open.values().forEach(s -> all.add(s.partition));
        sealed.forEach(s -> all.add(s.partition));
        return all;
    }

    private static void closeQuietly(Open segment) {
        try {
            segment.writer.close();
        } catch (IOException e) {
            log.warn("could not delete the spool of an open segment of {}: {}", segment.source, e.toString());
        }
    }

    private static void deleteQuietly(Sealed segment) {
        try {
            segment.segment.delete();
        } catch (IOException e) {
            log.warn("could not delete spool file of {}: {}", segment.segment.key(), e.toString());
        }
    }
}
