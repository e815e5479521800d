package io.recall.coordinator;

import static io.recall.coordinator.SourceRegistrationIT.body;
import static io.recall.coordinator.SourceRegistrationIT.sourceDb;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.common.crypto.SecretCipher;
import io.recall.coordinator.SourceRegistrationIT.SourceDb;
import io.recall.schemas.source.SourceDesiredState;
import io.recall.testsupport.FreePorts;
import io.recall.testsupport.KafkaBroker;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A coordinator whose Kafka address answers nothing at first: requests that change a desired state answer 503 after a
 * bounded wait, the changes stay committed, and once Kafka answers the reconciler publishes the latest state; a restore
 * Kafka does not take fails. Its own
 * metadata database and topic prefix keep it apart from the other tests' coordinator; its catalog listener is off.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaUnavailableIT {

    private static final String ADMIN_TOKEN = "test-admin-token-" + "unavailable0123456789abcdef012345";
    private static final PostgresCluster PG = PostgresCluster.shared(PgVersion.SYSTEM);
    private static final String METADATA_DB = PG.createDatabase("recall_meta_nokafka");
    private static final KafkaBroker KAFKA = KafkaBroker.shared();
    private static final int KAFKA_PORT = FreePorts.next();
    private static final String PREFIX = "nokafka.";
    private static final String SECRETS_KEY = SecretCipher.generateKey();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("spring.datasource.url", () -> PG.jdbcUrl(METADATA_DB));
        r.add("spring.datasource.username", PG::superuser);
        r.add("spring.datasource.password", PG::superuserPassword);
        r.add("recall.secrets.keys.k1", () -> SECRETS_KEY);
        r.add("recall.secrets.active-key-id", () -> "k1");
        r.add("recall.security.bootstrap-admin-token", () -> ADMIN_TOKEN);
        r.add("spring.kafka.bootstrap-servers", () -> "127.0.0.1:" + KAFKA_PORT);
        // the admin client gives up on creating topics quickly, so the context starts without Kafka
        r.add("spring.kafka.admin.operation-timeout", () -> "2s");
        r.add("spring.kafka.admin.close-timeout", () -> "1s");
        r.add("spring.kafka.listener.auto-startup", () -> "false");
        r.add("recall.topics.prefix", () -> PREFIX);
        r.add("recall.desired-state.publish-timeout", () -> "2s");
        r.add("recall.desired-state.reconcile-interval", () -> "1s");
        r.add("recall.restores.publish-timeout", () -> "2s");
    }

    @Test
    @Order(2)
    void changesAnswer503AndArePublishedOnceKafkaAnswers() throws Exception {
        Api admin = new Api(port, ADMIN_TOKEN);
        SourceDb src = sourceDb(PG, "CREATE TABLE t (id int PRIMARY KEY)");

        long started = System.nanoTime();
        Api.Response registered = admin.post("/api/v1/sources", body("nokafka", src.uri()));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(registered.status()).as(registered.body()).isEqualTo(503);
        assertThat(registered.contentType()).contains("application/problem+json");
        JsonNode problem = registered.json();
        assertThat(problem.get("type").asText()).endsWith("/kafka-unavailable");
        assertThat(problem.get("detail").asText())
                .contains("saved in the metadata database")
                .doesNotContain(src.password());
        assertThat(took).as("a bounded wait").isLessThan(Duration.ofSeconds(20));
        String id = problem.get("sourceId").asText();

        // stored, not yet published; a further change is stored too
        JsonNode view = admin.get("/api/v1/sources/" + id).json();
        assertThat(view.get("epoch").asLong()).isEqualTo(1);
        assertThat(view.has("publishedEpoch")).isFalse();
        Api.Response paused = admin.post("/api/v1/sources/" + id + "/pause", null);
        assertThat(paused.status()).as(paused.body()).isEqualTo(503);
        assertThat(admin.get("/api/v1/sources/" + id).json().get("paused").asBoolean())
                .isTrue();

        String broker = KAFKA.bootstrapServers();
        try (TcpForwarder kafkaBack = new TcpForwarder(
                KAFKA_PORT,
                broker.substring(0, broker.lastIndexOf(':')),
                Integer.parseInt(broker.substring(broker.lastIndexOf(':') + 1)))) {
            List<ConsumerRecord<String, byte[]>> records = KafkaRecords.await(
                    broker,
                    PREFIX + "sources",
                    id,
                    rs -> !rs.isEmpty()
                            && KafkaRecords.desiredState(rs.getLast().value()).getEpoch() == 2);
            SourceDesiredState state =
                    KafkaRecords.desiredState(records.getLast().value());
            assertThat(state.getPaused()).isTrue();
            assertThat(state.getConnection().getPasswordCiphertext()).startsWith("v1:k1:");

            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && publishedEpoch(id) != 2) {
                KafkaRecords.sleep(100);
            }
            assertThat(publishedEpoch(id)).isEqualTo(2);

            // with Kafka back, a change answers at once
            Api.Response resumed = admin.post("/api/v1/sources/" + id + "/resume", null);
            assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
            assertThat(resumed.json().get("epoch").asLong()).isEqualTo(3);
        }
    }

    /**
     * Runs first: once the other test lets Kafka answer, every producer of this context has learnt the broker's own
     * address and no longer needs the forwarded one.
     *
     * <p>A restore whose request Kafka does not take is marked FAILED with that error, since no worker can ever see it,
     * and the client is told to submit it again.
     */
    @Test
    @Order(1)
    void aRestoreKafkaDoesNotTakeFailsWith503() throws Exception {
        Api admin = new Api(port, ADMIN_TOKEN);
        SourceDb src = sourceDb(PG, "CREATE TABLE t (id int PRIMARY KEY)");
        String id = admin.post("/api/v1/sources", body("nokafka-restore", src.uri()))
                .json()
                .get("sourceId")
                .asText();
        // the catalog listener is off here: a successful base backup makes the window non-empty
        PG.execute(
                METADATA_DB,
                "INSERT INTO base_backups (id, source_id, status, reason, consistent_lsn, snapshot_time, requested_at)"
                        + " VALUES (gen_random_uuid(), '" + id + "', 'SUCCEEDED', 'INITIAL', 4096, now(), now())");
        String password = "Target-" + UUID.randomUUID();

        Api.Response r = admin.post(
                "/api/v1/restores",
                Map.of(
                        "sourceId",
                        id,
                        "target",
                        Map.of("latest", true),
                        "targetConnectionString",
                        PG.connectionUri("restorer", password, "restored")));

        assertThat(r.status()).as(r.body()).isEqualTo(503);
        JsonNode problem = r.json();
        assertThat(problem.get("type").asText()).endsWith("/kafka-unavailable");
        assertThat(problem.get("detail").asText()).contains("submit it again").doesNotContain(password);
        JsonNode job = admin.get("/api/v1/restores/" + problem.get("restoreId").asText())
                .json();
        assertThat(job.get("status").asText()).isEqualTo("FAILED");
        assertThat(job.get("error").asText()).contains("Kafka did not acknowledge");
        assertThat(job.get("finishedAt").isNull()).isFalse();
    }

    private static long publishedEpoch(String id) throws java.sql.SQLException {
        try (Connection c = PG.connect(METADATA_DB);
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT coalesce(published_epoch, 0) FROM sources WHERE id = '" + id + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
