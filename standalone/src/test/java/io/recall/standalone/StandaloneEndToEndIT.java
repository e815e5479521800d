package io.recall.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain through the public REST API, as a user would drive it: register a source with the standalone
 * Recall, and see the stream worker capture it — status, durable LSN and base backups reported back through Kafka —
 * then request a base backup, pause, resume and delete it.
 */
class StandaloneEndToEndIT {

    private final ObjectMapper json = new ObjectMapper();
    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);

    @Test
    void aRegisteredSourceIsCapturedAndItsStatusIsShownByTheApi(@TempDir Path tmp) throws Exception {
        String user = "e2e_" + UUID.randomUUID().toString().substring(0, 8);
        String password = "pw-" + UUID.randomUUID();
        pg.createRole(user, password, "LOGIN REPLICATION");
        String db = pg.createDatabase("e2e");
        pg.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        pg.execute(
                db,
                "SET ROLE " + user,
                "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)",
                "INSERT INTO orders VALUES (1, 10)");

        Path data = tmp.resolve("data");
        try (Standalone recall = StandaloneMain.start(
                "--recall.data-dir=" + data,
                "--server.port=0",
                "--recall.capture.status-interval=1s",
                "--recall.capture.heartbeat-interval=1s")) {
            int port = Integer.parseInt(recall.coordinator().getEnvironment().getProperty("local.server.port"));
            String token = Files.readString(data.resolve("admin-token")).strip();

            HttpResponse<String> created = send(
                    port,
                    token,
                    "POST",
                    "/api/v1/sources",
                    Map.of("name", "orders-db", "connectionString", pg.connectionUri(user, password, db)));
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(created.body()).doesNotContain(password);
            String id = json.readTree(created.body()).get("id").asText();
            String path = "/api/v1/sources/" + id;

            JsonNode streaming = awaitSource(
                    port,
                    token,
                    path,
                    s -> s.path("status").asText().equals("STREAMING") && s.hasNonNull("durableLsn"));
            assertThat(streaming.path("lastError").isMissingNode()
                            || streaming.path("lastError").isNull())
                    .isTrue();

            pg.execute(db, "INSERT INTO orders SELECT g, g FROM generate_series(2, 100) g");
            Lsn written = currentWal(db);
            awaitSource(
                    port,
                    token,
                    path,
                    s -> s.hasNonNull("durableLsn")
                            && Lsn.parse(s.get("durableLsn").asText()).compareTo(written) >= 0);

            JsonNode backups = json.readTree(
                    send(port, token, "GET", path + "/base-backups", null).body());
            assertThat(backups).anySatisfy(b -> {
                assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
                assertThat(b.get("reason").asText()).isEqualTo("INITIAL");
                assertThat(b.get("consistentLsn").asText()).contains("/");
            });

            HttpResponse<String> requested = send(port, token, "POST", path + "/base-backups", null);
            assertThat(requested.statusCode()).as(requested.body()).isEqualTo(202);
            String requestId = json.readTree(requested.body()).get("requestId").asText();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        JsonNode list = json.readTree(send(port, token, "GET", path + "/base-backups", null)
                                .body());
                        assertThat(list).anySatisfy(b -> {
                            assertThat(b.get("id").asText()).isEqualTo(requestId);
                            assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
                        });
                    });

            assertThat(send(port, token, "POST", path + "/pause", null).statusCode())
                    .isEqualTo(200);
            awaitSource(port, token, path, s -> s.path("status").asText().equals("PAUSED"));
            assertThat(send(port, token, "POST", path + "/resume", null).statusCode())
                    .isEqualTo(200);
            awaitSource(port, token, path, s -> s.path("status").asText().equals("STREAMING"));

            HttpResponse<String> deleted = send(port, token, "DELETE", path, null);
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
            assertThat(json.readTree(deleted.body()).get("slotDropped").asBoolean())
                    .isTrue();
            assertThat(send(port, token, "GET", path, null).statusCode()).isEqualTo(404);
        }
    }

    private JsonNode awaitSource(
            int port, String token, String path, java.util.function.Predicate<JsonNode> condition) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    last[0] = json.readTree(send(port, token, "GET", path, null).body());
                    assertThat(condition.test(last[0])).as(last[0].toString()).isTrue();
                });
        return last[0];
    }

    private Lsn currentWal(String db) throws Exception {
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    private HttpResponse<String> send(int port, String token, String method, String path, Object body)
            throws Exception {
        return RestCalls.send(port, token, method, path, body);
    }
}
