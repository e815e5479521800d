package io.recall.restore.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
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
import java.util.Optional;
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
 * The real capture pipeline for replay tests (adapted from the stream worker's own capture fixture): a Kafka broker
 * of its own, local storage in a temp directory, a stream worker in this JVM, and consumers of what it publishes.
 * Sources are registered as the coordinator does it: a {@link SourceDesiredState} on {@code recall.sources} with the
 * password encrypted.
 */
public final class CaptureHarness implements AutoCloseable {

    public static final String KEY = SecretCipher.generateKey();

    public final SecretCipher cipher = new SecretCipher(Map.of("k1", KEY), "k1");
    public final KafkaBroker kafka = KafkaBroker.start(4);
    public final Path storage;
    private final List<ConfigurableApplicationContext> workers = new ArrayList<>();
    private final KafkaConsumer<String, byte[]> changes;
    private final KafkaConsumer<String, byte[]> catalog;
    public final List<ChangeEnvelope> received = new CopyOnWriteArrayList<>();
    final List<CatalogEvent> reports = new CopyOnWriteArrayList<>();

    public CaptureHarness() {
        try {
            storage = Files.createTempDirectory("recall-replay-storage");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        changes = consumer("recall.changes");
        catalog = consumer("recall.catalog");
    }

    /** Starts a worker; extra arguments come last and win. Chunks are cut at 16 KiB, so large values get split. */
    public void startWorker(String workerId, String... extra) {
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
        workers.add(new SpringApplicationBuilder(StreamWorkerApplication.class).run(args.toArray(String[]::new)));
    }

    private KafkaConsumer<String, byte[]> consumer(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    /** Reads whatever the worker published since the last call. */
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
    public record Source(PostgresCluster pg, SourceId id, String db, String user, String password, String slot) {

        public Lsn currentWal() {
            try (Connection c = pg.connect(db);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                return Lsn.parse(rs.getString(1));
            } catch (SQLException e) {
                throw new AssertionError(e);
            }
        }
    }

    public Source createSource(PostgresCluster pg, String... ddl) {
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
        return new Source(pg, id, db, user, password, "recall_" + id.objectSuffix());
    }

    public void publish(Source s, List<String> tables, long epoch, String baseBackupRequestId) {
        publish(s, tables, List.of(), epoch, baseBackupRequestId);
    }

    /** As the coordinator does for a source registered with these table patterns. */
    public void publish(
            Source s,
            List<String> tables,
            List<io.recall.schemas.source.TablePatternSpec> patterns,
            long epoch,
            String baseBackupRequestId) {
        SourceDesiredState state = SourceDesiredState.newBuilder()
                .setSourceId(s.id().toString())
                .setName(s.db())
                .setEpoch(epoch)
                .setPaused(false)
                .setConnection(SourceConnection.newBuilder()
                        .setHost(s.pg().host())
                        .setPort(s.pg().port())
                        .setDatabase(s.db())
                        .setUser(s.user())
                        .setPasswordCiphertext(cipher.encrypt(s.password()))
                        .setOptions(Map.of("sslmode", "disable"))
                        .build())
                .setTables(tables)
                .setTablePatterns(patterns)
                .setSlotName(s.slot())
                .setPublicationName(s.slot())
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

    public void awaitState(Source s, CaptureState state) {
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

    /**
     * Waits until a heartbeat says everything below {@code lsn} is durable and received, and returns the latest
     * heartbeat: everything with commit LSN below its walEnd is in {@link #received}.
     */
    public Heartbeat awaitDurable(Source s, Lsn lsn) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> {
                    drain();
                    assertThat(lastHeartbeat(s))
                            .as("a heartbeat past %s", lsn)
                            .hasValueSatisfying(hb -> assertThat(Long.compareUnsigned(hb.getWalEnd(), lsn.value()))
                                    .isGreaterThanOrEqualTo(0));
                });
        return lastHeartbeat(s).orElseThrow();
    }

    private Optional<Heartbeat> lastHeartbeat(Source s) {
        Heartbeat last = null;
        for (ChangeEnvelope e : received) {
            if (e.getSourceId().equals(s.id().toString()) && e.getBody() instanceof Heartbeat hb) {
                last = hb;
            }
        }
        return Optional.ofNullable(last);
    }

    @Override
    public void close() {
        workers.forEach(ConfigurableApplicationContext::close);
        changes.close(Duration.ofSeconds(2));
        catalog.close(Duration.ofSeconds(2));
        kafka.close();
    }
}
