package io.recall.coordinator.restore;

import io.recall.coordinator.config.RecallProperties;
import io.recall.coordinator.restore.RestoreTarget.AtLsn;
import io.recall.coordinator.restore.RestoreTarget.AtRestorePoint;
import io.recall.coordinator.restore.RestoreTarget.AtTime;
import io.recall.coordinator.restore.RestoreTarget.AtXid;
import io.recall.coordinator.restore.RestoreTarget.Latest;
import io.recall.schemas.restore.RestoreCancel;
import io.recall.schemas.restore.RestoreCommand;
import io.recall.schemas.restore.RestoreRequest;
import io.recall.schemas.restore.RestoreTargetSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Writes restore commands to {@code recall.restore-jobs} (key = restore id, so a job's request and its cancellation
 * share a partition, in that order) and waits for Kafka's acknowledgement (acks=all, idempotent producer). The target
 * connection string travels only as the ciphertext the metadata database holds, never in clear (I5). Avro classes stay
 * at this edge. Thread-safe.
 */
@Component
class RestoreCommands {

    private static final Logger log = LoggerFactory.getLogger(RestoreCommands.class);

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final Duration timeout;

    RestoreCommands(Producer<String, byte[]> restoreCommandProducer, RecallProperties properties) {
        this.producer = restoreCommandProducer;
        this.topic = properties.topics().restoreJobs();
        this.timeout = properties.restores().publishTimeout();
    }

    /**
     * Publishes a job's request.
     *
     * @param target the parsed target of {@code r}
     * @throws RestoreUnavailableException Kafka did not acknowledge it in time
     */
    void request(RequestedRestore r, RestoreTarget target, String sourceSystemIdentifier, String sourceDatabase) {
        RestoreRequest request = RestoreRequest.newBuilder()
                .setSourceId(r.source().toString())
                .setTarget(spec(target))
                .setInclusive(r.inclusive())
                .setTargetConnectionString(r.connectionCiphertext())
                .setMode(io.recall.schemas.restore.RestoreMode.valueOf(r.mode().name()))
                .setCreateDatabase(r.createDatabase())
                .setTables(r.tables())
                .setLatestLsn(r.latestLsn() == null ? null : r.latestLsn().toString())
                .setRestorePointLsn(
                        r.restorePointLsn() == null ? null : r.restorePointLsn().toString())
                .setSourceSystemIdentifier(sourceSystemIdentifier)
                .setSourceDatabase(sourceDatabase)
                .build();
        send(
                RestoreCommand.newBuilder()
                        .setRestoreId(r.id().toString())
                        .setRequestedAt(r.requestedAt().toInstant())
                        .setRequestedBy(r.requestedBy())
                        .setCommand(request)
                        .build(),
                "request");
    }

    /**
     * Publishes a job's cancellation.
     *
     * @throws RestoreUnavailableException Kafka did not acknowledge it in time
     */
    void cancel(UUID id, String requestedBy, String reason) {
        send(
                RestoreCommand.newBuilder()
                        .setRestoreId(id.toString())
                        .setRequestedAt(RestoreRepository.now().toInstant())
                        .setRequestedBy(requestedBy)
                        .setCommand(RestoreCancel.newBuilder().setReason(reason).build())
                        .build(),
                "cancellation");
    }

    private void send(RestoreCommand command, String what) {
        UUID id = UUID.fromString(command.getRestoreId());
        var record = new ProducerRecord<>(topic, command.getRestoreId(), encode(command));
        try {
            var metadata = producer.send(record)
                    // send() may block up to the timeout for metadata, then the delivery timeout runs; never longer
                    .get(timeout.multipliedBy(2).plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            log.info(
                    "published the {} of restore {} at {}-{}@{}",
                    what,
                    id,
                    metadata.topic(),
                    metadata.partition(),
                    metadata.offset());
        } catch (ExecutionException e) {
            throw unavailable(id, what, e.getCause());
        } catch (TimeoutException | KafkaException e) {
            throw unavailable(id, what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(id, what, e);
        }
    }

    private RestoreUnavailableException unavailable(UUID id, String what, Throwable cause) {
        return new RestoreUnavailableException(
                id,
                "Kafka did not acknowledge the " + what + " of restore " + id + " on " + topic + " within "
                        + timeout.toSeconds() + " s (" + cause + ")",
                cause);
    }

    static RestoreTargetSpec spec(RestoreTarget target) {
        var spec = RestoreTargetSpec.newBuilder();
        switch (target) {
            case AtLsn t -> spec.setLsn(t.lsn().toString());
            case AtTime t -> spec.setTime(t.time());
            case AtXid t -> spec.setXid(t.xid());
            case AtRestorePoint t -> spec.setRestorePoint(t.name());
            case Latest t -> spec.setLatest(true);
        }
        return spec.build();
    }

    /** Avro's single-object encoding (schema fingerprint + binary), as every Recall topic carries it. */
    private static byte[] encode(RestoreCommand command) {
        try {
            ByteBuffer b = command.toByteBuffer();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Avro encoding of a restore command failed", e);
        }
    }
}
