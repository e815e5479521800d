package io.recall.worker.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.source.SourceConnection;
import io.recall.schemas.source.SourceDesiredState;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import io.recall.testsupport.S3Endpoint;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * End to end: a real PostgreSQL source captured by a stream worker running both roles, into a real broker and an S3
 * API (S3Proxy). The segments read back hold exactly what capture published, in order, and the archived watermark
 * passes the server's WAL position once the source is idle.
 */
class SinkCaptureIT {

    final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    final SecretCipher cipher = new SecretCipher(Map.of("k1", SinkHarness.KEY), "k1");
    SinkHarness h;

    @BeforeEach
    void start() {
        h = SinkHarness.s3(2, S3Endpoint.shared());
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void aBusySourcesSegmentsHoldExactlyItsCapturedTransactionsInOrder() throws Exception {
        SourceId id = SourceId.random();
        String user = "sink_" + id.objectSuffix();
        String password = "pw-" + UUID.randomUUID();
        pg.createRole(user, password, "LOGIN REPLICATION");
        String db = pg.createDatabase("sink");
        pg.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        pg.execute(
                db,
                "SET ROLE " + user,
                "CREATE TABLE items (id bigint PRIMARY KEY, qty int, note text)",
                "INSERT INTO items SELECT g, 0, 'before the base backup' FROM generate_series(1, 100) g");
        publish(id, db, user, password);

        ConfigurableApplicationContext worker =
                h.startWorker(null, true, "--recall.sink.max-segment-bytes=64KB", "--recall.sink.max-segment-age=3s");
        try {
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        h.drain();
                        assertThat(h.catalogEvents)
                                .anyMatch(e -> e.getSourceId().equals(id.toString())
                                        && e.getBody() instanceof SourceStatusReport r
                                        && r.getState() == CaptureState.STREAMING);
                    });

            // busy: many small transactions, one large one split into chunks, updates and deletes
            List<String> sql = new ArrayList<>();
            sql.add("SET ROLE " + user);
            for (int t = 0; t < 150; t++) {
                int base = 1000 + t * 5;
                sql.add("BEGIN; INSERT INTO items SELECT g, g % 7, repeat('n', 60) FROM generate_series(" + base + ", "
                        + (base + 4) + ") g; UPDATE items SET qty = qty + 1 WHERE id = " + (1 + t % 100)
                        + "; COMMIT;");
                if (t % 10 == 9) {
                    sql.add("DELETE FROM items WHERE id = " + (base + 2));
                }
            }
            sql.add("INSERT INTO items SELECT g, 1, repeat('big', 40) FROM generate_series(100000, 103000) g");
            pg.execute(db, sql.toArray(String[]::new));
            Lsn walAfter = currentWal(db);
            int insertedRows = 150 * 5 + 3001;

            // idle now: segments of heartbeats and sequence snapshots keep sealing by age, their watermark at or past
            // the WAL position taken after the last commit
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(h.sealed(id))
                            .anyMatch(e -> e.getTransactionCount() == 0
                                    && Long.compareUnsigned(e.getWatermarkLsn(), walAfter.value()) >= 0));

            List<ChangeEnvelope> published = h.changes(id);
            List<ChangeEnvelope> stored = h.storedRecords(id);
            assertThat(stored)
                    .as("segments hold a prefix of what capture published")
                    .isNotEmpty();
            assertThat(published.subList(0, stored.size())).containsExactlyElementsOf(stored);

            List<TransactionChunk> chunks = stored.stream()
                    .filter(e -> e.getBody() instanceof TransactionChunk)
                    .map(e -> (TransactionChunk) e.getBody())
                    .toList();
            long inserts = chunks.stream()
                    .flatMap(c -> c.getChanges().stream())
                    .map(RowChange::getOp)
                    .filter(op -> op == Op.INSERT)
                    .count();
            assertThat(inserts).as("every inserted row is archived").isEqualTo(insertedRows);
            assertThat(chunks.stream().filter(TransactionChunk::getLastChunk).count())
                    .isEqualTo(150 + 15 + 1);
            assertThat(chunks.stream().filter(c -> c.getChunkIndex() > 0))
                    .as("the large transaction was chunked")
                    .isNotEmpty();
            List<Long> commitOrder =
                    chunks.stream().map(TransactionChunk::getCommitLsn).toList();
            assertThat(commitOrder).isSortedAccordingTo(Long::compareUnsigned);

            List<SegmentSealed> events = h.sealed(id);
            assertThat(events.stream().filter(e -> e.getTransactionCount() > 0).count())
                    .as("rolled by size while busy")
                    .isGreaterThanOrEqualTo(2);
            assertThat(events)
                    .extracting(SegmentSealed::getObjectKey)
                    .containsExactlyElementsOf(h.segments(id).stream()
                            .map(io.recall.common.storage.BlobInfo::key)
                            .toList());
        } finally {
            worker.close();
        }
    }

    private Lsn currentWal(String db) throws Exception {
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    /** Registers the source the way the coordinator does: its desired state on recall.sources. */
    private void publish(SourceId id, String db, String user, String password) throws Exception {
        SourceDesiredState state = SourceDesiredState.newBuilder()
                .setSourceId(id.toString())
                .setName(db)
                .setEpoch(1)
                .setPaused(false)
                .setConnection(SourceConnection.newBuilder()
                        .setHost(pg.host())
                        .setPort(pg.port())
                        .setDatabase(db)
                        .setUser(user)
                        .setPasswordCiphertext(cipher.encrypt(password))
                        .setOptions(Map.of("sslmode", "disable"))
                        .build())
                .setTables(List.of("public.items"))
                .setSlotName("recall_" + id.objectSuffix())
                .setPublicationName("recall_" + id.objectSuffix())
                .build();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, h.kafka.bootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            ByteBuffer b = state.toByteBuffer();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            producer.send(new ProducerRecord<>("recall.sources", id.toString(), bytes))
                    .get();
        }
    }
}
