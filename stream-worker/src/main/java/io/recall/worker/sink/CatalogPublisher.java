package io.recall.worker.sink;

import io.recall.common.SourceId;
import io.recall.common.errors.RetriableException;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.storage.BlobInfo;
import io.recall.schemas.catalog.ArchiveStatus;
import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.catalog.SegmentSealed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces stored segments on {@code recall.catalog} (key: source id). {@link #segmentSealed} returns only once Kafka
 * has acknowledged the event (acks=all, idempotent producer), because the sink commits offsets right after. Thread-safe
 * (the Kafka producer is); the sink uses it from its loop thread.
 */
final class CatalogPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatalogPublisher.class);

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final String workerId;
    private final Clock clock;
    private final Duration timeout;

    CatalogPublisher(Producer<String, byte[]> producer, String topic, String workerId, Clock clock, Duration timeout) {
        this.producer = producer;
        this.topic = topic;
        this.workerId = workerId;
        this.clock = clock;
        this.timeout = timeout;
    }

    /**
     * Publishes a {@code SegmentSealed} event and waits for its acknowledgement.
     *
     * @throws RetriableException if Kafka did not acknowledge it in time; the event may or may not have been written
     *     (the catalog records events idempotently, so publishing it again is safe)
     */
    void segmentSealed(SegmentMetadata metadata, BlobInfo stored) {
        CatalogEvent event = CatalogEvent.newBuilder()
                .setSourceId(metadata.sourceId().toString())
                .setAt(clock.instant())
                .setWorker(workerId)
                .setBody(event(metadata, stored))
                .build();
        byte[] value;
        try {
            ByteBuffer b = event.toByteBuffer();
            value = new byte[b.remaining()];
            b.get(value);
        } catch (IOException e) {
            throw new UncheckedIOException("Avro encoding failed", e);
        }
        try {
            producer.send(new ProducerRecord<>(topic, metadata.sourceId().toString(), value))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new RetriableException("Kafka did not take the SegmentSealed event of " + stored.key(), e.getCause());
        } catch (TimeoutException e) {
            throw new RetriableException("no acknowledgement of the SegmentSealed event of " + stored.key(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted publishing the SegmentSealed event of " + stored.key(), e);
        }
    }

    /**
     * Reports a source's archive health without waiting: a lost report is repeated by the next failure or success.
     *
     * @param error the storage failure, null when healthy
     * @param since when the failures began, null when healthy
     */
    void archiveStatus(SourceId source, String error, Instant since, int waitingSegments, long waitingBytes) {
        CatalogEvent event = CatalogEvent.newBuilder()
                .setSourceId(source.toString())
                .setAt(clock.instant())
                .setWorker(workerId)
                .setBody(new ArchiveStatus(error == null, error, since, (long) waitingSegments, waitingBytes))
                .build();
        try {
            ByteBuffer b = event.toByteBuffer();
            byte[] value = new byte[b.remaining()];
            b.get(value);
            producer.send(new ProducerRecord<>(topic, source.toString(), value), (metadata, e) -> {
                if (e != null) {
                    log.warn("archive status of {} not published: {}", source, e.toString());
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Avro encoding failed", e);
        } catch (KafkaException e) {
            log.warn("archive status of {} not published: {}", source, e.toString());
        }
    }

    /** The event body: what the catalog records about a stored segment. */
    static SegmentSealed event(SegmentMetadata m, BlobInfo stored) {
        return SegmentSealed.newBuilder()
                .setObjectKey(stored.key())
                .setFirstLsn(m.firstLsn().value())
                .setLastLsn(m.lastLsn().value())
                .setFirstCommitTime(m.firstCommitTime())
                .setLastCommitTime(m.lastCommitTime())
                .setWatermarkLsn(m.watermarkLsn().value())
                .setWatermarkTime(m.watermarkTime())
                .setRecordCount(m.recordCount())
                .setTransactionCount(m.transactionCount())
                .setChangeCount(m.changeCount())
                .setStoredBytes(stored.size())
                .setUncompressedBytes(m.uncompressedBytes())
                .setSchemaFingerprint(m.schemaFingerprint())
                .build();
    }

    /**
     * Waits a bounded time for events still in flight (their wait in {@link #segmentSealed} timed out). One lost here
     * belongs to a segment never counted as announced, so its offsets were not committed: the records are read, stored
     * and announced again.
     */
    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
