package io.recall.worker.sink;

import io.recall.common.SourceId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the sink with the application: one platform thread that runs {@link SinkLoop}s, starting a new one (new
 * consumers, nothing carried over but the seal requests) after a run fails. Stopping it does not seal anything: the
 * open segments' records are read again from the committed offsets by the next owner of their partitions.
 *
 * <p>Thread-safe: {@link #requestSeal} may be called from any thread.
 */
final class SinkRunner implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SinkRunner.class);

    /** How long {@link #stop()} waits for the loop to finish before interrupting it (an upload in progress). */
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);

    private final Function<Context, SinkLoop> factory;
    private final Path spoolRoot;
    private final Duration restartBackoff;
    private final Queue<SourceId> sealRequests = new ConcurrentLinkedQueue<>();
    private final SinkStatus status = new SinkStatus();

    private volatile boolean stopped;
    private volatile SinkLoop loop;
    private Thread thread;
    private Path spoolDir;

    /** What each run is built from. */
    record Context(Path spoolDir, Queue<SourceId> sealRequests, SinkStatus status) {}

    SinkRunner(Function<Context, SinkLoop> factory, Path spoolRoot, Duration restartBackoff) {
        this.factory = factory;
        this.spoolRoot = spoolRoot;
        this.restartBackoff = restartBackoff;
    }

    /**
     * Asks for the source's open segment to be sealed at its next transaction boundary, then stored and announced.
     * Does nothing for a source that has nothing open on this sink.
     */
    void requestSeal(SourceId source) {
        sealRequests.add(Objects.requireNonNull(source, "source"));
    }

    SinkStatus status() {
        return status;
    }

    @Override
    public synchronized void start() {
        stopped = false;
        try {
            Files.createDirectories(spoolRoot);
            spoolDir = Files.createTempDirectory(spoolRoot, "run-");
        } catch (IOException e) {
            throw new UncheckedIOException("recall.sink.spool-dir " + spoolRoot + " is not writable", e);
        }
        SinkLoop first = factory.apply(new Context(spoolDir, sealRequests, status));
        first.prepare();
        loop = first;
        thread = Thread.ofPlatform().name("sink").start(() -> runLoops(first));
        log.info("sink started, spooling to {}", spoolDir);
    }

    private void runLoops(SinkLoop first) {
        SinkLoop current = first;
        while (!stopped) {
            try {
                if (current == null) {
                    current = factory.apply(new Context(spoolDir, sealRequests, status));
                    loop = current;
                    if (stopped) {
                        current.stop();
                    }
                }
                current.run();
            } catch (RuntimeException e) {
                if (stopped) {
                    break;
                }
                log.error("sink run failed, starting again from the committed offsets in {}", restartBackoff, e);
                try {
                    Thread.sleep(restartBackoff);
                } catch (InterruptedException interrupted) {
                    break;
                }
            }
            current = null;
        }
    }

    @Override
    public synchronized void stop() {
        stopped = true;
        SinkLoop current = loop;
        if (current != null) {
            current.stop();
        }
        if (thread != null) {
            try {
                thread.join(STOP_WAIT);
                if (thread.isAlive()) {
                    log.warn("sink did not stop within {}, interrupting it", STOP_WAIT);
                    thread.interrupt();
                    thread.join(STOP_WAIT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deleteSpool();
    }

    @Override
    public boolean isRunning() {
        return thread != null && thread.isAlive();
    }

    private void deleteSpool() {
        if (spoolDir == null || !Files.exists(spoolDir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(spoolDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    log.warn("could not delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("could not delete the spool {}: {}", spoolDir, e.toString());
        }
    }
}
