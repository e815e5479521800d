package io.recall.coordinator.restore;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.coordinator.db.tables.records.RestoresRecord;
import io.recall.schemas.restore.RestoreEvent;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Consumes {@code recall.restore-events} (group {@value #GROUP}) and applies each worker's report to its job's row:
 * status, progress, base backup, cut-off, where the restore ended, error, worker and attempt; {@code started_at} at the
 * first report of a running job, {@code finished_at} when it ends.
 *
 * <p>Rules ({@link RestoreStatus#accepts}): a report of an older attempt than the recorded one is ignored; once a job
 * ended, a report of the same (or an older) attempt changes nothing; a report of a newer attempt (a worker restarted
 * the job after another died) applies whatever the job's state, and starts its facts afresh. A report for a job the
 * coordinator does not know yet (it arrived before the request was read) creates a minimal row first, which the intake
 * fills in later, so nothing is lost. Each report is applied in one transaction under the row's lock, so it does not
 * race a cancellation or the intake. Delivery is at least once: applying a report twice gives the same row.
 *
 * <p>Failures: see {@link RestoreListeners#consume}. Runs on the listener container's single consumer thread.
 */
@Component
class RestoreEventListener {

    static final String GROUP = "recall-coordinator-restore-events";
    private static final Logger log = LoggerFactory.getLogger(RestoreEventListener.class);

    private final RestoreRepository repository;
    private final TransactionTemplate tx;
    private final RestoreMetrics metrics;

    RestoreEventListener(RestoreRepository repository, TransactionTemplate tx, RestoreMetrics metrics) {
        this.repository = repository;
        this.tx = tx;
        this.metrics = metrics;
    }

    @KafkaListener(
            groupId = GROUP,
            topics = "${recall.topics.prefix:recall.}restore-events",
            containerFactory = "catalogListenerFactory")
    void onRecord(ConsumerRecord<String, byte[]> record) {
        RestoreListeners.consume(
                record, "restore event", RestoreEvent::fromByteBuffer, RestoreEvent::getRestoreId, this::apply);
    }

    private void apply(UUID id, RestoreEvent e, String where) {
        SourceId source = SourceId.parse(e.getSourceId());
        RestoreStatus next = RestoreStatus.valueOf(e.getStatus().name());
        OffsetDateTime at = e.getAt().atOffset(ZoneOffset.UTC);
        RestoreStatus entered = tx.execute(st -> {
            repository.insertFromEvent(id, source, at);
            RestoresRecord row = repository.lock(id).orElseThrow();
            RestoreStatus current = RestoreStatus.valueOf(row.getStatus());
            int stored = row.getAttempt() == null ? 0 : row.getAttempt();
            if (!current.accepts(next, e.getAttempt(), stored)) {
                log.debug(
                        "ignoring {} (attempt {}) of restore {} at {}: it is {} at attempt {}",
                        next,
                        e.getAttempt(),
                        id,
                        where,
                        current,
                        stored);
                return null;
            }
            boolean restarted = e.getAttempt() != stored;
            merge(row, e, current, next, at, restarted);
            row.update();
            return current != next || restarted ? next : null;
        });
        if (entered != null) {
            metrics.entered(entered);
            log.info(
                    "restore {} is {} (attempt {}, worker {}, phase {}){}",
                    id,
                    entered,
                    e.getAttempt(),
                    e.getWorker(),
                    e.getPhase(),
                    e.getError() == null ? "" : ": " + e.getError());
        }
    }

    /**
     * Writes the report into the row. Progress is a snapshot (the latest report's numbers); the facts a job learns
     * once (base backup, cut-off, where it ended, its error) stay until a newer attempt reports its own.
     */
    private static void merge(
            RestoresRecord row,
            RestoreEvent e,
            RestoreStatus current,
            RestoreStatus next,
            OffsetDateTime at,
            boolean restarted) {
        row.setStatus(next.name());
        row.setAttempt(e.getAttempt());
        row.setWorker(e.getWorker());
        row.setPhase(e.getPhase().name());
        row.setMessage(e.getMessage());
        row.setSegmentsTotal(e.getSegmentsTotal());
        row.setSegmentsApplied(e.getSegmentsApplied());
        row.setBytesTotal(e.getBytesTotal());
        row.setBytesRead(e.getBytesRead());
        row.setTransactionsApplied(e.getTransactionsApplied());
        row.setRowsApplied(e.getRowsApplied());
        row.setRowsPerSecond(e.getRowsPerSecond());
        row.setEtaSeconds(e.getEtaSeconds());
        UUID backup = e.getBaseBackupId() == null ? null : UUID.fromString(e.getBaseBackupId());
        Long cutoff =
                e.getCutoffLsn() == null ? null : Lsn.parse(e.getCutoffLsn()).value();
        Long restoredLsn = e.getRestoredToLsn() == null
                ? null
                : Lsn.parse(e.getRestoredToLsn()).value();
        OffsetDateTime restoredTime =
                e.getRestoredToTime() == null ? null : e.getRestoredToTime().atOffset(ZoneOffset.UTC);
        if (restarted) {
            row.setBaseBackupId(backup);
            row.setCutoffLsn(cutoff);
            row.setRestoredLsn(restoredLsn);
            row.setRestoredTime(restoredTime);
            row.setError(e.getError());
        } else {
            row.setBaseBackupId(backup != null ? backup : row.getBaseBackupId());
            row.setCutoffLsn(cutoff != null ? cutoff : row.getCutoffLsn());
            row.setRestoredLsn(restoredLsn != null ? restoredLsn : row.getRestoredLsn());
            row.setRestoredTime(restoredTime != null ? restoredTime : row.getRestoredTime());
            row.setError(e.getError() != null ? e.getError() : row.getError());
        }
        if (row.getStartedAt() == null && next != RestoreStatus.QUEUED && next != RestoreStatus.CANCELLED) {
            row.setStartedAt(at);
        }
        if (!next.isTerminal()) {
            row.setFinishedAt(null);
        } else if (current != next || restarted || row.getFinishedAt() == null) {
            row.setFinishedAt(at);
        }
        row.setUpdatedAt(RestoreRepository.now());
    }
}
