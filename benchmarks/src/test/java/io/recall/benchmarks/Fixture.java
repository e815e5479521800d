package io.recall.benchmarks;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageSettings;
import io.recall.schemas.RecallTopics;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.source.SourceConnection;
import io.recall.schemas.source.SourceDesiredState;
import io.recall.testsupport.KafkaBroker;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import io.recall.worker.StreamWorkerApplication;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Everything the suite's figures share: one PostgreSQL cluster of its own (the sources and every target), one Kafka
 * broker in this JVM, local storage, and the means to run Recall's capture worker — in this JVM to set sources up,
 * or as a JVM of its own for a measured run. Sources are registered as the coordinator does it: their desired state
 * on a sources topic, password encrypted. Each measured worker gets a topic prefix of its own, so it sees exactly
 * one source. Not thread-safe.
 */
final class Fixture implements AutoCloseable {

    static final String KEY = SecretCipher.generateKey();

    final Settings settings;
    final PostgresCluster pg;
    final KafkaBroker kafka;
    final Path storage;
    final Path logs;
    final BlobStore store;
    private final SecretCipher cipher = new SecretCipher(Map.of("k1", KEY), "k1");
    private final KafkaProducer<String, byte[]> producer;
    private final Admin admin;
    /** The capture worker's AOT cache, or null when worker processes start without one. */
    private final Path workerAotCache;

    /** A database written by a role of its own with REPLICATION, as on a managed service. */
    record Db(String name, String user, String password) {}

    /** One registration of a database with Recall: its own id, slot and publication. */
    record Source(Db db, SourceId id, String slot, String publication, List<String> tables) {}

    Fixture(Settings settings) throws IOException {
        this.settings = settings;
        pg = PostgresCluster.start(
                PgVersion.SYSTEM,
                Map.of(
                        "max_replication_slots", "64",
                        "max_wal_senders", "64",
                        "shared_buffers", "256MB",
                        "max_wal_size", "4GB",
                        "checkpoint_timeout", "30min"));
        kafka = KafkaBroker.start(4);
        storage = Files.createTempDirectory("recall-bench-storage");
        logs = settings.output().resolve("logs");
        Files.createDirectories(logs);
        store = BlobStores.open(StorageSettings.local(storage));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        admin = Admin.create(a);
        // trained before anything is timed, as the image has it before the worker starts; only capture and RPO start
        // worker processes
        workerAotCache = settings.workerAot() && (settings.runs("capture") || settings.runs("rpo"))
                ? trainWorkerAotCache()
                : null;
    }

    Db createDb(String prefix) {
        String user = prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
        String password = "pw-" + UUID.randomUUID();
        pg.createRole(user, password, "LOGIN REPLICATION");
        String db = pg.createDatabase(prefix);
        pg.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        return new Db(db, user, password);
    }

    /** Runs statements as the database's own role. */
    void sql(Db db, String... statements) {
        List<String> all = new ArrayList<>();
        all.add("SET ROLE " + db.user());
        all.addAll(List.of(statements));
        pg.execute(db.name(), all.toArray(String[]::new));
    }

    Source newSource(Db db, List<String> tables) {
        SourceId id = SourceId.random();
        String name = "recall_" + id.objectSuffix();
        return new Source(db, id, name, name, tables);
    }

    /** Creates Recall's topics under {@code prefix} (as the workers would), with {@code changesConfig} added. */
    void createTopics(String prefix, Map<String, String> changesConfig) throws Exception {
        RecallTopics topics = new RecallTopics(prefix, 4, 4, (short) 1);
        List<NewTopic> defs = new ArrayList<>();
        for (NewTopic t : topics.definitions()) {
            if (t.name().equals(topics.changes())) {
                Map<String, String> configs = new java.util.HashMap<>(t.configs());
                configs.putAll(changesConfig);
                t = new NewTopic(t.name(), t.numPartitions(), t.replicationFactor()).configs(configs);
            }
            defs.add(t);
        }
        defs.add(topics.sinkControlDefinition());
        admin.createTopics(defs).all().get();
    }

    void publish(String prefix, Source s) throws Exception {
        SourceDesiredState state = SourceDesiredState.newBuilder()
                .setSourceId(s.id().toString())
                .setName(s.db().name())
                .setEpoch(1)
                .setPaused(false)
                .setConnection(SourceConnection.newBuilder()
                        .setHost(pg.host())
                        .setPort(pg.port())
                        .setDatabase(s.db().name())
                        .setUser(s.db().user())
                        .setPasswordCiphertext(cipher.encrypt(s.db().password()))
                        .setOptions(Map.of("sslmode", "disable"))
                        .build())
                .setTables(s.tables())
                .setTablePatterns(List.of())
                .setSlotName(s.slot())
                .setPublicationName(s.publication())
                .build();
        ByteBuffer b = state.toByteBuffer();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        producer.send(new ProducerRecord<>(prefix + "sources", s.id().toString(), bytes))
                .get();
    }

    private List<String> workerArgs(String prefix, String workerId) {
        return new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--recall.secrets.keys.k1=" + KEY,
                "--recall.secrets.active-key-id=k1",
                "--recall.storage.type=local",
                "--recall.storage.local-root=" + storage,
                "--recall.topics.prefix=" + prefix,
                "--recall.topics.sources-partitions=4",
                "--recall.topics.changes-partitions=4",
                // the capture role alone: the sink is not part of any capture figure
                "--recall.sink.enabled=false",
                "--server.port=0",
                "--recall.worker-id=" + workerId));
    }

    /**
     * Waits until a capture worker owns the partitions of the sources topic under {@code prefix} (it has joined the
     * consumer group), so that a registration timed after this does not include the worker's own start.
     */
    void awaitCaptureAssignment(String prefix) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            var group = admin.describeConsumerGroups(List.of("recall-capture"))
                    .all()
                    .get()
                    .get("recall-capture");
            boolean assigned = group.members().stream()
                    .flatMap(m -> m.assignment().topicPartitions().stream())
                    .anyMatch(tp -> tp.topic().equals(prefix + "sources"));
            if (assigned) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no capture worker took " + prefix + "sources within 2 minutes");
    }

    /** A capture worker in this JVM, for setting sources up (base backups); closing it releases their slots. */
    ConfigurableApplicationContext startInProcessWorker(String prefix) {
        List<String> args = workerArgs(prefix, "bench-setup");
        args.add("--recall.capture.status-interval=1s");
        return new SpringApplicationBuilder(StreamWorkerApplication.class).run(args.toArray(String[]::new));
    }

    /**
     * A capture worker in a JVM of its own, as it runs in production (default settings, the sink off), with
     * {@link Settings#workerHeap()}; its output goes to a log file under {@link #logs}.
     */
    Process startWorkerProcess(String prefix, String name) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                javaBinary(),
                "-Xmx" + settings.workerHeap(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.recall.schemas",
                "-cp",
                workerClasspath(),
                StreamWorkerApplication.class.getName()));
        if (workerAotCache != null) {
            command.add(1, "-XX:AOTCache=" + workerAotCache);
        }
        command.addAll(1, settings.workerOptions());
        command.addAll(1, settings.jvmOptions());
        command.addAll(workerArgs(prefix, name));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile())
                .start();
    }

    /** CPU seconds (user + system) a process has used so far, from /proc; 0 when it is gone. */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the fields after the command name, which is in parentheses and may hold spaces
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private String workerClasspath() throws IOException {
        return Files.readString(settings.workerClasspath()).strip();
    }

    /**
     * Trains the capture worker's AOT cache the way its image does at build time: with the image's own script,
     * {@code docker/recall-aot-train}, on the worker's class path (a run that starts the Spring context and exits
     * before connecting anywhere).
     */
    private Path trainWorkerAotCache() throws IOException {
        Path cache = logs.resolveSibling("stream-worker.aot");
        Files.deleteIfExists(cache);
        Path script = Path.of(System.getProperty("bench.repository.root", ".."), "docker", "recall-aot-train");
        ProcessBuilder pb = new ProcessBuilder(
                        script.toString(),
                        cache.toString(),
                        "-cp",
                        workerClasspath(),
                        StreamWorkerApplication.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve("aot-training.log").toFile());
        pb.environment().remove("JAVA_OPTS");
        pb.environment().put("PATH", Path.of(javaBinary()).getParent() + ":" + System.getenv("PATH"));
        try {
            Process p = pb.start();
            if (p.waitFor() != 0 || !Files.isRegularFile(cache)) {
                throw new IllegalStateException(
                        "AOT training failed (exit " + p.exitValue() + "): see " + logs.resolve("aot-training.log"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while training the AOT cache", e);
        }
        return cache;
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Stops a process (SIGTERM, then SIGKILL after 30 s) and waits for it. */
    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    // ------------------------------------------------------------------ source-side probes

    Lsn currentWal(Db db) throws SQLException {
        try (Connection c = pg.connect(db.name());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    void createSlot(Db db, String slot) {
        pg.execute(db.name(), "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
    }

    void dropSlots(Db db) {
        pg.execute(
                db.name(),
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active AND database = '"
                        + db.name() + "'");
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pg.execute(
                db.name(),
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active AND database = '"
                        + db.name() + "'");
    }

    /** Polls a slot on one connection: whether a walsender holds it, and how far it is confirmed. */
    final class SlotWatch implements AutoCloseable {

        private final Connection c;
        private final PreparedStatement ps;
        private final String slot;

        SlotWatch(Db db, String slot) throws SQLException {
            this.slot = slot;
            c = pg.connect(db.name());
            ps = c.prepareStatement("SELECT active_pid IS NOT NULL, confirmed_flush_lsn::text FROM pg_replication_slots"
                    + " WHERE slot_name = ?");
            ps.setString(1, slot);
        }

        private boolean active() throws SQLException {
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }

        private Lsn confirmed() throws SQLException {
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(2) != null ? Lsn.parse(rs.getString(2)) : Lsn.INVALID;
            }
        }

        /** The walsender streaming the slot, or 0. */
        long activePid() throws SQLException {
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = ?")) {
                q.setString(1, slot);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0;
                }
            }
        }

        /** Waits until a walsender streams the slot; returns {@link System#nanoTime()} then. */
        long awaitActive(Process p, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!active()) {
                if (p != null && !p.isAlive()) {
                    throw new IllegalStateException("the process ended before streaming its slot");
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("nobody streamed the slot within " + timeout);
                }
                Thread.sleep(5);
            }
            return System.nanoTime();
        }

        /** Waits until the slot is confirmed at or past {@code lsn}; returns {@link System#nanoTime()} then. */
        long awaitConfirmed(Lsn lsn, Process p, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (confirmed().compareTo(lsn) < 0) {
                if (p != null && !p.isAlive()) {
                    throw new IllegalStateException("the process ended before confirming " + lsn);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the slot was not confirmed past " + lsn + " within " + timeout);
                }
                Thread.sleep(10);
            }
            return System.nanoTime();
        }

        @Override
        public void close() throws SQLException {
            c.close();
        }
    }

    // ------------------------------------------------------------------ reading what capture published

    /**
     * Reads the changes topic under {@code prefix} from the start until a heartbeat of {@code source}, or the end of
     * a transaction, at or past {@code end}: by then every change below {@code end} has been read. Each record is handed over with its
     * broker timestamp.
     */
    void readChanges(String prefix, SourceId source, Lsn end, Consumer<Timestamped> sink) throws IOException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(64 << 20));
        try (KafkaConsumer<String, byte[]> c =
                new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(prefix + "changes").stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (!r.key().equals(source.toString())) {
                        continue;
                    }
                    ChangeEnvelope e = ChangeEnvelope.fromByteBuffer(ByteBuffer.wrap(r.value()));
                    sink.accept(new Timestamped(e, r.timestamp()));
                    if (e.getBody() instanceof Heartbeat hb && Long.compareUnsigned(hb.getWalEnd(), end.value()) >= 0) {
                        return;
                    }
                    if (e.getBody() instanceof TransactionChunk tc
                            && tc.getLastChunk()
                            && Long.compareUnsigned(tc.getEndLsn(), end.value()) >= 0) {
                        return;
                    }
                }
            }
            throw new IllegalStateException("no heartbeat past " + end + " on " + prefix + "changes");
        }
    }

    record Timestamped(ChangeEnvelope envelope, long timestamp) {}

    /** Topic config of the RPO run: the broker stamps each record when it appends it. */
    static Map<String, String> logAppendTime() {
        return Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
    }

    @Override
    public void close() {
        admin.close();
        producer.close();
        store.close();
        kafka.close();
        pg.close();
    }
}
