package io.recall.standalone;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Everything a standalone start runs, closed in the reverse order of starting: the coordinator, then the restore
 * worker, then the stream worker, then the embedded Kafka broker, then the embedded metadata database, so that no part loses what it depends
 * on while it is still stopping. Parts given externally (Kafka, metadata) are not owned and not stopped.
 *
 * <p>Thread-safe: one thread adds parts while starting them, and {@link #close()} may run meanwhile from another (the
 * JVM shutdown hook, when the process is stopped during start-up); a part added after that is stopped at once.
 */
final class Standalone implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Standalone.class);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final StandaloneHome home;
    private EmbeddedKafka kafka;
    private Supplier<EmbeddedKafka> kafkaRestart;
    private List<String> streamWorkerArguments = List.of();
    private List<String> restoreWorkerArguments = List.of();
    private String kafkaBootstrapServers;
    private ConfigurableApplicationContext worker;
    private ConfigurableApplicationContext restoreWorker;
    private ConfigurableApplicationContext coordinator;
    private boolean closed;

    Standalone(StandaloneHome home) {
        this.home = home;
    }

    synchronized void metadata(EmbeddedMetadata metadata) {
        own(metadata);
    }

    /**
     * Takes the embedded broker.
     *
     * @param restart starts it again with the same log directory and ports, for {@link #startKafka()}
     */
    synchronized void kafka(EmbeddedKafka embedded, Supplier<EmbeddedKafka> restart) {
        this.kafka = embedded;
        this.kafkaRestart = restart;
        // the broker in its place in the stopping order, whichever start of it is current then
        own(new AutoCloseable() {
            @Override
            public void close() {
                stopKafka();
            }

            @Override
            public String toString() {
                return "the embedded Kafka broker";
            }
        });
    }

    /**
     * Stops the embedded broker while everything else keeps running (clients retry until it is back): what the
     * correctness checker does to prove that a broker outage loses nothing. No-op if it is stopped.
     *
     * @throws IllegalStateException when Kafka is external
     */
    synchronized void stopKafka() {
        if (kafkaRestart == null) {
            throw new IllegalStateException("Kafka is external to this standalone Recall");
        }
        if (kafka != null) {
            EmbeddedKafka stopping = kafka;
            kafka = null;
            stopping.close();
        }
    }

    /** Starts the embedded broker again after {@link #stopKafka()}, on the same ports; no-op if it runs. */
    synchronized void startKafka() {
        if (closed) {
            throw new IllegalStateException("Recall standalone is shut down");
        }
        if (kafkaRestart == null) {
            throw new IllegalStateException("Kafka is external to this standalone Recall");
        }
        if (kafka == null) {
            kafka = kafkaRestart.get();
        }
    }

    /**
     * The arguments each worker context runs with, also what a worker process started elsewhere needs to join this
     * Recall (with {@code --recall.standalone.<role>=false}).
     */
    synchronized void workerArguments(List<String> streamWorker, List<String> restoreWorker) {
        this.streamWorkerArguments = List.copyOf(streamWorker);
        this.restoreWorkerArguments = List.copyOf(restoreWorker);
    }

    /** The stream worker's {@code --name=value} arguments (Kafka, storage, secrets, its configuration). */
    synchronized List<String> streamWorkerArguments() {
        return streamWorkerArguments;
    }

    /** The restore worker's {@code --name=value} arguments. */
    synchronized List<String> restoreWorkerArguments() {
        return restoreWorkerArguments;
    }

    synchronized void kafkaBootstrapServers(String bootstrapServers) {
        this.kafkaBootstrapServers = bootstrapServers;
    }

    synchronized void worker(ConfigurableApplicationContext context) {
        own(context);
        this.worker = context;
    }

    synchronized void restoreWorker(ConfigurableApplicationContext context) {
        own(context);
        this.restoreWorker = context;
    }

    synchronized void coordinator(ConfigurableApplicationContext context) {
        own(context);
        this.coordinator = context;
    }

    /** Takes a just-started part; if {@link #close()} already ran (the JVM is exiting), stops it at once instead. */
    private void own(AutoCloseable part) {
        if (closed) {
            try {
                part.close();
            } catch (Exception e) {
                log.error("failed to stop {}", part, e);
            }
            throw new IllegalStateException("Recall standalone is shutting down");
        }
        started.push(part);
    }

    StandaloneHome home() {
        return home;
    }

    /** The coordinator's context: REST API, metadata. */
    ConfigurableApplicationContext coordinator() {
        return coordinator;
    }

    /** The stream worker's context: capture (no web server); null when it runs elsewhere. */
    ConfigurableApplicationContext worker() {
        return worker;
    }

    /** The restore worker's context: restore jobs (no web server); null when it runs elsewhere. */
    ConfigurableApplicationContext restoreWorker() {
        return restoreWorker;
    }

    /**
     * The embedded broker, empty when {@code spring.kafka.bootstrap-servers} named an external one (or while it is
     * stopped by {@link #stopKafka()}).
     */
    synchronized Optional<EmbeddedKafka> embeddedKafka() {
        return Optional.ofNullable(kafka);
    }

    /** What both contexts use as {@code spring.kafka.bootstrap-servers}. */
    String kafkaBootstrapServers() {
        return kafkaBootstrapServers;
    }

    /** Stops every started part, last started first; a failure to stop one does not keep the others running. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        while (!started.isEmpty()) {
            AutoCloseable part = started.pop();
            try {
                part.close();
            } catch (Exception e) {
                log.error("failed to stop {}", part, e);
                if (failure == null) {
                    failure = new IllegalStateException("Recall standalone did not stop cleanly", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
