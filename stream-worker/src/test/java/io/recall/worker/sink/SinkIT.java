package io.recall.worker.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.segment.SegmentFormat;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.segment.SegmentName;
import io.recall.common.segment.SegmentReader;
import io.recall.common.storage.BlobInfo;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.TransactionChunk;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The sink against a real Kafka broker and local storage: records in, segments out, with the metadata, names, order
 * and rotation the design asks for. Each test uses sources of its own; each starts and stops its own sink.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SinkIT {

    SinkHarness h;

    @BeforeAll
    void start() {
        h = SinkHarness.local(2);
    }

    @AfterAll
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void everySourcesRecordsAreStoredInCommitOrderUnderTheirNameWithTheirMetadata() throws IOException {
        List<ChangeStream> streams = List.of(
                new ChangeStream(SourceId.random(), 0x1000_0000L),
                new ChangeStream(SourceId.random(), 0x2000_0000L),
                new ChangeStream(SourceId.random(), 0x3000_0000L));
        Map<SourceId, List<ChangeEnvelope>> sent = new HashMap<>();
        // interleaved, as several captures publish at once
        for (int round = 0; round < 12; round++) {
            for (ChangeStream s : streams) {
                List<ChangeEnvelope> records = switch (round) {
                    case 0 -> List.of(s.sequences());
                    case 5 -> s.transaction(3, 4);
                    case 8 -> List.of(s.heartbeat());
                    default -> List.of(s.transaction(1 + round % 3));
                };
                records.forEach(h::send);
                sent.computeIfAbsent(s.source(), k -> new ArrayList<>()).addAll(records);
            }
        }
        // everything is in Kafka before the sink starts, so each source's records fit in one segment sealed by age
        ConfigurableApplicationContext sink = h.startSink("--recall.sink.max-segment-age=2s");
        try {
            for (ChangeStream s : streams) {
                List<ChangeEnvelope> expected = sent.get(s.source());
                SegmentSealed event = h.awaitSealed(s.source(), 1).getFirst();
                List<BlobInfo> objects = h.segments(s.source());
                assertThat(objects).hasSize(1);
                BlobInfo object = objects.getFirst();
                assertThat(h.storedRecords(s.source())).containsExactlyElementsOf(expected);

                List<TransactionChunk> chunks = expected.stream()
                        .filter(e -> e.getBody() instanceof TransactionChunk)
                        .map(e -> (TransactionChunk) e.getBody())
                        .toList();
                TransactionChunk first = chunks.getFirst();
                TransactionChunk last = chunks.getLast();
                SegmentMetadata m;
                try (SegmentReader reader = SegmentReader.open(h.store, object.key())) {
                    assertThat(reader.codec()).isEqualTo("zstandard");
                    m = reader.metadata();
                }
                assertThat(object.key())
                        .isEqualTo(
                                new SegmentName(s.source(), new Lsn(first.getCommitLsn()), new Lsn(last.getCommitLsn()))
                                        .key());
                assertThat(m.sourceId()).isEqualTo(s.source());
                assertThat(m.firstLsn()).isEqualTo(new Lsn(first.getCommitLsn()));
                assertThat(m.lastLsn()).isEqualTo(new Lsn(last.getCommitLsn()));
                assertThat(m.firstCommitTime()).isEqualTo(first.getCommitTime());
                assertThat(m.lastCommitTime()).isEqualTo(last.getCommitTime());
                assertThat(m.recordCount()).isEqualTo(expected.size());
                assertThat(m.transactionCount())
                        .isEqualTo(chunks.stream()
                                .filter(TransactionChunk::getLastChunk)
                                .count())
                        .isEqualTo(10);
                assertThat(m.changeCount())
                        .isEqualTo(chunks.stream()
                                .mapToLong(c -> c.getChanges().size())
                                .sum());
                assertThat(m.watermarkLsn()).isEqualTo(new Lsn(last.getEndLsn()));
                assertThat(m.watermarkTime()).isEqualTo(last.getCommitTime());
                assertThat(m.schemaFingerprint()).isEqualTo(SegmentFormat.SCHEMA_FINGERPRINT_HEX);
                assertThat(m.writerVersion()).startsWith("recall/");

                assertThat(event.getObjectKey()).isEqualTo(object.key());
                assertThat(event.getStoredBytes()).isEqualTo(object.size());
                assertThat(event.getFirstLsn()).isEqualTo(m.firstLsn().value());
                assertThat(event.getLastLsn()).isEqualTo(m.lastLsn().value());
                assertThat(event.getFirstCommitTime()).isEqualTo(m.firstCommitTime());
                assertThat(event.getLastCommitTime()).isEqualTo(m.lastCommitTime());
                assertThat(event.getWatermarkLsn()).isEqualTo(m.watermarkLsn().value());
                assertThat(event.getRecordCount()).isEqualTo(m.recordCount());
                assertThat(event.getTransactionCount()).isEqualTo(m.transactionCount());
                assertThat(event.getUncompressedBytes()).isEqualTo(m.uncompressedBytes());
                assertThat(event.getSchemaFingerprint()).isEqualTo(m.schemaFingerprint());
            }
        } finally {
            sink.close();
        }
    }

    @Test
    void segmentsRollBySizeAtTransactionBoundariesInLsnOrder() {
        // the age limit seals only the tail: the others fill up within milliseconds
        ConfigurableApplicationContext sink =
                h.startSink("--recall.sink.max-segment-bytes=4KB", "--recall.sink.max-segment-age=5s");
        try {
            ChangeStream s = new ChangeStream(SourceId.random());
            List<ChangeEnvelope> sent = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                List<ChangeEnvelope> records = i % 25 == 10 ? s.transaction(6, 5) : List.of(s.transaction(2));
                records.forEach(h::send);
                sent.addAll(records);
            }
            Lsn lastCommit = ChangeStream.commitLsn(sent.getLast());
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(
                            () -> assertThat(h.sealed(s.source())).anyMatch(e -> e.getLastLsn() == lastCommit.value()));

            List<SegmentSealed> events = h.sealed(s.source());
            List<BlobInfo> objects = h.segments(s.source());
            assertThat(objects).hasSizeGreaterThanOrEqualTo(4);
            assertThat(objects).extracting(BlobInfo::key).isSorted();
            assertThat(events).extracting(SegmentSealed::getObjectKey).isSorted();
            assertThat(events)
                    .extracting(SegmentSealed::getObjectKey)
                    .containsExactlyElementsOf(
                            objects.stream().map(BlobInfo::key).toList());
            for (int i = 0; i < events.size(); i++) {
                SegmentSealed e = events.get(i);
                if (i < events.size() - 1) {
                    assertThat(e.getUncompressedBytes()).as("sealed by size").isGreaterThanOrEqualTo(4096);
                    assertThat(e.getLastLsn())
                            .as("ranges follow each other")
                            .isLessThan(events.get(i + 1).getFirstLsn());
                }
            }
            assertThat(h.storedRecords(s.source())).containsExactlyElementsOf(sent);
            // no transaction is split across segments
            Map<Long, Set<String>> segmentsOfTransaction = new HashMap<>();
            for (BlobInfo object : objects) {
                try (SegmentReader reader = SegmentReader.open(h.store, object.key())) {
                    for (ChangeEnvelope e : reader) {
                        segmentsOfTransaction
                                .computeIfAbsent(ChangeStream.commitLsn(e).value(), k -> new java.util.HashSet<>())
                                .add(object.key());
                    }
                } catch (IOException x) {
                    throw new AssertionError(x);
                }
            }
            assertThat(segmentsOfTransaction.values())
                    .allSatisfy(keys -> assertThat(keys).hasSize(1));
        } finally {
            sink.close();
        }
    }

    @Test
    void segmentsRollByAgeAndAnIdleSourcesHeartbeatsMoveItsWatermark() {
        ConfigurableApplicationContext sink = h.startSink("--recall.sink.max-segment-age=2s");
        try {
            ChangeStream s = new ChangeStream(SourceId.random());
            List<ChangeEnvelope> busy = List.of(s.transaction(1), s.transaction(2), s.transaction(1));
            long start = System.nanoTime();
            busy.forEach(h::send);

            SegmentSealed first = h.awaitSealed(s.source(), 1).getFirst();
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(waitedMillis).as("sealed by age, not at once").isGreaterThanOrEqualTo(1_500);
            assertThat(first.getTransactionCount()).isEqualTo(3);
            assertThat(h.storedRecords(s.source())).containsExactlyElementsOf(busy);

            // the source goes idle: capture sends only heartbeats
            ChangeEnvelope h1 = s.heartbeat();
            ChangeEnvelope h2 = s.heartbeat();
            h.send(h1);
            h.send(h2);

            SegmentSealed idle = h.awaitSealed(s.source(), 2).get(1);
            Heartbeat last = (Heartbeat) h2.getBody();
            assertThat(idle.getTransactionCount()).isZero();
            assertThat(idle.getRecordCount()).isEqualTo(2);
            assertThat(idle.getFirstCommitTime()).isNull();
            assertThat(idle.getWatermarkLsn()).isEqualTo(last.getWalEnd()).isGreaterThan(first.getWatermarkLsn());
            assertThat(idle.getWatermarkTime()).isEqualTo(last.getServerTime());
            assertThat(idle.getObjectKey())
                    .isEqualTo(new SegmentName(
                                    s.source(),
                                    new Lsn(((Heartbeat) h1.getBody()).getWalEnd()),
                                    new Lsn(last.getWalEnd()))
                            .key());

            // nothing new: no further segment
            await().during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(h.sealed(s.source())).hasSize(2));
        } finally {
            sink.close();
        }
    }

    @Test
    void aSealRequestOnTheControlTopicSealsTheSourcePromptly() {
        ChangeStream s = new ChangeStream(SourceId.random());
        ChangeStream other = new ChangeStream(SourceId.random());
        List<ChangeEnvelope> sent = List.of(s.transaction(1), s.transaction(3));
        sent.forEach(h::send);
        h.send(other.transaction(1));
        ConfigurableApplicationContext sink = h.startSink("--recall.sink.max-segment-age=1h");
        try {
            // a request that arrives before the sink read the records finds nothing open: send until all are stored
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> {
                        h.sendSealRequest(s.source());
                        assertThat(h.sealed(s.source())).isNotEmpty();
                        assertThat(h.storedRecords(s.source())).containsExactlyElementsOf(sent);
                    });
            assertThat(h.sealed(other.source())).as("only the requested source").isEmpty();
        } finally {
            sink.close();
        }
    }
}
