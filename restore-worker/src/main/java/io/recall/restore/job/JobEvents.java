package io.recall.restore.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.recall.common.Lsn;
import io.recall.common.errors.RetriableException;
import io.recall.schemas.restore.RestoreEvent;
import io.recall.schemas.restore.RestorePhase;
import io.recall.schemas.restore.RestoreStatus;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one job reports on {@code recall.restore-events} (key: restore id): progress as it goes, sent without waiting,
 * and its end (SUCCEEDED, FAILED, CANCELLED), sent and acknowledged before the job's offset is committed, so that a
 * job whose end was not reported is delivered again and reports it then. Every event carries the attempt, the worker,
 * and what is known so far (base backup, cut-off). Progress also counts the rows applied since the last report on
 * {@code recall.restore.rows} (Prometheus: {@code recall_restore_rows_total}), tagged {@code source}, so a dashboard
 * can chart how fast restores apply. Thread-safe (progress may come from a reporter thread).
 */
final class JobEvents {

    private static final Logger log = LoggerFactory.getLogger(JobEvents.class);

    /** How long the end of a job may wait for Kafka's acknowledgement. */
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    /** Counters of a replay, as events carry them. */
    record Progress(
            long segmentsTotal,
            long segmentsApplied,
            long bytesTotal,
            long bytesRead,
            long transactions,
            long rows,
            Double rowsPerSecond,
            Long etaSeconds) {

        static final Progress NONE = new Progress(0, 0, 0, 0, 0, 0, null, null);
    }

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final Clock clock;
    private final String worker;
    private final String restoreId;
    private final String sourceId;
    private volatile int attempt = 1;
    private volatile String baseBackupId;
    private volatile Lsn cutoff;
    private volatile Progress last = Progress.NONE;
    private final Counter rowsApplied;
    private long rowsCounted;

    JobEvents(
            Producer<String, byte[]> producer,
            String topic,
            Clock clock,
            String worker,
            String restoreId,
            String sourceId,
            MeterRegistry meters) {
        this.producer = producer;
        this.topic = topic;
        this.clock = clock;
        this.worker = worker;
        this.restoreId = restoreId;
        this.sourceId = sourceId;
        this.rowsApplied = Counter.builder("recall.restore.rows")
                .description("Row changes applied by restore jobs' replays")
                .tag("source", String.valueOf(sourceId))
                .register(meters);
    }

    void attempt(int n) {
        attempt = n;
    }

    int attempt() {
        return attempt;
    }

    void baseBackup(String backupId) {
        baseBackupId = backupId;
    }

    void cutoff(Lsn applyBelow) {
        cutoff = applyBelow;
    }

    /** A RUNNING event: what the job does or waits for. */
    void running(RestorePhase phase, String message) {
        send(event(RestoreStatus.RUNNING, phase, message).build(), false);
    }

    /** A RUNNING event with replay counters. */
    void progress(RestorePhase phase, String message, Progress p) {
        last = p;
        count(p.rows());
        send(withProgress(event(RestoreStatus.RUNNING, phase, message), p).build(), false);
    }

    /** Adds the rows applied since the last report to the counter; a smaller count means a replay started over. */
    private synchronized void count(long rows) {
        long delta = rows >= rowsCounted ? rows - rowsCounted : rows;
        rowsCounted = rows;
        if (delta > 0) {
            rowsApplied.increment(delta);
        }
    }

    /** The job is done; waits for Kafka's acknowledgement. */
    void succeeded(Lsn restoredTo, Instant restoredAt, String message) {
        send(
                withProgress(event(RestoreStatus.SUCCEEDED, RestorePhase.DONE, message), last)
                        .setRestoredToLsn(restoredTo.toString())
                        .setRestoredToTime(restoredAt)
                        .build(),
                true);
    }

    /** The job failed; waits for Kafka's acknowledgement. */
    void failed(RestorePhase phase, String error) {
        send(
                withProgress(event(RestoreStatus.FAILED, phase, "failed: " + error), last)
                        .setError(error)
                        .build(),
                true);
    }

    /** The job was cancelled; waits for Kafka's acknowledgement. */
    void cancelled(RestorePhase phase, String reason) {
        send(
                withProgress(
                                event(
                                        RestoreStatus.CANCELLED,
                                        phase,
                                        "cancelled" + (reason == null ? "" : ": " + reason)),
                                last)
                        .build(),
                true);
    }

    private RestoreEvent.Builder event(RestoreStatus status, RestorePhase phase, String message) {
        Lsn c = cutoff;
        return RestoreEvent.newBuilder()
                .setRestoreId(restoreId)
                .setSourceId(sourceId)
                .setAt(clock.instant())
                .setWorker(worker)
                .setAttempt(attempt)
                .setStatus(status)
                .setPhase(phase)
                .setMessage(message)
                .setBaseBackupId(baseBackupId)
                .setCutoffLsn(c == null ? null : c.toString());
    }

    private static RestoreEvent.Builder withProgress(RestoreEvent.Builder b, Progress p) {
        return b.setSegmentsTotal(p.segmentsTotal())
                .setSegmentsApplied(p.segmentsApplied())
                .setBytesTotal(p.bytesTotal())
                .setBytesRead(p.bytesRead())
                .setTransactionsApplied(p.transactions())
                .setRowsApplied(p.rows())
                .setRowsPerSecond(p.rowsPerSecond())
                .setEtaSeconds(p.etaSeconds());
    }

    private void send(RestoreEvent event, boolean wait) {
        log.info("{} {} attempt {}: {}", event.getStatus(), event.getPhase(), event.getAttempt(), event.getMessage());
        sendRecord(producer, topic, restoreId, encode(event::toByteBuffer), wait);
    }

    /** Avro single-object encoding, as the generated classes' {@code toByteBuffer} writes it. */
    interface Encoding {
        ByteBuffer get() throws IOException;
    }

    static byte[] encode(Encoding encoding) {
        try {
            ByteBuffer b = encoding.get();
            byte[] value = new byte[b.remaining()];
            b.get(value);
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException("Avro encoding failed", e);
        }
    }

    /**
     * Sends a record.
     *
     * @param wait whether to wait for Kafka's acknowledgement
     * @throws RetriableException if Kafka did not acknowledge it in time (only when waiting)
     */
    static void sendRecord(Producer<String, byte[]> producer, String topic, String key, byte[] value, boolean wait) {
        var sent = producer.send(new ProducerRecord<>(topic, key, value));
        if (!wait) {
            return;
        }
        try {
            sent.get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new RetriableException("Kafka did not take a record for " + topic, e.getCause());
        } catch (TimeoutException e) {
            throw new RetriableException("no acknowledgement from Kafka for a record for " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted while sending to " + topic, e);
        }
    }
}
