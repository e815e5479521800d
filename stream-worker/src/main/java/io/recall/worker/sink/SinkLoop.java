package io.recall.worker.sink;

import io.recall.common.SourceId;
import io.recall.common.errors.RetriableException;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.storage.BlobStore;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.sink.SealRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One run of the sink: a member of the consumer group on {@code recall.changes} that rolls each source's records into
 * segments ({@link OpenSegments}) and, for each sealed segment in order: stores it, publishes {@code SegmentSealed} on
 * {@code recall.catalog} and waits for Kafka's acknowledgement, and only then commits offsets, each partition up to
 * {@link OpenSegments#committable()} (I1). A crash at any point leaves the offsets at or before the first record not in
 * an announced segment: the records are read again and stored again, under the same name or an overlapping one
 * (duplicates, which restore skips by commit LSN, I2), never lost.
 *
 * <p>Failures: storage or Kafka refusing a segment or its event is retried with exponential backoff while the loop
 * keeps polling (so the group keeps the member); once sealed segments waiting for storage take
 * {@code maxBufferedBytes} of disk, consumption pauses until they are stored. A record that cannot be decoded stops
 * this run (its offset is never committed); {@link SinkRunner} starts a new run after a pause. A revoked partition's
 * segments are discarded, after committing what is already announced: the next owner reads them again.
 *
 * <p>Threading: {@link #run()} owns both consumers and runs on one platform thread. {@link #stop()} may be called from
 * any thread; seal requests arrive through a thread-safe queue.
 */
final class SinkLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);

    /** Longest stretch spent storing segments before polling again, well inside {@code max.poll.interval.ms}. */
    private static final Duration STORE_BUDGET = Duration.ofSeconds(30);

    /** Longest wait for an offset commit: without a broker, the next round (or the next owner) commits instead. */
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);

    /** How often a continuing storage outage is reported again per source. */
    private static final Duration UNHEALTHY_REPORT_INTERVAL = Duration.ofSeconds(30);

    /** Longest wait for the final commit of revoked partitions, which delays a shutdown without a broker. */
    private static final Duration REVOKE_COMMIT_TIMEOUT = Duration.ofSeconds(3);

    private final Consumer<String, byte[]> consumer;
    private final Consumer<String, byte[]> control;
    private final OpenSegments segments;
    private final BlobStore store;
    private final CatalogPublisher publisher;
    private final SinkProperties properties;
    private final String changesTopic;
    private final String controlTopic;
    private final Queue<SourceId> sealRequests;
    private final SinkStatus status;

    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private volatile boolean stopped;
    private boolean prepared;
    private int failures;
    private long retryAtNanos;
    /** Sources whose storage failures were reported, with when they began and when last reported. */
    private final Map<SourceId, Instant[]> unhealthy = new HashMap<>();

    SinkLoop(
            Consumer<String, byte[]> consumer,
            Consumer<String, byte[]> control,
            OpenSegments segments,
            BlobStore store,
            CatalogPublisher publisher,
            SinkProperties properties,
            String changesTopic,
            String controlTopic,
            Queue<SourceId> sealRequests,
            SinkStatus status) {
        this.consumer = consumer;
        this.control = control;
        this.segments = segments;
        this.store = store;
        this.publisher = publisher;
        this.properties = properties;
        this.changesTopic = changesTopic;
        this.controlTopic = controlTopic;
        this.sealRequests = sealRequests;
        this.status = status;
    }

    /**
     * Joins the group and positions the control consumer at the end of the control topic, so that seal requests sent
     * after this returns are seen. {@link #run()} calls it unless it was called before, possibly on another thread.
     */
    void prepare() {
        prepared = true;
        consumer.subscribe(List.of(changesTopic), new Rebalance());
        try {
            List<PartitionInfo> partitions = control.partitionsFor(controlTopic, Duration.ofSeconds(10));
            if (partitions == null || partitions.isEmpty()) {
                log.warn("seal requests are not read: topic {} does not exist", controlTopic);
                return;
            }
            List<TopicPartition> assigned = partitions.stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            control.assign(assigned);
            control.seekToEnd(assigned);
            assigned.forEach(tp -> control.position(tp, Duration.ofSeconds(10)));
        } catch (KafkaException e) {
            log.warn("seal requests from {} are not read in this run: {}", controlTopic, e.toString());
        }
    }

    @Override
    public void run() {
        try {
            if (!prepared) {
                prepare();
            }
            while (!stopped) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(properties.pollTimeout())) {
                    accept(r);
                }
                takeSealRequests();
                segments.sealDue();
                storeAndAnnounce();
                commit(null, COMMIT_TIMEOUT);
                backpressure();
                status.update(segments);
            }
        } catch (WakeupException e) {
            if (!stopped) {
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("sink spool: " + e.getMessage(), e);
        } finally {
            close();
        }
    }

    /** Ends {@link #run()} soon: without sealing, so open segments are read again by the next owner. */
    void stop() {
        stopped = true;
        try {
            consumer.wakeup();
        } catch (IllegalStateException e) {
            log.debug("sink consumer already closed: {}", e.toString());
        }
    }

    private void accept(ConsumerRecord<String, byte[]> r) throws IOException {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        ChangeEnvelope record;
        try {
            if (r.value() == null) {
                throw new IllegalArgumentException("a tombstone: recall.changes carries no deletions");
            }
            record = ChangeEnvelope.fromByteBuffer(ByteBuffer.wrap(r.value()));
            SourceId.parse(record.getSourceId());
        } catch (IOException | RuntimeException e) {
            // never skip: a record left out would be a silent gap (I4); its offset is never committed
            throw new IllegalStateException(
                    "change record at " + tp + " offset " + r.offset() + " cannot be read: " + e.getMessage(), e);
        }
        segments.add(tp, r.offset(), record, r.value());
    }

    private void takeSealRequests() {
        SourceId source;
        while ((source = sealRequests.poll()) != null) {
            requestSeal(source, "api");
        }
        if (control.assignment().isEmpty()) {
            return;
        }
        for (ConsumerRecord<String, byte[]> r : control.poll(Duration.ZERO)) {
            try {
                SealRequest request = SealRequest.fromByteBuffer(ByteBuffer.wrap(r.value()));
                requestSeal(SourceId.parse(request.getSourceId()), "request " + request.getRequestId());
            } catch (IOException | RuntimeException e) {
                log.warn(
                        "ignoring unreadable seal request at {} offset {}: {}",
                        r.partition(),
                        r.offset(),
                        e.toString());
            }
        }
    }

    private void requestSeal(SourceId source, String from) {
        boolean open = segments.requestSeal(source);
        log.info("seal of {} requested ({}): {}", source, from, open ? "sealing" : "no open segment");
    }

    /** Stores and announces sealed segments in order until none is left, one fails, or the time budget is spent. */
    private void storeAndAnnounce() throws IOException {
        if (System.nanoTime() - retryAtNanos < 0) {
            return;
        }
        long deadline = System.nanoTime() + STORE_BUDGET.toNanos();
        Optional<OpenSegments.Sealed> next;
        while ((next = segments.nextSealed()).isPresent() && System.nanoTime() - deadline < 0) {
            OpenSegments.Sealed s = next.get();
            SegmentMetadata m = s.metadata();
            try (var ignored = MDC.putCloseable("source", m.sourceId().toString())) {
                if (s.stored == null) {
                    s.stored = s.segment.store(store);
                }
                publisher.segmentSealed(m, s.stored);
                segments.announced(s);
                failures = 0;
                status.stored();
                if (unhealthy.remove(m.sourceId()) != null) {
                    log.info("storage takes segments of {} again", m.sourceId());
                    publisher.archiveStatus(
                            m.sourceId(), null, null, segments.sealed().size(), segments.sealedBytes());
                }
                log.info(
                        "stored {} ({}: {} records, {} transactions, {} -> {} bytes, watermark {})",
                        s.stored.key(),
                        s.reason,
                        m.recordCount(),
                        m.transactionCount(),
                        m.uncompressedBytes(),
                        s.stored.size(),
                        m.watermarkLsn());
            } catch (RuntimeException e) {
                failures++;
                long backoff = Math.min(
                        properties.retryBackoff().toNanos() << Math.min(failures - 1, 20),
                        properties.maxRetryBackoff().toNanos());
                retryAtNanos = System.nanoTime() + backoff;
                status.failed(e);
                String what = s.stored == null ? "storing" : "announcing";
                if (s.stored == null) {
                    reportUnhealthy(m.sourceId(), e);
                }
                if (e instanceof RetriableException) {
                    log.warn(
                            "{} {} failed (attempt {}), retrying in {} ms: {}",
                            what,
                            s.segment.key(),
                            failures,
                            backoff / 1_000_000,
                            e.toString());
                } else {
                    log.error(
                            "{} {} failed (attempt {}), retrying in {} ms",
                            what,
                            s.segment.key(),
                            failures,
                            backoff / 1_000_000,
                            e);
                }
                return;
            }
        }
    }

    /**
     * Tells the catalog that storage refuses a source's segments: at the first failure, then at most every
     * {@link #UNHEALTHY_REPORT_INTERVAL}, so the source's status shows the outage while it lasts.
     */
    private void reportUnhealthy(SourceId source, RuntimeException e) {
        Instant now = Instant.now();
        Instant[] state = unhealthy.get(source);
        if (state != null && Duration.between(state[1], now).compareTo(UNHEALTHY_REPORT_INTERVAL) < 0) {
            return;
        }
        Instant since = state == null ? now : state[0];
        unhealthy.put(source, new Instant[] {since, now});
        publisher.archiveStatus(
                source,
                "storage refuses sealed segments: " + e.getMessage(),
                since,
                segments.sealed().size(),
                segments.sealedBytes());
    }

    /** Commits each partition's committable offset where it moved on; {@code only} limits it to some partitions. */
    private void commit(Collection<TopicPartition> only, Duration timeout) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> assigned = consumer.assignment();
        segments.committable().forEach((tp, offset) -> {
            Long done = committed.get(tp);
            if ((only == null || only.contains(tp)) && assigned.contains(tp) && (done == null || offset > done)) {
                offsets.put(tp, new OffsetAndMetadata(offset));
            }
        });
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, timeout);
            offsets.forEach((tp, o) -> committed.put(tp, o.offset()));
            log.debug("committed {}", offsets);
        } catch (CommitFailedException
                | RebalanceInProgressException
                | org.apache.kafka.common.errors.RetriableException e) {
            // nothing was committed: the same offsets (or higher) are committed on a later round
            log.warn("offset commit failed, retried on the next round: {}", e.toString());
        }
    }

    private void backpressure() {
        boolean full = segments.sealedBytes() >= properties.maxBufferedBytes().toBytes();
        if (full) {
            Set<TopicPartition> running = consumer.assignment();
            if (!consumer.paused().containsAll(running)) {
                log.warn(
                        "{} bytes of sealed segments wait for storage: consumption paused until they are stored",
                        segments.sealedBytes());
                consumer.pause(running);
            }
        } else if (!consumer.paused().isEmpty()) {
            log.info("storage caught up: consumption resumed");
            consumer.resume(consumer.paused());
        }
    }

    private void close() {
        try {
            // revokes the partitions: commits what is announced, discards the rest
            consumer.close(Duration.ofSeconds(5));
        } catch (KafkaException e) {
            log.warn("closing the sink consumer: {}", e.toString());
        } finally {
            control.close(Duration.ofSeconds(2));
            segments.close();
            status.update(segments);
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                log.info("sink assigned {}", partitions);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            try {
                commit(partitions, REVOKE_COMMIT_TIMEOUT);
            } catch (WakeupException | InterruptException e) {
                log.debug("no final commit for revoked {}: {}", partitions, e.toString());
            }
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }

        private void forget(Collection<TopicPartition> partitions) {
            segments.discard(partitions);
            committed.keySet().removeAll(partitions);
            log.info("sink released {}; its open segments will be read again by the next owner", partitions);
        }
    }
}
