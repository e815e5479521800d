package io.recall.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.testsupport.FreePorts;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's end-to-end check: the standalone jar, as the README runs it, in a process of its own; the CLI registers a
 * source, Recall streams it, the CLI restores it and the restore equals the source. Then the process is stopped, the
 * source keeps changing while it is down, the process starts again on the same data directory, and a second restore
 * holds every change — those written before the stop, while it was down, and after: nothing was lost.
 */
class StandaloneProcessIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path JAR = Path.of("..", "standalone", "target", "recall-standalone.jar");

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path home;

    private int port;

    record Run(int exit, String out, String err) {}

    @Test
    void registerStreamRestoreThenRestartWithNothingLost() throws Exception {
        assertThat(JAR)
                .as("the standalone jar is built before this module's tests")
                .exists();
        port = FreePorts.next();
        String user = "proc_" + UUID.randomUUID().toString().substring(0, 8);
        String password = "pw-" + UUID.randomUUID();
        pg.createRole(user, password, "LOGIN REPLICATION CREATEDB");
        String db = pg.createDatabase("proc");
        pg.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        pg.execute(
                db,
                "SET ROLE " + user + "; CREATE TABLE orders (id int PRIMARY KEY, total numeric, note text);"
                        + " INSERT INTO orders SELECT g, g * 1.5, 'first ' || g FROM generate_series(1, 200) g");

        Process recall = start("first");
        try {
            Run added =
                    cli(pg.connectionUri(user, password, db) + "\n", "sources", "add", "orders", "--connection", "-");
            assertThat(added.exit()).as(added.err()).isZero();
            awaitStreaming();
            pg.execute(
                    db,
                    "SET ROLE " + user + "; UPDATE orders SET total = total + 1 WHERE id % 4 = 0;"
                            + " DELETE FROM orders WHERE id % 10 = 0");
            assertRestoredEqualsSource(db, user, password);
        } finally {
            stop(recall);
        }

        // while Recall is down the source goes on; its slot keeps the changes
        pg.execute(
                db,
                "SET ROLE " + user + "; INSERT INTO orders SELECT g, g, 'while down' FROM generate_series(201,"
                        + " 260) g; UPDATE orders SET note = 'changed while down' WHERE id < 20");

        // the second start also shows structured logs by one setting
        recall = start("second", "--logging.structured.format.console=ecs");
        try {
            awaitStreaming();
            assertJsonLogs(home.resolve("recall-second.log"));
            pg.execute(db, "SET ROLE " + user + "; INSERT INTO orders VALUES (1000, 1, 'after restart')");
            assertRestoredEqualsSource(db, user, password);
            Run show = cli("", "sources", "show", "orders", "--output", "json");
            assertThat(show.exit()).as(show.err()).isZero();
            assertThat(JSON.readTree(show.out()).path("status").asText()).isEqualTo("STREAMING");
        } finally {
            stop(recall);
        }
    }

    private void assertRestoredEqualsSource(String db, String user, String password) throws Exception {
        String into = "proc_dst_" + UUID.randomUUID().toString().substring(0, 8);
        Run restored = cli(
                "",
                "restore",
                "orders",
                "--to",
                "latest",
                "--into",
                pg.connectionUri(user, password, into),
                "--create-database",
                "--poll-interval",
                "500");
        assertThat(restored.exit()).as(restored.out() + restored.err()).isZero();
        assertThat(restored.out() + restored.err()).doesNotContain(password);
        assertThat(hash(into)).isEqualTo(hash(db));
    }

    private String hash(String database) throws Exception {
        try (Connection c = pg.connect(database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT count(*) || ':' || md5(string_agg(o::text, '|' ORDER BY id))" + " FROM orders o")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private void awaitStreaming() {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    Run show = cli("", "sources", "show", "orders", "--output", "json");
                    assertThat(show.exit()).as(show.err()).isZero();
                    assertThat(JSON.readTree(show.out()).path("status").asText())
                            .isEqualTo("STREAMING");
                });
    }

    /**
     * With {@code logging.structured.format.console=ecs}, once the first Spring context has set up logging every line
     * is one JSON object (ECS), including the started message of the coordinator. What the embedded databases print
     * before that is plain text.
     */
    private static void assertJsonLogs(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        int first = -1;
        for (int i = 0; i < lines.size() && first < 0; i++) {
            if (lines.get(i).startsWith("{")) {
                first = i;
            }
        }
        assertThat(first).as("a JSON log line in %s", log).isNotNegative();
        List<JsonNode> events = new ArrayList<>();
        for (String line : lines.subList(first, lines.size())) {
            // a library's own System.err notice (spring-jcl's) is not a log event; a log line in the plain pattern
            // (starting with its time) would be
            assertThat(line)
                    .as("no plain-text log line after the first JSON one")
                    .doesNotContainPattern("^\\d{2}:\\d{2}:\\d{2}|^\\d{4}-\\d{2}-\\d{2}[T ]");
            if (line.startsWith("{")) {
                events.add(JSON.readTree(line));
            }
        }
        assertThat(events).allSatisfy(e -> {
            assertThat(e.hasNonNull("@timestamp")).isTrue();
            assertThat(e.hasNonNull("message")).isTrue();
        });
        assertThat(events)
                .anySatisfy(e -> assertThat(e.get("message").asText()).contains("Started CoordinatorApplication"));
    }

    /** Starts the jar as the README's command does, in {@link #home}, and waits for its health to be UP. */
    private Process start(String name, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.recall.schemas",
                "-Xmx1g",
                "-jar",
                JAR.toAbsolutePath().toString(),
                "--server.port=" + port,
                "--recall.capture.status-interval=1s",
                "--recall.capture.heartbeat-interval=1s",
                "--recall.sink.max-segment-age=2s"));
        command.addAll(List.of(extra));
        Process p = new ProcessBuilder(command)
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("recall-" + name + ".log").toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        if (!p.isAlive()) {
                            throw new AssertionError("Recall exited with " + p.exitValue() + ":\n"
                                    + Files.readString(home.resolve("recall-" + name + ".log")));
                        }
                        try {
                            HttpResponse<String> r = http.send(
                                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/health"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
                            return r.statusCode() == 200 && r.body().contains("UP");
                        } catch (IOException e) {
                            return false;
                        }
                    });
        } catch (RuntimeException | Error e) {
            p.destroyForcibly();
            throw e;
        }
        return p;
    }

    /** SIGTERM, as a user stopping it would; the JVM's shutdown hook stops every part in order. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("Recall did not stop within 60 s of SIGTERM");
        }
    }

    /** The CLI in-process, in {@link #home} (the token is data/admin-token there), against the process's port. */
    private Run cli(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliContext context = new CliContext(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                new BufferedReader(new StringReader(stdin)),
                Map.of("RECALL_URL", "http://127.0.0.1:" + port),
                home,
                false);
        int exit = RecallCli.commandLine(context).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
