package io.recall.restore.job;

import io.recall.schemas.restore.RestoreCancel;
import io.recall.schemas.restore.RestoreCommand;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a running job's partition for its cancellation: a plain consumer with no group, assigned the job's
 * partition from just after the job's own record (a RestoreCancel for a job always follows its request there, having
 * the same key). The job's partition is paused in the group consumer while the job runs, so this is the only reader
 * that sees the cancel. Runs on a virtual thread of its own until {@link #close()}.
 */
final class CancelWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CancelWatcher.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * @param onCancel called once with the cancel's reason (or null)
     */
    CancelWatcher(
            KafkaConsumer<String, byte[]> consumer,
            TopicPartition partition,
            long fromOffset,
            String restoreId,
            Consumer<String> onCancel) {
        this.consumer = consumer;
        this.thread = Thread.ofVirtual().name("cancel-watch-" + restoreId).start(() -> {
            try {
                consumer.assign(List.of(partition));
                consumer.seek(partition, fromOffset);
                while (!closed) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (restoreId.equals(r.key()) && isCancel(r.value())) {
                            log.info("cancel requested for restore {} (offset {})", restoreId, r.offset());
                            onCancel.accept(reason(r.value()));
                            return;
                        }
                    }
                }
            } catch (WakeupException e) {
                // closed
            } catch (KafkaException e) {
                if (!closed) {
                    log.warn("cancel requests for restore {} are no longer watched: {}", restoreId, e.toString());
                }
            } finally {
                consumer.close(Duration.ofSeconds(2));
            }
        });
    }

    private static boolean isCancel(byte[] value) {
        return command(value) instanceof RestoreCommand c && c.getCommand() instanceof RestoreCancel;
    }

    private static String reason(byte[] value) {
        return ((RestoreCancel) command(value).getCommand()).getReason();
    }

    private static RestoreCommand command(byte[] value) {
        try {
            return value == null ? null : RestoreCommand.fromByteBuffer(ByteBuffer.wrap(value));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            consumer.wakeup();
        } catch (RuntimeException e) {
            // the watcher has ended and closed its consumer
        }
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
