package io.recall.testsupport;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A real single-node Kafka cluster (combined KRaft controller and broker) inside this JVM, on a free loopback
 * port, from spring-kafka-test's {@link EmbeddedKafkaKraftBroker}.
 *
 * <p>Each broker formats a fresh temporary log directory and cannot keep its data across a restart. Starting one
 * sets the system property {@code spring.embedded.kafka.brokers} (spring-kafka-test always does).
 *
 * <p>Lifecycle: {@link #start} returns a broker owned by the caller, who must {@link #close} it; {@link #shared}
 * returns one broker for the whole JVM (1 partition per auto-created topic), started on first use and stopped by a
 * JVM shutdown hook ({@link #close} refuses it). Thread-safe.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    private static final Object SHARED_LOCK = new Object();
    private static volatile KafkaBroker shared;

    private final EmbeddedKafkaKraftBroker broker;
    private final boolean isShared;
    private boolean closed;

    private KafkaBroker(EmbeddedKafkaKraftBroker broker, boolean isShared) {
        this.broker = broker;
        this.isShared = isShared;
    }

    /**
     * Starts a new broker, owned by the caller.
     *
     * @param partitions partitions of topics the broker creates on its own (auto-created topics)
     */
    public static KafkaBroker start(int partitions) {
        return start(partitions, false);
    }

    /** The JVM-wide broker, started on first use and stopped when the JVM exits. */
    public static KafkaBroker shared() {
        KafkaBroker current = shared;
        if (current != null) {
            return current;
        }
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                KafkaBroker started = start(1, true);
                Runtime.getRuntime().addShutdownHook(new Thread(started::destroy, "recall-kafka-shutdown"));
                shared = started;
            }
            return shared;
        }
    }

    private static KafkaBroker start(int partitions, boolean isShared) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be positive: " + partitions);
        }
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, partitions);
        broker.brokerProperty("num.partitions", Integer.toString(partitions));
        broker.brokerProperty("auto.create.topics.enable", "true");
        try {
            broker.afterPropertiesSet();
        } catch (RuntimeException e) {
            try {
                broker.destroy();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new KafkaBroker(broker, isShared);
    }

    /** The {@code bootstrap.servers} value for clients, e.g. {@code 127.0.0.1:40123}. */
    public String bootstrapServers() {
        return broker.getBrokersAsString();
    }

    /**
     * Creates a topic (replication factor 1) and waits until the broker has it.
     *
     * @param configs topic configs such as {@code cleanup.policy}; may be empty
     * @throws IllegalStateException if the broker refuses, e.g. because the topic exists
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        Objects.requireNonNull(name, "name");
        NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(Map.copyOf(configs));
        broker.doWithAdmin(admin -> {
            try {
                admin.createTopics(List.of(topic)).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException("Could not create topic " + name, e.getCause());
            } catch (TimeoutException e) {
                throw new IllegalStateException("Timed out creating topic " + name, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while creating topic " + name, e);
            }
        });
    }

    /**
     * Stops the broker and deletes its data.
     *
     * @throws IllegalStateException for the {@link #shared} broker, which the JVM shutdown hook stops
     */
    @Override
    public void close() {
        if (isShared) {
            throw new IllegalStateException("The shared broker is stopped when the JVM exits, not by tests");
        }
        destroy();
    }

    private synchronized void destroy() {
        if (!closed) {
            closed = true;
            broker.destroy();
        }
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + bootstrapServers() + "]";
    }
}
