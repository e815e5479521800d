package io.recall.coordinator.source;

import io.recall.common.SourceId;
import io.recall.coordinator.config.RecallProperties;
import io.recall.schemas.source.SourceConnection;
import io.recall.schemas.source.SourceDesiredState;
import io.recall.schemas.source.TablePatternSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Writes a source's desired state to the compacted topic {@code recall.sources} (key = source id), or a tombstone
 * once its deletion began.
 *
 * <p><b>Ordering contract.</b> The metadata database is the source of truth: callers commit a change (epoch bumped)
 * first and call {@link #publish} after. {@code publish} locks the source's row, reads its <em>current</em> state,
 * sends it and waits for Kafka's acknowledgement (acks=all, idempotent producer) before it records the epoch as
 * published and releases the lock. Records of one source therefore reach the topic in epoch order, whichever request,
 * reconciler run or coordinator sends them, and the last record of a source on the topic is its latest state. When
 * Kafka does not acknowledge within {@code recall.desired-state.publish-timeout}, nothing is marked and the
 * {@link DesiredStateReconciler} sends it again later; the producer's delivery timeout is the same, so a record
 * given up on is not delivered later behind a newer one.
 *
 * <p>The password travels as the AES-GCM ciphertext stored in the metadata database, never in clear (I5).
 * Thread-safe.
 */
@Component
class DesiredStatePublisher {

    private static final Logger log = LoggerFactory.getLogger(DesiredStatePublisher.class);

    private final SourceRepository repository;
    private final Producer<String, byte[]> producer;
    private final TransactionTemplate tx;
    private final String topic;
    private final Duration timeout;

    DesiredStatePublisher(
            SourceRepository repository,
            Producer<String, byte[]> desiredStateProducer,
            TransactionTemplate tx,
            RecallProperties properties) {
        this.repository = repository;
        this.producer = desiredStateProducer;
        this.tx = tx;
        this.topic = properties.topics().sources();
        this.timeout = properties.desiredState().publishTimeout();
    }

    /**
     * Publishes the source's current desired state, or its tombstone while it is being deleted, unless Kafka already
     * acknowledged the current epoch. Does nothing for a source that no longer exists.
     *
     * @return the epoch Kafka now holds for the source, or -1 when the source does not exist
     * @throws KafkaUnavailableException Kafka did not acknowledge in time
     */
    long publish(SourceId id) {
        Long epoch = tx.execute(status -> {
            Source s = repository.lock(id).orElse(null);
            if (s == null) {
                return -1L;
            }
            if (s.published()) {
                return s.epoch();
            }
            send(s);
            repository.markPublished(id, s.epoch());
            return s.epoch();
        });
        return epoch == null ? -1 : epoch;
    }

    private void send(Source s) {
        byte[] value = s.deleting() ? null : encode(desiredState(s));
        var record = new ProducerRecord<>(topic, s.id().toString(), value);
        try {
            var metadata = producer.send(record)
                    // send() may block up to the timeout for metadata, then the delivery timeout runs; never longer
                    .get(timeout.multipliedBy(2).plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            log.info(
                    "published {} of source {} (epoch {}) at {}-{}@{}",
                    value == null ? "tombstone" : "desired state",
                    s.id(),
                    s.epoch(),
                    metadata.topic(),
                    metadata.partition(),
                    metadata.offset());
        } catch (ExecutionException e) {
            throw unavailable(s, e.getCause());
        } catch (TimeoutException | KafkaException e) {
            throw unavailable(s, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(s, e);
        }
    }

    private KafkaUnavailableException unavailable(Source s, Throwable cause) {
        return new KafkaUnavailableException(
                s.id(),
                "Kafka did not acknowledge the " + (s.deleting() ? "tombstone" : "desired state") + " of source "
                        + s.id() + " (epoch " + s.epoch() + ") on " + topic + " within " + timeout.toSeconds()
                        + " s (" + cause + "). The change is saved in the metadata database and the coordinator keeps"
                        + " publishing it until Kafka takes it; check spring.kafka.bootstrap-servers and the brokers.",
                cause);
    }

    /** The Avro record; Avro classes stay at this edge. */
    static SourceDesiredState desiredState(Source s) {
        var c = s.connection();
        return SourceDesiredState.newBuilder()
                .setSourceId(s.id().toString())
                .setName(s.name())
                .setEpoch(s.epoch())
                .setPaused(s.paused())
                .setConnection(SourceConnection.newBuilder()
                        .setHost(c.host())
                        .setPort(c.port())
                        .setDatabase(c.database())
                        .setUser(c.user())
                        .setPasswordCiphertext(s.passwordCiphertext())
                        .setOptions(c.options())
                        .build())
                .setTables(s.tables().stream().map(TableName::toString).toList())
                .setTablePatterns(tablePatterns(s.selection()))
                .setSlotName(s.slotName())
                .setPublicationName(s.publicationName())
                .setBaseBackupRequestId(
                        s.baseBackupRequestId() == null
                                ? null
                                : s.baseBackupRequestId().toString())
                .build();
    }

    /**
     * The selection as patterns, so that capture can add a table created later that matches: include patterns first,
     * then exclude patterns. A selection without include patterns (every user table) is the include pattern of schema
     * {@value #EVERY_SCHEMA}: an empty list means "no patterns known" (a desired state older than them), and capture
     * then adds no table by itself. Names are already case-folded, as PostgreSQL stores them.
     */
    static List<TablePatternSpec> tablePatterns(TableSelection selection) {
        Stream<TablePatternSpec> include = selection.include().isEmpty()
                ? Stream.of(new TablePatternSpec(EVERY_SCHEMA, null, false))
                : selection.include().stream().map(p -> spec(p, false));
        return Stream.concat(include, selection.exclude().stream().map(p -> spec(p, true)))
                .toList();
    }

    /** The schema of the include pattern that takes every user table. */
    static final String EVERY_SCHEMA = "*";

    private static TablePatternSpec spec(TablePattern p, boolean exclude) {
        return new TablePatternSpec(p.schema(), p.table(), exclude);
    }

    /** Avro's single-object encoding (schema fingerprint + binary), as every Recall topic carries it. */
    private static byte[] encode(SourceDesiredState state) {
        try {
            ByteBuffer b = state.toByteBuffer();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Avro encoding of a desired state failed", e);
        }
    }
}
