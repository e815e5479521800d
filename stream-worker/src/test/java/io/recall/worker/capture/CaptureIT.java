package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import io.recall.schemas.source.SourceConnection;
import io.recall.schemas.source.SourceDesiredState;
import io.recall.testsupport.KafkaBroker;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import io.recall.worker.StreamWorkerApplication;
import io.recall.worker.backup.BaseBackupManifest;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real stream worker against a real PostgreSQL and a real Kafka broker: registration arrives on
 * {@code recall.sources}, the worker creates the publication and slot, takes the base backup, and streams.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureIT {

    static final String KEY = SecretCipher.generateKey();
    final SecretCipher cipher = new SecretCipher(Map.of("k1", KEY), "k1");
    final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    KafkaBroker kafka;
    ConfigurableApplicationContext worker;
    KafkaConsumer<String, byte[]> changes;
    KafkaConsumer<String, byte[]> catalog;
    final List<ChangeEnvelope> received = new CopyOnWriteArrayList<>();
    final List<CatalogEvent> reports = new CopyOnWriteArrayList<>();

    @TempDir
    static Path storage;

    @BeforeAll
    void start() {
        kafka = KafkaBroker.start(4);
        worker = new SpringApplicationBuilder(StreamWorkerApplication.class)
                .run(
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
                        "--recall.worker-id=it-worker");
        changes = consumer("recall.changes");
        catalog = consumer("recall.catalog");
    }

    @AfterAll
    void stop() {
        if (worker != null) {
            worker.close();
        }
        if (changes != null) {
            changes.close();
            catalog.close();
        }
        if (kafka != null) {
            kafka.close();
        }
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

    private void drain() {
        for (ConsumerRecord<String, byte[]> r : changes.poll(Duration.ofMillis(200))) {
            try {
                received.add(ChangeEnvelope.fromByteBuffer(ByteBuffer.wrap(r.value())));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
        for (ConsumerRecord<String, byte[]> r : catalog.poll(Duration.ofMillis(200))) {
            try {
                reports.add(CatalogEvent.fromByteBuffer(ByteBuffer.wrap(r.value())));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    record Source(SourceId id, String db, String user, String password, String slot, String publication) {}

    private Source register(String... ddl) {
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
        return new Source(id, db, user, password, "recall_" + id.objectSuffix(), "recall_" + id.objectSuffix());
    }

    private void publish(Source s, List<String> tables, long epoch) {
        SourceDesiredState state = SourceDesiredState.newBuilder()
                .setSourceId(s.id().toString())
                .setName(s.db())
                .setEpoch(epoch)
                .setPaused(false)
                .setConnection(SourceConnection.newBuilder()
                        .setHost(pg.host())
                        .setPort(pg.port())
                        .setDatabase(s.db())
                        .setUser(s.user())
                        .setPasswordCiphertext(cipher.encrypt(s.password()))
                        .setOptions(Map.of("sslmode", "disable"))
                        .build())
                .setTables(tables)
                .setSlotName(s.slot())
                .setPublicationName(s.publication())
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

    private List<TransactionChunk> chunks(Source s) {
        return received.stream()
                .filter(e -> e.getSourceId().equals(s.id().toString()))
                .filter(e -> e.getBody() instanceof TransactionChunk)
                .map(e -> (TransactionChunk) e.getBody())
                .toList();
    }

    private Lsn sqlLsn(Source s, String query) {
        try (Connection c = pg.connect(s.db());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(query)) {
            rs.next();
            String v = rs.getString(1);
            return v == null ? Lsn.INVALID : Lsn.parse(v);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    private Lsn confirmedFlush(Source s) {
        return sqlLsn(
                s, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + s.slot() + "'");
    }

    private void awaitStreaming(Source s) {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    drain();
                    assertThat(reports.stream()
                                    .filter(r -> r.getSourceId().equals(s.id().toString()))
                                    .anyMatch(r -> r.getBody() instanceof SourceStatusReport st
                                            && st.getState() == io.recall.schemas.catalog.CaptureState.STREAMING))
                            .isTrue();
                });
    }

    @Test
    void capturesChangesInCommitOrderWithBaseBackupToastMarkersAndBoundedChunks() throws Exception {
        Source s = register(
                "CREATE TABLE items (id bigint PRIMARY KEY, qty int, price numeric(12,2), note text, data jsonb,"
                        + " tags text[], at timestamptz, raw bytea)",
                "CREATE TABLE docs (id int PRIMARY KEY, body text, v int)",
                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
                "CREATE TABLE metrics (at date NOT NULL, v int) PARTITION BY RANGE (at)",
                "CREATE TABLE metrics_a PARTITION OF metrics FOR VALUES FROM ('2026-01-01') TO ('2026-07-01')",
                "CREATE TABLE metrics_b PARTITION OF metrics FOR VALUES FROM ('2026-07-01') TO ('2027-01-01')",
                "ALTER TABLE metrics_a REPLICA IDENTITY FULL",
                "ALTER TABLE metrics_b REPLICA IDENTITY FULL",
                "CREATE TABLE uncaptured (id int PRIMARY KEY, secret text)",
                "INSERT INTO items VALUES (1, 1, 1.50, 'before backup', '{\"a\":1}', '{x,y}', now(), '\\x00ff')",
                "INSERT INTO uncaptured VALUES (1, 'not in the backup data')");
        publish(s, List.of("public.items", "public.docs", "public.metrics"), 1);
        awaitStreaming(s);

        // the base backup: manifest with a consistent point, a dump in storage whose checksum matches
        Path base = storage.resolve("sources/" + s.id() + "/base");
        BaseBackupManifest manifest;
        try (Stream<Path> files = Files.walk(base)) {
            Path m = files.filter(p -> p.getFileName().toString().equals("manifest.json"))
                    .findFirst()
                    .orElseThrow();
            manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                    .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
                    .readValue(m.toFile(), BaseBackupManifest.class);
            byte[] dump = Files.readAllBytes(m.resolveSibling("dump.pgdump"));
            assertThat(manifest.files().getFirst().size()).isEqualTo(dump.length);
            assertThat(manifest.files().getFirst().sha256())
                    .isEqualTo(java.util.HexFormat.of()
                            .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                    .digest(dump)));
        }
        Lsn consistent = Lsn.parse(manifest.consistentLsn());
        assertThat(reports.stream()
                        .anyMatch(r -> r.getBody() instanceof BaseBackupCompleted b
                                && b.getConsistentLsn() == consistent.value()))
                .isTrue();

        String big = bigText(300_000);
        pg.execute(
                s.db(),
                "INSERT INTO items VALUES (2, 5, 9.99, 'two', '{\"b\":[1,2]}', '{a}', '2026-11-25T10:00:00Z', NULL)",
                "INSERT INTO docs VALUES (1, '" + big + "', 0)",
                "UPDATE items SET qty = qty + 1, note = NULL WHERE id = 2",
                "UPDATE docs SET v = v + 1 WHERE id = 1",
                "UPDATE items SET id = 20 WHERE id = 2",
                "DELETE FROM items WHERE id = 1",
                "INSERT INTO metrics VALUES ('2026-02-01', 1), ('2026-08-01', 2)",
                "TRUNCATE metrics_a",
                "BEGIN; INSERT INTO items SELECT g, g, g, repeat('x', 500), NULL, NULL, NULL, NULL"
                        + " FROM generate_series(100, 1100) g; COMMIT;",
                "INSERT INTO uncaptured VALUES (2, 'never streamed')");
        Lsn after = sqlLsn(s, "SELECT pg_current_wal_lsn()::text");

        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    drain();
                    assertThat(chunks(s).stream()
                                    .filter(TransactionChunk::getLastChunk)
                                    .count())
                            .isGreaterThanOrEqualTo(9); // the uncaptured insert publishes nothing
                });
        List<TransactionChunk> chunks = chunks(s);

        // commit order, and nothing from before the consistent point
        List<TransactionChunk> lasts =
                chunks.stream().filter(TransactionChunk::getLastChunk).toList();
        for (int i = 1; i < lasts.size(); i++) {
            assertThat(lasts.get(i).getCommitLsn())
                    .isGreaterThan(lasts.get(i - 1).getCommitLsn());
        }
        assertThat(chunks).allSatisfy(c -> assertThat(c.getCommitLsn()).isGreaterThanOrEqualTo(consistent.value()));

        List<RowChange> all = new ArrayList<>();
        Map<Integer, RelationDef> relations = new java.util.HashMap<>();
        for (TransactionChunk c : chunks) {
            c.getRelations().forEach(r -> relations.put(r.getRelationId(), r));
            all.addAll(c.getChanges());
        }
        assertThat(relations.values()).extracting(RelationDef::getTable).doesNotContain("uncaptured");

        RowChange insert2 = all.get(0);
        assertThat(insert2.getOp()).isEqualTo(Op.INSERT);
        assertThat(relations.get(insert2.getRelationId()).getTable()).isEqualTo("items");
        assertThat(insert2.getNewValues())
                .containsExactly("2", "5", "9.99", "two", "{\"b\": [1, 2]}", "{a}", "2026-11-25 10:00:00+00", null);

        // the TOASTed body: inserted in parts, unchanged by the later update — marked, not NULL
        RowChange toastUpdate = all.stream()
                .filter(c -> c.getOp() == Op.UPDATE
                        && relations.get(c.getRelationId()).getTable().equals("docs"))
                .findFirst()
                .orElseThrow();
        assertThat(toastUpdate.getNewValues().get(1)).isInstanceOf(UnchangedToast.class);
        assertThat(toastUpdate.getNewValues().get(2)).isEqualTo("1");
        String reassembled = chunks.stream()
                .flatMap(c -> c.getLargeValueParts().stream())
                .filter(p -> p.getColumn() == 1)
                .map(io.recall.schemas.change.LargeValuePart::getText)
                .reduce("", String::concat);
        assertThat(reassembled).isEqualTo(big);

        // key change carries the old key; delete carries the key; truncate of one partition is published
        RowChange keyChange = all.stream()
                .filter(c -> c.getOp() == Op.UPDATE && c.getOldValues() != null)
                .findFirst()
                .orElseThrow();
        assertThat(keyChange.getOldIsKey()).isTrue();
        assertThat(keyChange.getOldValues().get(0)).isEqualTo("2");
        assertThat(keyChange.getNewValues().get(0)).isEqualTo("20");
        assertThat(all).anySatisfy(c -> {
            assertThat(c.getOp()).isEqualTo(Op.DELETE);
            assertThat(c.getOldValues().get(0)).isEqualTo("1");
        });
        RowChange truncate =
                all.stream().filter(c -> c.getOp() == Op.TRUNCATE).findFirst().orElseThrow();
        assertThat(truncate.getTruncatedRelations()).hasSize(1);
        assertThat(relations.get(truncate.getTruncatedRelations().getFirst()).getTable())
                .isEqualTo("metrics_a");

        // the 1001-row transaction came in several bounded chunks, in order, the last one flagged
        TransactionChunk bigLast = lasts.stream()
                .filter(c -> c.getChanges().stream()
                        .anyMatch(r -> r.getOp() == Op.INSERT
                                && r.getNewValues().get(0).equals("1100")))
                .findFirst()
                .orElseThrow();
        List<TransactionChunk> bigTx = chunks.stream()
                .filter(c -> c.getCommitLsn() == bigLast.getCommitLsn())
                .toList();
        assertThat(bigTx.size()).isGreaterThan(5);
        for (int i = 0; i < bigTx.size(); i++) {
            assertThat(bigTx.get(i).getChunkIndex()).isEqualTo(i);
            assertThat(bigTx.get(i).getLastChunk()).isEqualTo(i == bigTx.size() - 1);
        }
        assertThat(bigTx.stream().mapToInt(c -> c.getChanges().size()).sum()).isEqualTo(1001);

        // everything acknowledged is confirmed; the slot and the durable watermark pass an earlier WAL position
        // while only another database writes WAL (heartbeats carry the keepalive position)
        String other = pg.createDatabase("other");
        for (int i = 0; i < 5; i++) {
            pg.execute(other, "CREATE TABLE IF NOT EXISTS t (v int)", "INSERT INTO t VALUES (" + i + ")");
        }
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> {
                    pg.execute(other, "INSERT INTO t VALUES (1)");
                    drain();
                    assertThat(confirmedFlush(s)).isGreaterThan(after);
                    assertThat(received.stream()
                                    .filter(e -> e.getSourceId().equals(s.id().toString()))
                                    .anyMatch(e -> e.getBody() instanceof Heartbeat h && h.getWalEnd() > after.value()))
                            .isTrue();
                    assertThat(reports.stream()
                                    .filter(r -> r.getSourceId().equals(s.id().toString()))
                                    .anyMatch(r -> r.getBody() instanceof SourceStatusReport st
                                            && st.getDurableLsn() != null
                                            && st.getDurableLsn() > after.value()))
                            .isTrue();
                });
        // sequences are read too (none here beyond what tables own, but the record arrives)
        assertThat(received.stream().anyMatch(e -> e.getBody() instanceof SequenceValues))
                .isTrue();
    }

    private static String bigText(int length) {
        StringBuilder b = new StringBuilder(length);
        java.util.Random r = new java.util.Random(42);
        while (b.length() < length) {
            b.append(Long.toString(r.nextLong(), 36));
        }
        return b.substring(0, length);
    }
}
