package io.recall.worker.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.schemas.catalog.ArchiveStatus;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.change.ChangeEnvelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Invariant I1 on the sink side, against a real broker and real storage: Kafka offsets of {@code recall.changes} are
 * never committed past a record that is not in a stored and announced segment, whatever the sink is doing when it
 * stops. One partition, so that every source shares it. Each test has a broker of its own (the group's offsets are
 * what is tested).
 */
class SinkOffsetsIT {

    SinkHarness h;

    @BeforeEach
    void start() {
        h = SinkHarness.local(1);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void theCommittedOffsetStaysAtAnOpenSegmentsFirstRecordAndAKilledSinkLosesNothing() {
        ChangeStream a = new ChangeStream(SourceId.random(), 0x1000_0000L);
        ChangeStream b = new ChangeStream(SourceId.random(), 0x2000_0000L);
        List<SinkHarness.Sent> sent = new ArrayList<>();
        ConfigurableApplicationContext first = h.startSink("--recall.sink.max-segment-age=1h");
        sent.add(h.send(a.transaction(2)));
        sent.add(h.send(a.transaction(1)));
        sent.add(h.send(a.transaction(3)));
        SinkHarness.Sent bFirst = h.send(b.transaction(1));
        sent.add(bFirst);
        sent.add(h.send(b.transaction(2)));
        sent.add(h.send(a.transaction(1)));
        sent.add(h.send(b.transaction(1)));
        sent.add(h.send(a.transaction(2)));

        sealUntilAnnounced(first, a.source(), 1);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(h.committed(0)).isEqualTo(bFirst.offset()));
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(4))
                .untilAsserted(() -> assertThat(h.committed(0))
                        .as("b's open segment holds the partition")
                        .isEqualTo(bFirst.offset()));
        assertThat(h.sealed(b.source())).isEmpty();

        first.close(); // stops without sealing b
        assertThat(h.committed(0)).isEqualTo(bFirst.offset());
        assertThat(h.segments(b.source())).isEmpty();

        sent.add(h.send(b.transaction(1)));
        ConfigurableApplicationContext second = h.startSink("--recall.sink.max-segment-age=1h");
        try {
            sealUntilAnnounced(second, b.source(), 1);
            sealUntilAnnounced(second, a.source(), 2);
            long end = sent.getLast().offset() + 1;
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(h.committed(0)).isEqualTo(end));

            assertNothingMissing(sent, a.source());
            assertNothingMissing(sent, b.source());
            assertThat(h.storedRecords(b.source()))
                    .as("b was never stored before: exactly its records")
                    .containsExactlyElementsOf(records(sent, b.source()));
        } finally {
            second.close();
        }
    }

    @Test
    void segmentSealedIsAcknowledgedBeforeTheOffsetsItCoversAreCommitted() {
        Recorder.events.clear();
        ChangeStream a = new ChangeStream(SourceId.random(), 0x1000_0000L);
        ChangeStream b = new ChangeStream(SourceId.random(), 0x2000_0000L);
        ConfigurableApplicationContext sink = h.startSink(
                "--recall.sink.max-segment-bytes=3KB",
                "--recall.sink.max-segment-age=1s",
                "--spring.kafka.consumer.properties.interceptor.classes=" + CommitRecorder.class.getName(),
                "--spring.kafka.producer.properties.interceptor.classes=" + AckRecorder.class.getName());
        try {
            List<SinkHarness.Sent> sent = new ArrayList<>();
            // in bursts, so that offsets move many times, sometimes held back by the other source's segment
            for (int burst = 0; burst < 5; burst++) {
                for (int i = 0; i < 30; i++) {
                    sent.add(h.send((i % 3 == 0 ? b : a).transaction(1 + i % 4)));
                }
                long end = sent.getLast().offset() + 1;
                await().atMost(Duration.ofSeconds(60))
                        .untilAsserted(() -> assertThat(h.committed(0)).isEqualTo(end));
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                h.drain();
                assertThat(h.announced).hasSizeGreaterThanOrEqualTo(Recorder.acks());
            });

            List<Recorder.Event> log = List.copyOf(Recorder.events);
            List<Recorder.Event> commits =
                    log.stream().filter(e -> e.kind() == Kind.COMMIT).toList();
            assertThat(commits).as("offsets moved several times").hasSizeGreaterThanOrEqualTo(5);
            for (Recorder.Event commit : commits) {
                for (SinkHarness.Sent r : sent) {
                    if (r.offset() >= commit.offset()) {
                        continue;
                    }
                    SourceId source = SourceId.parse(r.envelope().getSourceId());
                    long lsn = ChangeStream.commitLsn(r.envelope()).value();
                    boolean announcedBefore = log.stream()
                            .filter(e -> e.kind() == Kind.ACK && e.seq() < commit.seq())
                            .map(e -> announcement(e.offset()))
                            .anyMatch(s -> s != null
                                    && s.source().equals(source)
                                    && s.event().getFirstLsn() <= lsn
                                    && lsn <= s.event().getLastLsn());
                    assertThat(announcedBefore)
                            .as(
                                    "record at offset %d is in a segment announced before offset %d was committed",
                                    r.offset(), commit.offset())
                            .isTrue();
                }
            }
        } finally {
            sink.close();
        }
    }

    @Test
    void aSinkThatDiesBetweenStoringAndAnnouncingStoresTheSegmentAgain() {
        ChangeStream a = new ChangeStream(SourceId.random());
        List<SinkHarness.Sent> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(h.send(a.transaction(2)));
        }
        FaultyBlobStore crashing = new FaultyBlobStore(h.openStore());
        crashing.crashAfterCommit = true;
        ConfigurableApplicationContext first = h.startSink(crashing::register, "--recall.sink.max-segment-age=1h");
        SinkRunner runner = SinkHarness.runner(first);
        // the crash is an uncaught Error on the sink's thread, as intended: not a test failure
        await().dontCatchUncaughtExceptions()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    runner.requestSeal(a.source());
                    assertThat(crashing.commits.get()).isEqualTo(1);
                });
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(30)).until(() -> !runner.isRunning());

        String stored = h.segments(a.source()).getFirst().key();
        assertThat(h.sealed(a.source())).as("died before announcing").isEmpty();
        assertThat(h.committed(0)).as("nothing committed past the segment").isLessThanOrEqualTo(0);
        first.close();

        sent.add(h.send(a.transaction(1)));
        ConfigurableApplicationContext second = h.startSink("--recall.sink.max-segment-age=1h");
        try {
            long end = sent.getLast().offset() + 1;
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        SinkHarness.runner(second).requestSeal(a.source());
                        assertThat(h.committed(0)).isEqualTo(end);
                    });
            List<SegmentSealed> events = h.sealed(a.source());
            assertThat(events)
                    .singleElement()
                    .satisfies(e -> assertThat(e.getLastLsn())
                            .isEqualTo(ChangeStream.commitLsn(sent.getLast().envelope())
                                    .value()));
            assertThat(h.segments(a.source()))
                    .extracting(io.recall.common.storage.BlobInfo::key)
                    .as("the first attempt's object stays as a duplicate, the new segment covers it")
                    .contains(stored, events.getFirst().getObjectKey());
            assertNothingMissing(sent, a.source());
        } finally {
            second.close();
        }
    }

    @Test
    void aStorageOutageIsRetriedWhileConsumptionPausesAndNothingIsCommitted() {
        ChangeStream a = new ChangeStream(SourceId.random());
        ChangeStream later = new ChangeStream(SourceId.random(), 0x7000_0000L);
        List<SinkHarness.Sent> sent = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sent.add(h.send(a.transaction(3)));
        }
        FaultyBlobStore outage = new FaultyBlobStore(h.openStore());
        outage.down = true;
        ConfigurableApplicationContext sink = h.startSink(
                outage::register, "--recall.sink.max-segment-age=1h", "--recall.sink.max-buffered-bytes=1B");
        try {
            SinkRunner runner = SinkHarness.runner(sink);
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        runner.requestSeal(a.source());
                        assertThat(outage.failedCommits.get()).isGreaterThanOrEqualTo(3);
                    });
            assertThat(runner.status().waitingSegments()).isPositive();
            assertThat(runner.status().lastFailure()).contains("simulated outage");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                h.drain();
                assertThat(archiveStatuses(a.source()))
                        .as("the outage is reported for the source's status")
                        .anySatisfy(st -> {
                            assertThat(st.getHealthy()).isFalse();
                            assertThat(st.getError()).contains("simulated outage");
                            assertThat(st.getSince()).isNotNull();
                            assertThat(st.getWaitingSegments()).isPositive();
                        });
            });

            // the waiting segment fills the buffer: records sent now are not consumed
            sent.add(h.send(later.transaction(1)));
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).untilAsserted(() -> {
                assertThat(runner.status().openSegments()).as("paused").isZero();
                assertThat(h.committed(0))
                        .as("nothing committed past the first record")
                        .isLessThanOrEqualTo(sent.getFirst().offset());
                assertThat(h.sealed(a.source())).isEmpty();
            });
            assertThat(h.segments(a.source())).isEmpty();

            outage.down = false;
            h.awaitSealed(a.source(), 1);
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        runner.requestSeal(later.source());
                        assertThat(h.committed(0)).isEqualTo(sent.getLast().offset() + 1);
                    });
            assertThat(h.segments(a.source())).isNotEmpty();
            assertThat(h.storedRecords(a.source())).containsExactlyElementsOf(records(sent, a.source()));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                h.drain();
                List<ArchiveStatus> reports = archiveStatuses(a.source());
                assertThat(reports.getLast().getHealthy())
                        .as("healthy again once stored")
                        .isTrue();
            });
            assertThat(h.storedRecords(later.source())).containsExactlyElementsOf(records(sent, later.source()));
        } finally {
            sink.close();
        }
    }

    private List<ArchiveStatus> archiveStatuses(SourceId source) {
        return h.catalogEvents.stream()
                .filter(e -> e.getSourceId().equals(source.toString()))
                .filter(e -> e.getBody() instanceof ArchiveStatus)
                .map(e -> (ArchiveStatus) e.getBody())
                .toList();
    }

    /** Asks for the source's segment to be sealed until {@code count} segments of it are announced. */
    private void sealUntilAnnounced(ConfigurableApplicationContext sink, SourceId source, int count) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    SinkHarness.runner(sink).requestSeal(source);
                    assertThat(h.sealed(source)).hasSizeGreaterThanOrEqualTo(count);
                });
    }

    /** Every record sent for the source is in a stored segment, in order; duplicates are allowed. */
    private void assertNothingMissing(List<SinkHarness.Sent> sent, SourceId source) {
        List<ChangeEnvelope> stored = h.storedRecords(source);
        List<ChangeEnvelope> expected = records(sent, source);
        assertThat(new LinkedHashSet<>(stored)).containsExactlyElementsOf(expected);
        List<Lsn> commitOrder = stored.stream().map(ChangeStream::commitLsn).toList();
        assertThat(commitOrder.stream().distinct().toList()).isSorted();
    }

    private static List<ChangeEnvelope> records(List<SinkHarness.Sent> sent, SourceId source) {
        return sent.stream()
                .map(SinkHarness.Sent::envelope)
                .filter(e -> e.getSourceId().equals(source.toString()))
                .toList();
    }

    private SinkHarness.Announced announcement(long catalogOffset) {
        return h.announced.stream()
                .filter(a -> a.offset() == catalogOffset)
                .findFirst()
                .orElse(null);
    }

    enum Kind {
        ACK,
        COMMIT
    }

    /** What the sink's Kafka clients did, in the order they did it: shared by the interceptors Kafka creates. */
    static final class Recorder {

        record Event(long seq, Kind kind, long offset) {}

        static final Queue<Event> events = new ConcurrentLinkedQueue<>();
        private static final AtomicLong seq = new AtomicLong();

        static void add(Kind kind, long offset) {
            events.add(new Event(seq.incrementAndGet(), kind, offset));
        }

        static int acks() {
            return (int) events.stream().filter(e -> e.kind() == Kind.ACK).count();
        }
    }

    /** Records each acknowledged catalog event with its offset (one partition). */
    public static final class AckRecorder implements ProducerInterceptor<String, byte[]> {

        @Override
        public ProducerRecord<String, byte[]> onSend(ProducerRecord<String, byte[]> record) {
            return record;
        }

        @Override
        public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
            if (exception == null && metadata.topic().equals(SinkHarness.CATALOG)) {
                Recorder.add(Kind.ACK, metadata.offset());
            }
        }

        @Override
        public void close() {}

        @Override
        public void configure(Map<String, ?> configs) {}
    }

    /** Records each successful offset commit on the changes topic. */
    public static final class CommitRecorder implements ConsumerInterceptor<String, byte[]> {

        @Override
        public ConsumerRecords<String, byte[]> onConsume(ConsumerRecords<String, byte[]> records) {
            return records;
        }

        @Override
        public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
            offsets.forEach((tp, o) -> {
                if (tp.topic().equals(SinkHarness.CHANGES)) {
                    Recorder.add(Kind.COMMIT, o.offset());
                }
            });
        }

        @Override
        public void close() {}

        @Override
        public void configure(Map<String, ?> configs) {}
    }
}
