package io.recall.restore.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the worker's job slots with the application: {@code recall.restore.concurrency} {@link JobLoop}s, each on a
 * platform thread with its own consumer in the group {@value #GROUP}. A slot whose loop fails starts a new loop (new
 * consumer) after a pause. Stopping ends every loop: running jobs are stopped and left uncommitted, so the next owners
 * of their partitions run them. Thread-safe.
 */
public final class JobRunner implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

    /** Consumer group of every restore worker on the restore-jobs topic. */
    public static final String GROUP = "recall-restore-workers";

    private static final Duration RESTART_BACKOFF = Duration.ofSeconds(5);
    private static final Duration STOP_WAIT = Duration.ofSeconds(45);

    private final int slots;
    private final Supplier<KafkaConsumer<String, byte[]>> groupConsumers;
    private final Supplier<KafkaConsumer<String, byte[]>> watcherConsumers;
    private final String topic;
    private final JobServices services;
    private final List<Thread> threads = new ArrayList<>();
    private final List<JobLoop> loops = new ArrayList<>();
    private volatile boolean stopped;

    JobRunner(
            int slots,
            Supplier<KafkaConsumer<String, byte[]>> groupConsumers,
            Supplier<KafkaConsumer<String, byte[]>> watcherConsumers,
            String topic,
            JobServices services) {
        this.slots = slots;
        this.groupConsumers = groupConsumers;
        this.watcherConsumers = watcherConsumers;
        this.topic = topic;
        this.services = services;
    }

    /** Jobs running in this process now. */
    public synchronized int runningJobs() {
        return (int) loops.stream().filter(JobLoop::busy).count();
    }

    @Override
    public synchronized void start() {
        stopped = false;
        for (int i = 0; i < slots; i++) {
            int slot = i;
            threads.add(Thread.ofPlatform().name("restore-jobs-" + slot).start(() -> runSlot(slot)));
        }
        log.info("restore worker {} takes jobs from {} in {} slot(s)", services.worker(), topic, slots);
    }

    private void runSlot(int slot) {
        while (!stopped) {
            JobLoop loop = new JobLoop(groupConsumers.get(), watcherConsumers, topic, services);
            synchronized (this) {
                if (stopped) {
                    return;
                }
                loops.add(loop);
            }
            try {
                loop.run();
            } catch (RuntimeException e) {
                if (stopped) {
                    return;
                }
                log.error("restore job slot {} failed, starting it again in {}", slot, RESTART_BACKOFF, e);
                try {
                    Thread.sleep(RESTART_BACKOFF);
                } catch (InterruptedException interrupted) {
                    return;
                }
            } finally {
                synchronized (this) {
                    loops.remove(loop);
                }
            }
        }
    }

    @Override
    public void stop() {
        List<Thread> waitFor;
        synchronized (this) {
            stopped = true;
            loops.forEach(JobLoop::stop);
            waitFor = List.copyOf(threads);
            threads.clear();
        }
        for (Thread t : waitFor) {
            try {
                t.join(STOP_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return threads.stream().anyMatch(Thread::isAlive);
    }
}
