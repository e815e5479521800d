package io.recall.worker.capture;

import io.recall.common.SourceId;
import io.recall.schemas.RecallTopics;
import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.change.ChangeEnvelope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes change records to {@code recall.changes} and reports to {@code recall.catalog}, keyed by source id so each
 * source stays ordered in one partition. The producer is idempotent with acks=all; when Kafka is unavailable
 * {@code send} blocks (backpressure), so a capture stops reading its slot instead of buffering without bound.
 * Thread-safe (the Kafka producer is).
 */
final class ChangeProducer implements AutoCloseable {

    private final Producer<String, byte[]> producer;
    private final RecallTopics topics;

    ChangeProducer(Producer<String, byte[]> producer, RecallTopics topics) {
        this.producer = producer;
        this.topics = topics;
    }

    /** Callbacks of one source run in send order (one partition). */
    void sendChange(SourceId source, ChangeEnvelope envelope, Callback callback) {
        producer.send(
                new ProducerRecord<>(topics.changes(), source.toString(), encode(envelope::toByteBuffer)), callback);
    }

    void sendCatalog(SourceId source, String worker, Instant at, Object body) {
        CatalogEvent event = CatalogEvent.newBuilder()
                .setSourceId(source.toString())
                .setAt(at)
                .setWorker(worker)
                .setBody(body)
                .build();
        producer.send(new ProducerRecord<>(topics.catalog(), source.toString(), encode(event::toByteBuffer)));
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
            // Avro's toByteBuffer() wraps a fresh array of exactly the encoding: hand it over, no second copy
            return b.array();
        }
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** Avro's single-object encoding (schema fingerprint + binary), as every Recall topic carries it. */
    interface Encoder {
        ByteBuffer encode() throws IOException;
    }

    static byte[] encode(Encoder e) {
        try {
            return bytes(e.encode());
        } catch (IOException x) {
            throw new UncheckedIOException("Avro encoding failed", x);
        }
    }

    /** Waits a bounded time for records in flight: with Kafka gone, they stay unacknowledged (and unconfirmed). */
    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(10));
    }
}
