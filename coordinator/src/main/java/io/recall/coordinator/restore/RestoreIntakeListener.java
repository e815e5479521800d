package io.recall.coordinator.restore;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.pg.ConnectionString;
import io.recall.schemas.restore.RestoreCancel;
import io.recall.schemas.restore.RestoreCommand;
import io.recall.schemas.restore.RestoreRequest;
import io.recall.schemas.restore.RestoreTargetSpec;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Consumes {@code recall.restore-jobs} (group {@value #GROUP}) so that jobs another system wrote straight to the
 * topic show in the API like the API's own: a {@code RestoreRequest} whose id is not recorded is inserted
 * {@code QUEUED} with what the record says (its connection string sealed if it came in clear, and shown masked); a
 * {@code RestoreCancel} marks the job's cancellation as requested. Idempotent: the API's own records, and any record
 * read twice, change nothing. It does not judge the request: a restore worker runs it and reports what became of it.
 *
 * <p>Failures: see {@link RestoreListeners#consume}. Runs on the listener container's single consumer thread.
 */
@Component
class RestoreIntakeListener {

    static final String GROUP = "recall-coordinator-restore-intake";
    private static final Logger log = LoggerFactory.getLogger(RestoreIntakeListener.class);

    private final RestoreRepository repository;
    private final SecretCipher cipher;
    private final RestoreMetrics metrics;

    RestoreIntakeListener(RestoreRepository repository, SecretCipher cipher, RestoreMetrics metrics) {
        this.repository = repository;
        this.cipher = cipher;
        this.metrics = metrics;
    }

    @KafkaListener(
            groupId = GROUP,
            topics = "${recall.topics.prefix:recall.}restore-jobs",
            containerFactory = "catalogListenerFactory")
    void onRecord(ConsumerRecord<String, byte[]> record) {
        RestoreListeners.consume(
                record, "restore command", RestoreCommand::fromByteBuffer, RestoreCommand::getRestoreId, this::apply);
    }

    private void apply(UUID id, RestoreCommand command, String where) {
        switch (command.getCommand()) {
            case RestoreRequest request -> {
                RequestedRestore job = requested(id, command, request);
                if (repository.record(job)) {
                    metrics.entered(RestoreStatus.QUEUED);
                    log.info(
                            "recorded restore {} of source {} written to {} by {}",
                            id,
                            job.source(),
                            where,
                            command.getRequestedBy());
                }
            }
            case RestoreCancel cancel -> {
                if (repository.markCancelRequested(id)) {
                    log.info("cancellation of restore {} requested at {} ({})", id, where, cancel.getReason());
                } else {
                    log.warn("skipping the cancellation at {} of restore {}, which is not known", where, id);
                }
            }
            default -> log.warn("skipping restore command at {} of an unknown kind", where);
        }
    }

    private RequestedRestore requested(UUID id, RestoreCommand command, RestoreRequest r) {
        Sealed connection = seal(r.getTargetConnectionString());
        return new RequestedRestore(
                id,
                SourceId.parse(r.getSourceId()),
                asJson(r.getTarget()),
                r.getInclusive(),
                lsn(r.getLatestLsn()),
                lsn(r.getRestorePointLsn()),
                // not judged: a job on the topic is not checked against the window (see the class comment)
                Approximation.NOT_JUDGED,
                connection.ciphertext(),
                connection.display(),
                RestoreMode.valueOf(r.getMode().name()),
                r.getCreateDatabase(),
                r.getTables(),
                RestoreRepository.VIA_KAFKA,
                command.getRequestedAt().atOffset(ZoneOffset.UTC),
                command.getRequestedBy());
    }

    private record Sealed(String ciphertext, String display) {}

    /**
     * The connection string as stored: sealed (kept as it came if it already was) and masked for display. Neither the
     * clear string nor a parse error, which could quote it, is ever logged.
     */
    private Sealed seal(String connection) {
        boolean sealed = connection.startsWith("v1:");
        String clear;
        try {
            clear = sealed ? cipher.decrypt(connection) : connection;
        } catch (RuntimeException e) {
            return new Sealed(connection, "(sealed with a key this coordinator does not hold)");
        }
        String display;
        try {
            display = ConnectionString.parse(clear).masked();
        } catch (InvalidRequestException e) {
            display = "(not a valid connection string)";
        }
        return new Sealed(sealed ? connection : cipher.encrypt(clear), display);
    }

    /** The target as requested: the properties the record sets. */
    static Map<String, Object> asJson(RestoreTargetSpec t) {
        Map<String, Object> json = new LinkedHashMap<>();
        if (t.getLsn() != null) {
            json.put("lsn", t.getLsn());
        }
        if (t.getTime() != null) {
            json.put("time", t.getTime().toString());
        }
        if (t.getXid() != null) {
            json.put("xid", t.getXid());
        }
        if (t.getRestorePoint() != null) {
            json.put("restorePoint", t.getRestorePoint());
        }
        if (t.getLatest()) {
            json.put("latest", true);
        }
        return json;
    }

    private static Lsn lsn(String text) {
        return text == null ? null : Lsn.parse(text);
    }
}
