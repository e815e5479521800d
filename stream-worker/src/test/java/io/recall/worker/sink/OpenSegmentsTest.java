package io.recall.worker.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.segment.SegmentReader;
import io.recall.common.segment.SegmentWriter;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotation and offset rules of the sink, with a fake clock and no Kafka. */
class OpenSegmentsTest {

    static final TopicPartition P0 = new TopicPartition("recall.changes", 0);
    static final TopicPartition P1 = new TopicPartition("recall.changes", 1);
    static final Duration AGE = Duration.ofSeconds(60);

    @TempDir
    Path spool;

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    final ChangeStream a = new ChangeStream(SourceId.random());
    final ChangeStream b = new ChangeStream(SourceId.random(), 0x500_0000L);
    OpenSegments segments;
    long offset;

    @AfterEach
    void close() {
        if (segments != null) {
            segments.close();
        }
    }

    OpenSegments segments(long maxBytes) {
        segments = new OpenSegments(spool, SegmentWriter.Options.DEFAULT, maxBytes, AGE, clock);
        return segments;
    }

    /** Adds at the next offset of P0. */
    boolean add(ChangeEnvelope e) throws IOException {
        return add(P0, e);
    }

    boolean add(TopicPartition tp, ChangeEnvelope e) throws IOException {
        return segments.add(tp, offset++, e, ChangeStream.encode(e));
    }

    @Test
    void aSegmentSealsOnceItReachesTheSizeLimitAtTheFirstTransactionBoundary() throws IOException {
        segments(2000);
        int added = 0;
        while (segments.sealed().isEmpty()) {
            add(a.transaction(1));
            added++;
        }
        SegmentMetadata first = segments.sealed().getFirst().metadata();
        assertThat(first.uncompressedBytes()).isGreaterThanOrEqualTo(2000);
        assertThat(first.uncompressedBytes() - first.uncompressedBytes() / added)
                .as("it sealed with the transaction that crossed the limit")
                .isLessThan(2000);
        assertThat(segments.sealed().getFirst().reason).isEqualTo(OpenSegments.Reason.SIZE);
        assertThat(segments.open()).isEmpty();

        // a transaction that crosses the limit in its first chunk stays whole
        List<ChangeEnvelope> big = a.transaction(4, 10);
        for (ChangeEnvelope chunk : big) {
            assertThat(segments.sealed()).hasSize(1);
            add(chunk);
        }
        assertThat(segments.sealed()).hasSize(2);
        SegmentMetadata second = segments.sealed().get(1).metadata();
        assertThat(second.recordCount()).isEqualTo(4);
        assertThat(second.transactionCount()).isEqualTo(1);
        assertThat(second.uncompressedBytes()).isGreaterThan(2000);
    }

    @Test
    void aSegmentSealsByAgeOnTheInjectedClock() throws IOException {
        segments(Long.MAX_VALUE);
        add(a.transaction(1));
        clock.advance(Duration.ofSeconds(30));
        add(a.transaction(1));

        clock.advance(Duration.ofSeconds(29));
        segments.sealDue();
        assertThat(segments.sealed()).isEmpty();

        clock.advance(Duration.ofSeconds(1));
        segments.sealDue();
        assertThat(segments.sealed()).hasSize(1);
        assertThat(segments.sealed().getFirst().reason).isEqualTo(OpenSegments.Reason.AGE);
        assertThat(segments.sealed().getFirst().metadata().recordCount()).isEqualTo(2);

        // the age of the next segment counts from its first record
        add(a.transaction(1));
        clock.advance(Duration.ofSeconds(59));
        segments.sealDue();
        assertThat(segments.sealed()).hasSize(1);
    }

    @Test
    void noTriggerSealsInsideATransaction() throws IOException {
        segments(100);
        List<ChangeEnvelope> big = a.transaction(3, 5);
        add(big.get(0));
        add(big.get(1));
        segments.requestSeal(a.source());
        clock.advance(AGE.multipliedBy(2));
        segments.sealDue();
        assertThat(segments.sealed()).isEmpty();

        add(big.get(2));

        assertThat(segments.sealed()).hasSize(1);
        assertThat(segments.sealed().getFirst().metadata().transactionCount()).isEqualTo(1);
    }

    @Test
    void aSealRequestSealsOnlyThatSource() throws IOException {
        segments(Long.MAX_VALUE);
        add(a.transaction(1));
        add(b.transaction(1));

        assertThat(segments.requestSeal(a.source())).isTrue();
        assertThat(segments.requestSeal(SourceId.random())).as("nothing open").isFalse();
        segments.sealDue();

        assertThat(segments.sealed()).singleElement().satisfies(s -> {
            assertThat(s.reason).isEqualTo(OpenSegments.Reason.REQUESTED);
            assertThat(s.metadata().sourceId()).isEqualTo(a.source());
        });
        assertThat(segments.open())
                .singleElement()
                .satisfies(o -> assertThat(o.source).isEqualTo(b.source()));
    }

    @Test
    void theCommittableOffsetIsTheSmallestStillHeldInThePartition() throws IOException {
        segments(Long.MAX_VALUE);
        add(P0, a.transaction(1)); // 0
        add(P0, a.transaction(1)); // 1
        add(P0, b.transaction(1)); // 2: b's first offset
        add(P1, new ChangeStream(SourceId.random()).transaction(1)); // 3 on the other partition
        add(P0, a.transaction(1)); // 4
        assertThat(segments.committable()).containsEntry(P0, 0L).containsEntry(P1, 3L);

        segments.requestSeal(a.source());
        segments.sealDue();
        assertThat(segments.committable())
                .as("sealed but not announced still holds its offset")
                .containsEntry(P0, 0L);

        segments.announced(segments.nextSealed().orElseThrow());
        assertThat(segments.committable())
                .as("a's segment stored, b's open one holds the partition")
                .containsEntry(P0, 2L);

        segments.requestSeal(b.source());
        segments.sealDue();
        segments.announced(segments.nextSealed().orElseThrow());
        assertThat(segments.committable())
                .as("nothing open: past the last record")
                .containsEntry(P0, 5L)
                .containsEntry(P1, 3L);
    }

    @Test
    void segmentsAreAnnouncedInTheOrderTheySealed() throws IOException {
        segments(Long.MAX_VALUE);
        add(a.transaction(1));
        add(b.transaction(1));
        segments.requestSeal(b.source());
        segments.sealDue();
        segments.requestSeal(a.source());
        segments.sealDue();

        OpenSegments.Sealed first = segments.nextSealed().orElseThrow();
        assertThat(first.metadata().sourceId()).isEqualTo(b.source());
        OpenSegments.Sealed second = segments.sealed().get(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> segments.announced(second))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void leadingChunksOfATransactionAreDroppedAfterAnAssignment() throws IOException {
        segments(Long.MAX_VALUE);
        List<ChangeEnvelope> stored = a.transaction(3, 2);
        offset = 10; // the committed offset fell inside a's transaction

        assertThat(add(stored.get(1))).isFalse();
        assertThat(add(stored.get(2))).isFalse();
        assertThat(segments.open()).isEmpty();
        assertThat(segments.committable()).containsEntry(P0, 12L);

        ChangeEnvelope next = a.transaction(1);
        assertThat(add(next)).isTrue();
        List<ChangeEnvelope> later = a.transaction(2, 1);
        assertThat(add(later.get(0))).isTrue();
        assertThat(add(later.get(1)))
                .as("once the source has started, every chunk counts")
                .isTrue();
        segments.requestSeal(a.source());
        segments.sealDue();
        assertThat(read(segments.sealed().getFirst())).containsExactly(next, later.get(0), later.get(1));
    }

    /**
     * Regression (the correctness checker, a source restart on PostgreSQL 15): the slot had not persisted its confirmed
     * position, so capture received transactions again that were two segments back. The repeat landed in the segment
     * that also held the newest transactions; named by its first LSN it sorted before the segments in between, and a
     * restore skipped those as read.
     */
    @Test
    void transactionsSentAgainAreDroppedSoSegmentsNeverInterleave() throws IOException {
        segments(Long.MAX_VALUE);
        List<ChangeEnvelope> first = List.of(a.transaction(1), a.transaction(1));
        List<ChangeEnvelope> second = List.of(a.transaction(1), a.transaction(1));
        List<ChangeEnvelope> open = a.transaction(2, 1);
        for (ChangeEnvelope e : first) {
            assertThat(add(e)).isTrue();
        }
        segments.requestSeal(a.source());
        segments.sealDue();
        for (ChangeEnvelope e : second) {
            assertThat(add(e)).isTrue();
        }
        segments.requestSeal(a.source());
        segments.sealDue();
        assertThat(add(open.get(0))).isTrue();
        assertThat(add(open.get(1))).isTrue();

        // sent again from the first segment's second transaction, then the stream goes on
        assertThat(add(first.get(1))).isFalse();
        assertThat(add(second.get(0))).isFalse();
        assertThat(add(second.get(1))).isFalse();
        assertThat(add(open.get(0)))
                .as("the last transaction again, after its last chunk")
                .isFalse();
        assertThat(add(open.get(1))).isFalse();
        ChangeEnvelope next = a.transaction(1);
        assertThat(add(next)).isTrue();
        segments.requestSeal(a.source());
        segments.sealDue();

        List<OpenSegments.Sealed> sealed = new ArrayList<>(segments.sealed());
        assertThat(sealed).hasSize(3);
        assertThat(read(sealed.get(0))).containsExactlyElementsOf(first);
        assertThat(read(sealed.get(1))).containsExactlyElementsOf(second);
        assertThat(read(sealed.get(2))).containsExactly(open.get(0), open.get(1), next);
        assertThat(segments.repeatsDropped()).isEqualTo(5);
    }

    @Test
    void aTransactionCutShortBySendingAgainKeepsItsRepeatedChunks() throws IOException {
        segments(Long.MAX_VALUE);
        ChangeEnvelope before = a.transaction(1);
        List<ChangeEnvelope> cut = a.transaction(3, 1);
        assertThat(add(before)).isTrue();
        assertThat(add(cut.get(0))).isTrue();
        // capture died after the first chunk and sends again from an earlier transaction
        assertThat(add(before)).as("a transaction before the open one").isFalse();
        assertThat(add(cut.get(0)))
                .as("the open transaction from its start: restore skips chunks it has by their fingerprints")
                .isTrue();
        assertThat(add(cut.get(1))).isTrue();
        assertThat(add(cut.get(2))).isTrue();
        segments.requestSeal(a.source());
        segments.sealDue();
        assertThat(read(segments.sealed().getFirst()))
                .containsExactly(before, cut.get(0), cut.get(0), cut.get(1), cut.get(2));
    }

    @Test
    void discardedPartitionsLoseTheirSegmentsAndSpoolFiles() throws IOException {
        segments(Long.MAX_VALUE);
        add(P0, a.transaction(1));
        add(P0, b.transaction(1));
        ChangeStream c = new ChangeStream(SourceId.random());
        add(P1, c.transaction(1));
        segments.requestSeal(a.source());
        segments.sealDue();
        assertThat(spoolFiles()).hasSize(3);

        segments.discard(List.of(P0));

        assertThat(segments.sealed()).isEmpty();
        assertThat(segments.open())
                .singleElement()
                .satisfies(o -> assertThat(o.source).isEqualTo(c.source()));
        assertThat(segments.committable()).containsOnlyKeys(P1);
        assertThat(spoolFiles()).hasSize(1);

        // after a new assignment the partition starts over, including the leading-chunk rule
        offset = 0;
        List<ChangeEnvelope> txn = a.transaction(2, 1);
        assertThat(add(P0, txn.get(1))).isFalse();
    }

    @Test
    void anIdleSourceSealsItsHeartbeatsByAgeAndTheWatermarkCarriesOn() throws IOException {
        segments(Long.MAX_VALUE);
        add(a.transaction(1));
        ChangeEnvelope h1 = a.heartbeat();
        add(h1);
        clock.advance(AGE);
        segments.sealDue();
        Lsn walEnd = new Lsn(((Heartbeat) h1.getBody()).getWalEnd());
        assertThat(segments.sealed().getFirst().metadata().watermarkLsn()).isEqualTo(walEnd);

        // only heartbeats: a segment without transactions, named by them, watermark moving
        ChangeEnvelope h2 = a.heartbeat();
        ChangeEnvelope h3 = a.heartbeat();
        add(h2);
        add(h3);
        clock.advance(AGE);
        segments.sealDue();
        SegmentMetadata idle = segments.sealed().get(1).metadata();
        assertThat(idle.transactionCount()).isZero();
        assertThat(idle.hasChunks()).isFalse();
        assertThat(idle.firstLsn()).isEqualTo(new Lsn(((Heartbeat) h2.getBody()).getWalEnd()));
        assertThat(idle.watermarkLsn()).isEqualTo(new Lsn(((Heartbeat) h3.getBody()).getWalEnd()));
        assertThat(idle.watermarkTime()).isEqualTo(((Heartbeat) h3.getBody()).getServerTime());

        // a sequence snapshot alone inherits the watermark of the segment before
        add(a.sequences());
        clock.advance(AGE);
        segments.sealDue();
        assertThat(segments.sealed().get(2).metadata().watermarkLsn()).isEqualTo(idle.watermarkLsn());
    }

    @Test
    void aSourceWithNothingNewSealsNothing() throws IOException {
        segments(Long.MAX_VALUE);
        add(a.transaction(1));
        clock.advance(AGE);
        segments.sealDue();
        assertThat(segments.sealed()).hasSize(1);

        clock.advance(AGE.multipliedBy(5));
        segments.sealDue();

        assertThat(segments.sealed()).hasSize(1);
        assertThat(segments.open()).isEmpty();
    }

    @Test
    void closingDiscardsEverything() throws IOException {
        segments(Long.MAX_VALUE);
        add(a.transaction(1));
        add(b.transaction(1));
        segments.requestSeal(a.source());
        segments.sealDue();

        segments.close();

        assertThat(segments.open()).isEmpty();
        assertThat(segments.sealed()).isEmpty();
        assertThat(segments.committable()).isEmpty();
        assertThat(spoolFiles()).isEmpty();
    }

    private List<Path> spoolFiles() throws IOException {
        try (Stream<Path> files = Files.list(spool)) {
            return files.toList();
        }
    }

    private static List<ChangeEnvelope> read(OpenSegments.Sealed sealed) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sealed.segment.writeTo(out);
        try (SegmentReader reader = SegmentReader.open(new ByteArrayInputStream(out.toByteArray()))) {
            return new ArrayList<>(reader.readAll());
        }
    }
}
