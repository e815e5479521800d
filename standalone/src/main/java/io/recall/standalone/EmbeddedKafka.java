package io.recall.standalone;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.properties.MetaProperties;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.properties.PropertiesUtils;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka broker of standalone mode: Kafka's own KRaft server ({@link KafkaRaftServer}, what {@code kafka.Kafka}
 * runs) as one combined broker and controller in this JVM, listening on loopback only, its log in
 * {@code <data>/kafka}.
 *
 * <p>The log directory is formatted once, on first start, as {@code kafka-storage.sh format} does it: into a sibling
 * directory that is renamed into place when complete, so {@code <data>/kafka} exists only fully formatted. Every later
 * start reuses it, with its cluster id (in its {@code meta.properties}) and every record; an existing directory is
 * never formatted again. The two ports are kept in {@code <data>/kafka-listeners.properties} so that the bootstrap
 * address stays the same across restarts.
 *
 * <p>The broker has no replica, so it flushes every write to disk before acknowledging it ({@code
 * log.flush.interval.messages=1}): an acknowledged change survives a crash of the host, not only of this process,
 * which is what the capture worker's slot confirmation relies on. Topics are never created implicitly: Recall creates
 * its own with their partition counts and cleanup policies, and an implicitly created {@code recall.sources} would
 * be neither compacted nor partitioned as the capture workers expect.
 *
 * <p>Not thread-safe: start once, close once, from one thread.
 */
final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    static final String LOG_DIRECTORY = "kafka";
    static final String LISTENERS_FILE = "kafka-listeners.properties";
    static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String HOST = "127.0.0.1";

    /** Loggers of the broker and controller (not of Kafka clients), quiet unless asked otherwise: they are chatty. */
    static final List<String> SERVER_LOGGERS = List.of(
            "kafka",
            "state.change.logger",
            "org.apache.kafka.controller",
            "org.apache.kafka.coordinator",
            "org.apache.kafka.image",
            "org.apache.kafka.metadata",
            "org.apache.kafka.queue",
            "org.apache.kafka.raft",
            "org.apache.kafka.server",
            "org.apache.kafka.snapshot",
            "org.apache.kafka.storage");

    /**
     * Where the broker listens on 127.0.0.1.
     *
     * @param port the client listener (PLAINTEXT); 0 = not chosen
     * @param controllerPort the KRaft controller listener; 0 = not chosen
     */
    record Listeners(int port, int controllerPort) {

        Listeners {
            if (port < 0 || port > 65535 || controllerPort < 0 || controllerPort > 65535) {
                throw new IllegalArgumentException(
                        "recall.kafka.port and recall.kafka.controller-port must be between 0 and 65535");
            }
        }
    }

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final String clusterId;
    private final Path logDirectory;
    private boolean closed;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, String clusterId, Path logDirectory) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.clusterId = clusterId;
        this.logDirectory = logDirectory;
    }

    /**
     * Formats {@code <home>/kafka} if it does not exist yet, then starts the broker and returns once it serves
     * clients.
     *
     * @param home the standalone data directory
     * @param requested ports asked for on the command line; a 0 keeps the port of the previous start (or picks a free
     *     one on the first)
     * @param overrides broker settings that replace the defaults below ({@code --recall.kafka.config.<name>=<value>})
     */
    static EmbeddedKafka start(Path home, Listeners requested, Map<String, String> overrides) {
        Path logDirectory = home.resolve(LOG_DIRECTORY).toAbsolutePath().normalize();
        Listeners listeners = listeners(home.resolve(LISTENERS_FILE), requested);
        KafkaConfig config = new KafkaConfig(serverProperties(logDirectory, listeners, overrides), false);
        try {
            if (!Files.exists(logDirectory)) {
                format(logDirectory);
            }
            String clusterId = clusterId(logDirectory);
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                server.startup();
            } catch (RuntimeException e) {
                try {
                    server.shutdown();
                    server.awaitShutdown();
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw new IllegalStateException(
                        "cannot start the embedded Kafka broker (log in " + logDirectory
                                + ", listening on " + HOST + ":" + listeners.port() + " and " + HOST + ":"
                                + listeners.controllerPort() + ")",
                        e);
            }
            String bootstrap = HOST + ":" + listeners.port();
            log.info("Kafka: embedded KRaft broker at {}, cluster {}, log in {}", bootstrap, clusterId, logDirectory);
            return new EmbeddedKafka(server, bootstrap, clusterId, logDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the Kafka log directory " + logDirectory, e);
        }
    }

    static Map<String, String> serverProperties(Path logDirectory, Listeners listeners, Map<String, String> overrides) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + listeners.controllerPort());
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put(
                "listeners",
                "PLAINTEXT://" + HOST + ":" + listeners.port() + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
                        + listeners.controllerPort());
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + listeners.port());
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDirectory.toString());
        // one broker: every internal topic has one replica
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        // no replica to fall back on: acknowledge a write only once it is on disk
        p.put("log.flush.interval.messages", "1");
        p.put("auto.create.topics.enable", "false");
        // every consumer group here has its members in this JVM: waiting for more to join only delays start-up
        p.put("group.initial.rebalance.delay.ms", "0");
        p.putAll(overrides);
        return p;
    }

    /**
     * Formats a new log directory with a new cluster id, as {@code kafka-storage.sh format} does for a node whose
     * configuration is {@link #serverProperties}: Kafka's {@link Formatter} writes {@code meta.properties} and the
     * bootstrap metadata (latest production metadata version, static quorum of this one controller).
     */
    private static void format(Path logDirectory) throws IOException {
        Path staging = logDirectory.resolveSibling(logDirectory.getFileName() + ".formatting");
        deleteRecursively(staging);
        String clusterId = Uuid.randomUuid().toString();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream printed = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            new Formatter()
                    .setPrintStream(printed)
                    .setNodeId(NODE_ID)
                    .setClusterId(clusterId)
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .addDirectory(staging.toString())
                    .setMetadataLogDirectory(staging.toString())
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException(
                    "cannot format the Kafka log directory " + staging + ": " + e.getMessage(), e);
        }
        log.debug(
                "Kafka storage formatter: {}",
                out.toString(StandardCharsets.UTF_8).strip());
        Files.move(staging, logDirectory, StandardCopyOption.ATOMIC_MOVE);
        log.info("Kafka: formatted {} for the new cluster {}", logDirectory, clusterId);
    }

    private static String clusterId(Path logDirectory) throws IOException {
        Path meta = logDirectory.resolve(MetaPropertiesEnsemble.META_PROPERTIES_NAME);
        if (!Files.isRegularFile(meta)) {
            throw new IllegalStateException(logDirectory + " exists but is not a formatted Kafka log directory (no "
                    + meta.getFileName() + "); move it away to have a new one formatted");
        }
        return new MetaProperties.Builder(PropertiesUtils.readPropertiesFile(meta.toString()))
                .build()
                .clusterId()
                .orElseThrow(() -> new IllegalStateException(meta + " has no cluster.id"));
    }

    /**
     * The ports to listen on: those asked for, else those of the previous start, else free ones; written back so that
     * the next start uses them again. A port that another process holds fails here, naming the setting to change.
     */
    static Listeners listeners(Path file, Listeners requested) {
        try {
            Properties kept = new Properties();
            if (Files.exists(file)) {
                try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    kept.load(in);
                }
            }
            int keptPort = keptPort(kept, "port", file);
            int keptControllerPort = keptPort(kept, "controller.port", file);
            int port = requested.port() != 0 ? requested.port() : keptPort;
            int controllerPort = requested.controllerPort() != 0 ? requested.controllerPort() : keptControllerPort;
            if (port != 0) {
                requireFree(port, "recall.kafka.port");
            }
            if (controllerPort != 0) {
                requireFree(controllerPort, "recall.kafka.controller-port");
            }
            if (port == 0) {
                port = freePortOtherThan(controllerPort);
            }
            if (controllerPort == 0) {
                controllerPort = freePortOtherThan(port);
            }
            if (port == controllerPort) {
                throw new IllegalStateException(
                        "recall.kafka.port and recall.kafka.controller-port must differ, both are " + port);
            }
            if (port != keptPort || controllerPort != keptControllerPort) {
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.writeString(
                        tmp,
                        "# Written by Recall standalone: the embedded Kafka broker's loopback ports, reused at every"
                                + " start.\n# Change them with --recall.kafka.port=N and"
                                + " --recall.kafka.controller-port=N.\nport=" + port + "\ncontroller.port="
                                + controllerPort + "\n",
                        StandardCharsets.UTF_8);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return new Listeners(port, controllerPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file, e);
        }
    }

    private static int keptPort(Properties kept, String name, Path file) {
        String value = kept.getProperty(name);
        if (value == null) {
            return 0;
        }
        try {
            int port = Integer.parseInt(value.strip());
            if (port > 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException(
                file + ": " + name + "=" + value + " is not a port; correct it, or delete the line to have one chosen");
    }

    private static void requireFree(int port, String setting) {
        try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            // bound: free (server sockets reuse addresses, so our own previous run's TIME_WAIT does not count)
        } catch (IOException e) {
            throw new IllegalStateException(
                    "the embedded Kafka broker cannot listen on " + HOST + ":" + port + " (" + e.getMessage()
                            + "): stop what holds it, or start with --" + setting + "=<another port>",
                    e);
        }
    }

    private static int freePortOtherThan(int taken) throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                if (s.getLocalPort() != taken) {
                    return s.getLocalPort();
                }
            }
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    String clusterId() {
        return clusterId;
    }

    Path logDirectory() {
        return logDirectory;
    }

    /** Stops the broker (controlled shutdown: logs are closed cleanly, so the next start needs no recovery). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        log.info("Kafka: embedded broker stopped");
    }
}
