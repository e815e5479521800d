package io.recall.restore.job;

import io.recall.common.errors.InvalidRequestException;
import io.recall.schemas.restore.RestoreCancel;
import io.recall.schemas.restore.RestoreCommand;
import io.recall.schemas.restore.RestoreRequest;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job slot of a restore worker: a member of the consumer group {@value JobRunner#GROUP} on
 * {@code recall.restore-jobs} that runs at most one job at a time.
 *
 * <h2>Offsets and liveness</h2>
 *
 * The consumer takes one record per poll and commits by hand. On a RestoreRequest it pauses every partition it owns
 * and starts the job on a virtual thread, then keeps polling (paused partitions return nothing) so that it stays in
 * the group however long the job runs ({@code max.poll.interval.ms} bounds the time between polls, not the job).
 * When the job has reported its end it commits that record's offset + 1 and resumes. Partitions assigned while a job
 * runs are paused at once. A RestoreCancel that reaches this loop names a job that is not running here (a running
 * job's partition is paused; its {@link CancelWatcher} sees the cancel): it is committed and ignored, as is a record
 * that cannot be read.
 *
 * <h2>Rebalances</h2>
 *
 * The cooperative sticky assignor revokes only partitions that move, so a running job survives rebalances that leave
 * its partition here. When its partition is revoked or lost, the job is stopped (its thread interrupted, a running
 * {@code pg_restore} ended) and its offset is not committed: the next owner runs it again, fenced by the target's
 * advisory lock ({@link TargetDatabase}), since two workers may briefly both believe they own it.
 *
 * <p>Threading: {@link #run()} owns the consumer on one platform thread; {@link #stop()} may be called from any.
 */
final class JobLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(JobLoop.class);

    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(15);
    /** How long a revoked job may take to stop, inside the rebalance. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);

    private final Consumer<String, byte[]> consumer;
    private final Supplier<KafkaConsumer<String, byte[]>> watcherConsumers;
    private final String topic;
    private final JobServices services;
    private volatile boolean stopped;
    private volatile Running running;

    /** The job this loop runs, with where its record is. */
    private record Running(
            TopicPartition partition, long offset, RestoreJob job, Thread thread, CancelWatcher watcher) {}

    JobLoop(
            Consumer<String, byte[]> consumer,
            Supplier<KafkaConsumer<String, byte[]>> watcherConsumers,
            String topic,
            JobServices services) {
        this.consumer = consumer;
        this.watcherConsumers = watcherConsumers;
        this.topic = topic;
        this.services = services;
    }

    /** Whether a job runs in this slot now. */
    boolean busy() {
        return running != null;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(topic), new Rebalance());
            while (!stopped) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    accept(r);
                }
                reap();
            }
        } catch (WakeupException e) {
            if (!stopped) {
                throw e;
            }
        } finally {
            stopJob(JobControl.Stop.SHUTDOWN, "the worker is shutting down");
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (KafkaException e) {
                log.warn("closing the restore job consumer: {}", e.toString());
            }
        }
    }

    /** Ends the loop; a running job is stopped and left uncommitted for the next owner. */
    void stop() {
        stopped = true;
        consumer.wakeup();
    }

    private void accept(ConsumerRecord<String, byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        RestoreCommand command;
        try {
            command = RestoreCommand.fromByteBuffer(ByteBuffer.wrap(r.value()));
        } catch (Exception e) {
            log.error(
                    "restore job record {} at {}@{} is not a RestoreCommand, skipped: {}",
                    r.key(),
                    tp,
                    r.offset(),
                    e.toString());
            commit(tp, r.offset());
            return;
        }
        if (command.getCommand() instanceof RestoreCancel) {
            log.info(
                    "cancel of restore {} at {}@{}: the job is not running here, nothing to do",
                    r.key(),
                    tp,
                    r.offset());
            commit(tp, r.offset());
            return;
        }
        RestoreRequest request = (RestoreRequest) command.getCommand();
        String restoreId = r.key() != null ? r.key() : command.getRestoreId();
        JobRequest parsed = null;
        InvalidRequestException invalid = null;
        try {
            parsed = JobRequest.from(command, request);
        } catch (InvalidRequestException e) {
            invalid = e;
        }
        consumer.pause(consumer.assignment());
        JobControl control = new JobControl();
        RestoreJob job = new RestoreJob(services, restoreId, request.getSourceId(), parsed, invalid, control);
        CancelWatcher watcher = new CancelWatcher(
                watcherConsumers.get(),
                tp,
                r.offset() + 1,
                restoreId,
                reason -> control.stop(JobControl.Stop.CANCELLED, reason));
        Thread thread = Thread.ofVirtual().name("restore-" + restoreId).unstarted(job);
        control.runsOn(thread);
        running = new Running(tp, r.offset(), job, thread, watcher);
        log.info("restore {} taken from {}@{}", restoreId, tp, r.offset());
        thread.start();
    }

    /** Commits and resumes once the running job has ended. */
    private void reap() {
        Running r = running;
        if (r == null || r.thread().isAlive()) {
            return;
        }
        r.watcher().close();
        running = null;
        if (r.job().outcome() == RestoreJob.Outcome.COMMIT
                && consumer.assignment().contains(r.partition())) {
            commit(r.partition(), r.offset());
        }
        consumer.resume(consumer.paused());
    }

    private void commit(TopicPartition tp, long offset) {
        try {
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(offset + 1)), COMMIT_TIMEOUT);
        } catch (CommitFailedException | org.apache.kafka.common.errors.RetriableException e) {
            // not committed: the record comes again, and the job's marker makes that harmless
            log.warn("offset commit of {}@{} failed: {}", tp, offset, e.toString());
        }
    }

    /** Stops the running job (if any) and waits a bounded time for it; nothing is committed. */
    private void stopJob(JobControl.Stop why, String reason) {
        Running r = running;
        if (r == null) {
            return;
        }
        running = null;
        r.job().control().stop(why, reason);
        try {
            if (!r.thread().join(STOP_WAIT)) {
                log.warn("restore job on {} did not stop within {}", r.partition(), STOP_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        r.watcher().close();
    }

    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                log.info("restore jobs: assigned {}", partitions);
            }
            if (running != null && !partitions.isEmpty()) {
                consumer.pause(partitions);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Running r = running;
            if (r != null && partitions.contains(r.partition())) {
                log.info("restore jobs: {} revoked while its job runs: stopping the job", r.partition());
                stopJob(JobControl.Stop.REVOKED, "its partition moved to another worker");
                consumer.resume(consumer.paused());
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            onPartitionsRevoked(partitions);
        }
    }
}
