package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.source.SourceConnection;
import io.recall.schemas.source.SourceDesiredState;
import io.recall.testsupport.KafkaBroker;
import io.recall.testsupport.PostgresCluster;
import io.recall.worker.StreamWorkerApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Test fixture for capture: a broker of its own, local storage in a temp directory, stream workers (in this JVM or
 * as child processes), and consumers of what they publish. Sources are registered the way the coordinator does it:
 * a {@link SourceDesiredState} on {@code recall.sources} with the password encrypted.
 */
final class CaptureHarness implements AutoCloseable {

    static final String KEY = SecretCipher.generateKey();

    final SecretCipher cipher = new SecretCipher(Map.of("k1", KEY), "k1");
    final KafkaBroker kafka = KafkaBroker.start(4);
    final Path storage;
    final List<ConfigurableApplicationContext> workers = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();
    private final KafkaConsumer<String, byte[]> changes;
    private final KafkaConsumer<String, byte[]> catalog;
    final List<ChangeEnvelope> received = new CopyOnWriteArrayList<>();
    final List<CatalogEvent> reports = new CopyOnWriteArrayList<>();
    private final List<Source> created = new CopyOnWriteArrayList<>();

    CaptureHarness() {
        try {
            storage = Files.createTempDirectory("recall-capture-storage");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        changes = consumer("recall.changes");
        catalog = consumer("recall.catalog");
    }

    /** The worker's arguments; extra ones are appended (later ones win for the same name). */
    List<String> workerArgs(String workerId, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--recall.secrets.keys.k1=" + KEY,
                "--recall.secrets.active-key-id=k1",
                "--recall.storage.type=local",
                "--recall.storage.local-root=" + storage,
                "--recall.topics.sources-partitions=4",
                "--recall.topics.changes-partitions=4",
                "--recall.capture.max-chunk-bytes=16384",
                "--recall.capture.status-interval=1s",
                "--recall.capture.heartbeat-interval=1s",
                "--recall.capture.sequence-interval=2s",
                "--recall.capture.slot-retry=1s",
                "--spring.kafka.consumer.properties.session.timeout.ms=6000",
                "--spring.kafka.consumer.properties.heartbeat.interval.ms=1000",
                "--server.port=0",
                "--recall.worker-id=" + workerId));
        args.addAll(List.of(extra));
        return args;
    }

    ConfigurableApplicationContext startWorker(String workerId, String... extra) {
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(StreamWorkerApplication.class)
                .run(workerArgs(workerId, extra).toArray(String[]::new));
        workers.add(ctx);
        return ctx;
    }

    /** A worker in a child JVM, so that a test can kill it hard (SIGKILL), as a crash would. */
    Process startWorkerProcess(String workerId, Path log, String... jvmOptions) throws IOException {
        return startWorkerProcess(workerId, log, System.getProperty("java.class.path"), jvmOptions);
    }

    /** A worker in a child JVM on {@code classpath} (e.g. the stream worker's runtime class path alone). */
    Process startWorkerProcess(String workerId, Path log, String classpath, String... jvmOptions) throws IOException {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of(
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.recall.schemas",
                "-cp",
                classpath,
                StreamWorkerApplication.class.getName()));
        command.addAll(workerArgs(workerId));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        processes.add(p);
        return p;
    }

    private KafkaConsumer<String, byte[]> consumer(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    /** Reads whatever the workers published since the last call. */
    synchronized void drain() {
        for (ConsumerRecord<String, byte[]> r : changes.poll(Duration.ofMillis(200))) {
            try {
                received.add(ChangeEnvelope.fromByteBuffer(ByteBuffer.wrap(r.value())));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        for (ConsumerRecord<String, byte[]> r : catalog.poll(Duration.ofMillis(200))) {
            try {
                reports.add(CatalogEvent.fromByteBuffer(ByteBuffer.wrap(r.value())));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** A source database owned by a fresh REPLICATION role, as on a managed service. */
    record Source(
            PostgresCluster pg, SourceId id, String db, String user, String password, String slot, String publication) {

        void sql(String... statements) {
            pg.execute(db, statements);
        }

        Lsn lsn(String query) {
            try (Connection c = pg.connect(db);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(query)) {
                rs.next();
                String v = rs.getString(1);
                return v == null ? Lsn.INVALID : Lsn.parse(v);
            } catch (SQLException e) {
                throw new AssertionError(e);
            }
        }

        Lsn currentWal() {
            return lsn("SELECT pg_current_wal_lsn()::text");
        }

        Lsn confirmedFlush() {
            return lsn("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
        }
    }

    Source createSource(PostgresCluster pg, String... ddl) {
        SourceId id = SourceId.random();
        String user = "cap_" + id.objectSuffix();
        String password = "pw-" + UUID.randomUUID();
        pg.createRole(user, password, "LOGIN REPLICATION");
        String db = pg.createDatabase("cap");
        pg.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        List<String> all = new ArrayList<>();
        all.add("SET ROLE " + user);
        all.addAll(List.of(ddl));
        pg.execute(db, all.toArray(String[]::new));
        Source source =
                new Source(pg, id, db, user, password, "recall_" + id.objectSuffix(), "recall_" + id.objectSuffix());
        created.add(source);
        return source;
    }

    void publish(Source s, List<String> tables, long epoch, boolean paused) {
        publish(s, tables, epoch, paused, null);
    }

    void publish(Source s, List<String> tables, long epoch, boolean paused, String baseBackupRequestId) {
        SourceDesiredState state = SourceDesiredState.newBuilder()
                .setSourceId(s.id().toString())
                .setName(s.db())
                .setEpoch(epoch)
                .setPaused(paused)
                .setConnection(SourceConnection.newBuilder()
                        .setHost(s.pg().host())
                        .setPort(s.pg().port())
                        .setDatabase(s.db())
                        .setUser(s.user())
                        .setPasswordCiphertext(cipher.encrypt(s.password()))
                        .setOptions(Map.of("sslmode", "disable"))
                        .build())
                .setTables(tables)
                .setSlotName(s.slot())
                .setPublicationName(s.publication())
                .setBaseBackupRequestId(baseBackupRequestId)
                .build();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            ByteBuffer b = state.toByteBuffer();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            producer.send(new ProducerRecord<>("recall.sources", s.id().toString(), bytes))
                    .get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    List<TransactionChunk> chunks(Source s) {
        return received.stream()
                .filter(e -> e.getSourceId().equals(s.id().toString()))
                .filter(e -> e.getBody() instanceof TransactionChunk)
                .map(e -> (TransactionChunk) e.getBody())
                .toList();
    }

    List<Object> catalogBodies(Source s) {
        return reports.stream()
                .filter(r -> r.getSourceId().equals(s.id().toString()))
                .map(CatalogEvent::getBody)
                .toList();
    }

    void awaitState(Source s, CaptureState state) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    drain();
                    assertThat(catalogBodies(s).stream()
                                    .anyMatch(b -> b instanceof SourceStatusReport st && st.getState() == state))
                            .as("%s reported %s", s.db(), state)
                            .isTrue();
                });
    }

    @Override
    public void close() {
        processes.forEach(Process::destroyForcibly);
        workers.forEach(ConfigurableApplicationContext::close);
        // slots retain WAL and count against the shared cluster's max_replication_slots: drop what the test made
        for (Source s : created) {
            try {
                s.pg().execute(
                                s.db(),
                                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active AND slot_name LIKE '"
                                        + s.slot() + "%'",
                                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active AND"
                                        + " slot_name = '" + s.slot() + "'");
            } catch (RuntimeException e) {
                // a stopped cluster (fault tests) or a slot already gone: nothing to clean up
            }
        }
        changes.close(Duration.ofSeconds(2));
        catalog.close(Duration.ofSeconds(2));
        kafka.close();
    }
}
