package io.recall.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.cli.http.ApiClient;
import io.recall.common.Lsn;
import io.recall.testsupport.FreePorts;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a real Recall (standalone: coordinator, stream worker, embedded Kafka and metadata database in this
 * JVM) and a real PostgreSQL source, run in-process as {@code main} runs it, with its stdout, stderr and exit code
 * captured. The tests in order follow one source through its life; the error tests stand alone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);

    /** The working directory of every run: Recall's data directory is {@code data/} in it, token and all. */
    @TempDir
    static Path home;

    private static StandaloneRecall recall;

    /** The source followed through the ordered tests. */
    private static final String NAME = "orders-" + UUID.randomUUID().toString().substring(0, 8);

    private static SourceDb db;
    private static String sourceId;

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    record SourceDb(String name, String user, String password, String uri) {}

    @BeforeAll
    static void startRecall() {
        recall = StandaloneRecall.start(
                home.resolve("data"),
                "--recall.capture.status-interval=1s",
                "--recall.capture.heartbeat-interval=1s",
                // the recovery window ends at the last stored segment
                "--recall.sink.max-segment-age=2s",
                // a restore waiting for its target's lock tries again this often (the cancel test)
                "--recall.restore.lock-retry=500ms",
                "--recall.restore.progress-interval=500ms");
        db = sourceDatabase("cli", "LOGIN REPLICATION");
    }

    @AfterAll
    static void stopRecall() throws Exception {
        if (recall != null) {
            recall.close();
        }
    }

    @Test
    @Order(1)
    void sourcesAddRegistersASourceReadingItsConnectionStringFromStdin() {
        Run added = recallWithInput(
                db.uri() + "\n",
                "sources",
                "add",
                NAME,
                "--connection",
                "-",
                "--table",
                "public.*",
                "--retention-days",
                "7");

        assertThat(added.exit()).as(added.err()).isZero();
        assertThat(added.out()).startsWith("registered source '" + NAME + "' as ");
        assertThat(added.out() + added.err()).doesNotContain(db.password());
        sourceId = added.out().lines().findFirst().orElseThrow().replaceAll(".* as ([0-9a-f-]{36}).*", "$1");
        assertThat(sourceId).hasSize(36);
    }

    @Test
    @Order(2)
    void sourcesListAndShowAsTablesAndAsJson() throws Exception {
        Run table = recall("sources", "list");
        assertThat(table.exit()).as(table.err()).isZero();
        List<String> lines = table.out().lines().toList();
        String header = lines.getFirst();
        assertThat(header).startsWith("ID").contains("NAME", "STATUS", "ARCHIVED LSN");
        String row = lines.stream().filter(l -> l.contains(NAME)).findFirst().orElseThrow();
        // aligned: every column of the row starts where its header does
        assertThat(row.indexOf(NAME)).isEqualTo(header.indexOf("NAME"));
        assertThat(row).startsWith(sourceId);

        Run json = recall("sources", "list", "--output", "json");
        assertThat(json.exit()).isZero();
        assertThat(json.json()).anySatisfy(s -> {
            assertThat(s.get("id").asText()).isEqualTo(sourceId);
            assertThat(s.get("name").asText()).isEqualTo(NAME);
        });
        assertThat(json.out()).doesNotContain(db.password()).contains("\n  ");

        Run byName = recall("sources", "show", NAME);
        assertThat(byName.exit()).as(byName.err()).isZero();
        assertThat(byName.out())
                .containsPattern("(?m)^id: +" + sourceId + "$")
                .containsPattern("(?m)^connection: +postgresql://" + db.user() + ":\\*\\*\\*\\*@")
                .containsPattern("(?m)^retention: +7 days$")
                .contains("capability probe: ")
                .doesNotContain(db.password());

        Run byId = recall("-o", "json", "sources", "show", sourceId);
        assertThat(byId.exit()).isZero();
        assertThat(byId.json().get("name").asText()).isEqualTo(NAME);
    }

    @Test
    @Order(3)
    void sourcesPauseResumeAndProbe() {
        awaitSource(s -> s.path("status").asText().equals("STREAMING"));

        Run paused = recall("sources", "pause", NAME);
        assertThat(paused.exit()).as(paused.err()).isZero();
        assertThat(paused.out()).contains("is paused", "retains WAL");
        awaitSource(s -> s.path("status").asText().equals("PAUSED"));
        assertThat(recall("sources", "list").out()).containsPattern(NAME + " +PAUSED");

        Run resumed = recall("sources", "resume", sourceId);
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("resumes from replication slot");
        awaitSource(s -> s.path("status").asText().equals("STREAMING"));

        Run probed = recall("sources", "probe", NAME);
        assertThat(probed.exit()).as(probed.err()).isZero();
        assertThat(probed.out()).containsPattern("capability probe: (PASS|WARN) \\(PostgreSQL 15");
        assertThat(probed.out()).containsPattern("(?m)^  wal_level +PASS +wal_level = logical$");
    }

    @Test
    @Order(4)
    void backupsCreateAndList() throws Exception {
        Run created = recall("backups", "create", NAME);
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out()).startsWith("base backup requested: ");
        String requestId = created.out().lines().findFirst().orElseThrow().split(" ")[3];

        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    JsonNode backups =
                            recall("backups", "list", NAME, "-o", "json").json();
                    assertThat(backups).anySatisfy(b -> {
                        assertThat(b.get("id").asText()).isEqualTo(requestId);
                        assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
                    });
                });
        Run table = recall("backups", "list", NAME);
        assertThat(table.exit()).isZero();
        assertThat(table.out())
                .startsWith("ID")
                .containsPattern("(?m)^" + requestId + " +SUCCEEDED +REQUESTED +\\p{XDigit}+/\\p{XDigit}+ ")
                .containsPattern("(?m) SUCCEEDED +INITIAL ");
    }

    @Test
    @Order(5)
    void windowShowsTheRecoveryWindowAsATimeline() throws Exception {
        pg.execute(db.name(), "INSERT INTO orders SELECT g, g FROM generate_series(100, 199) g");
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    JsonNode window = recall("window", NAME, "--output", "json").json();
                    assertThat(window.get("intervals")).isNotEmpty();
                });
        Run window = recall("window", sourceId);
        assertThat(window.exit()).as(window.err()).isZero();
        assertThat(window.out())
                .containsPattern("(?m)^ +FROM LSN +FROM \\(UTC\\) +TO LSN +TO \\(UTC\\) +SPAN$")
                .containsPattern("(?m)^restorable +\\p{XDigit}+/\\p{XDigit}+ +\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z +")
                .containsPattern("(?m)^\\d+ restorable intervals?, .* in all, from .*Z to .*Z; 0 gaps$");
    }

    @Test
    @Order(6)
    void theRunnableJarTalksToTheApi() throws Exception {
        Run listed = runJar("sources", "list", "-o", "json");
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.json())
                .anySatisfy(s -> assertThat(s.get("name").asText()).isEqualTo(NAME));

        // the timeline orders LSNs with common's Lsn: the jar must carry it
        Run window = runJar("window", NAME);
        assertThat(window.exit()).as(window.err()).isZero();
        assertThat(window.out()).contains("restorable");
    }

    @Test
    @Order(7)
    void restorePointCreateAndList() throws Exception {
        Run created = recall("restore-point", "create", NAME, "before-change");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out())
                .matches("restore point 'before-change' at \\p{XDigit}+/\\p{XDigit}+ \\(\\d{4}-[0-9T:.-]+Z\\)\\n");

        Run listed = recall("restore-point", "list", sourceId);
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out())
                .containsPattern("(?m)^NAME +LSN +TIME \\(UTC\\)$")
                .containsPattern("(?m)^before-change +");
        assertThat(recall("restore-point", "list", NAME, "-o", "json").json())
                .anySatisfy(p -> assertThat(p.get("name").asText()).isEqualTo("before-change"));
    }

    @Test
    @Order(8)
    void aRestoreOutsideTheWindowIsRefusedWithTheWindow() {
        String into = superuserUri("cli_never_" + UUID.randomUUID().toString().substring(0, 8));

        Run refused = recall("restore", NAME, "--to", "0/1", "--into", into);
        assertThat(refused.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(refused.err())
                .startsWith("error: Restore refused (HTTP 422): ")
                .contains("recovery window:")
                .containsPattern("(?m)^  restorable +\\p{XDigit}+/")
                .doesNotContain(pg.superuserPassword());

        Run unknownPoint = recall("restore", NAME, "--to", "point:no-such-point", "--into", into);
        assertThat(unknownPoint.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(unknownPoint.err()).contains("no restore point named 'no-such-point'");
    }

    @Test
    @Order(9)
    void aRunningRestoreIsListedShownAndCancelledAndWhoFollowsItExitsOne() throws Exception {
        String database = "cli_locked_" + UUID.randomUUID().toString().substring(0, 8);
        pg.execute("postgres", "CREATE DATABASE " + database);
        String id;
        try (Connection holder = pg.connect(database);
                Statement st = holder.createStatement()) {
            // what keeps a restore into this database waiting: another restore's lock on it
            st.execute("SELECT pg_advisory_lock(hashtext('recall.restore'))");
            CompletableFuture<Run> following = CompletableFuture.supplyAsync(() -> recall(
                    "restore",
                    NAME,
                    "--to",
                    "point:before-change",
                    "--into",
                    superuserUri(database),
                    "--poll-interval",
                    "250"));

            JsonNode[] running = new JsonNode[1];
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        JsonNode list = recall(
                                        "restores", "list", "--source", NAME, "--status", "running", "-o", "json")
                                .json();
                        assertThat(list).hasSize(1);
                        running[0] = list.get(0);
                        assertThat(running[0].at("/progress/message").asText()).contains("waiting for the target lock");
                    });
            id = running[0].get("id").asText();

            Run listed = recall("restores", "list", "--source", NAME);
            assertThat(listed.exit()).as(listed.err()).isZero();
            assertThat(listed.out())
                    .startsWith("ID")
                    .containsPattern("(?m)^" + id + " +RUNNING +" + NAME + " +point before-change +");

            Run shown = recall("restores", "show", id);
            assertThat(shown.exit()).as(shown.err()).isZero();
            assertThat(shown.out())
                    .containsPattern("(?m)^status: +RUNNING$")
                    .containsPattern("(?m)^target: +point before-change \\(inclusive\\)$")
                    .containsPattern(
                            "(?m)^into: +postgresql://" + pg.superuser() + ":\\*\\*\\*\\*@.*/" + database + "$")
                    .containsPattern("(?m)^progress: +RUNNING  validating")
                    .containsPattern("(?m)^worker says: +waiting for the target lock")
                    .doesNotContain(pg.superuserPassword());

            Run cancelled = recall("restores", "cancel", id);
            assertThat(cancelled.exit()).as(cancelled.err()).isZero();
            assertThat(cancelled.out()).matches("cancel requested: restore " + id + " is (RUNNING|CANCELLED)\n");

            Run followed = following.get(60, TimeUnit.SECONDS);
            assertThat(followed.exit()).isEqualTo(RecallCli.REFUSED);
            assertThat(followed.out()).isEmpty();
            assertThat(followed.err())
                    .contains("RUNNING  validating")
                    .containsPattern("(?m)^error: restore " + id + " CANCELLED");
        }

        Run again = recall("restores", "cancel", id);
        assertThat(again.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(again.err()).startsWith("error: Conflict (HTTP 409): ");
        assertThat(recall("restores", "list", "--status", "cancelled", "-o", "json")
                        .json())
                .anySatisfy(r -> assertThat(r.get("id").asText()).isEqualTo(id));
        Run unknown = recall("restores", "show", UUID.randomUUID().toString());
        assertThat(unknown.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(unknown.err()).startsWith("error: Not found (HTTP 404): ");
    }

    @Test
    @Order(10)
    void restoreToLatestIntoANewDatabaseFollowsTheJobToItsEnd() throws Exception {
        pg.execute(
                db.name(),
                "UPDATE orders SET total = total + 1 WHERE id % 3 = 0",
                "DELETE FROM orders WHERE id % 7 = 0",
                "INSERT INTO orders SELECT g, g FROM generate_series(200, 260) g");
        awaitDurable(currentWal(db.name()));
        String target = "cli_latest_" + UUID.randomUUID().toString().substring(0, 8);

        Run restored = recall(
                "restore",
                NAME,
                "--to",
                "latest",
                "--into",
                superuserUri(target),
                "--create-database",
                "--poll-interval",
                "250");

        assertThat(restored.exit()).as(restored.err()).isZero();
        assertThat(restored.out())
                .matches("restore [0-9a-f-]{36} SUCCEEDED  restored to \\p{XDigit}+/\\p{XDigit}+ \\(.*Z\\).*\\n");
        assertThat(restored.err())
                .startsWith("restore ")
                .contains(" QUEUED: to latest into postgresql://" + pg.superuser() + ":****@")
                .contains("Ctrl-C stops following it")
                .doesNotContain(pg.superuserPassword());
        assertThat(rows(target)).isEqualTo(rows(db.name()));

        String id = restored.out().split(" ")[1];
        assertThat(recall("restores", "list", "--status", "SUCCEEDED").out())
                .containsPattern("(?m)^" + id + " +SUCCEEDED +" + NAME + " +latest +");
        assertThat(recall("restores", "show", id).out())
                .containsPattern("(?m)^status: +SUCCEEDED$")
                .containsPattern("(?m)^restored to: +\\p{XDigit}+/\\p{XDigit}+ ")
                .containsPattern("(?m)^create database: +yes$");
    }

    @Test
    @Order(11)
    void restoreToATimeAppliesWhatWasCommittedByThen() throws Exception {
        pg.execute(db.name(), "INSERT INTO orders VALUES (1000, 1)");
        Thread.sleep(1100);
        String time = query(
                db.name(), "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        List<String> before = rows(db.name());
        Thread.sleep(1100);
        pg.execute(db.name(), "INSERT INTO orders VALUES (1001, 1)", "UPDATE orders SET total = 0 WHERE id = 1000");
        // a time is restorable once the archived watermark has passed it
        Instant at = Instant.parse(time);
        awaitSource(s -> s.hasNonNull("archivedTime")
                && OffsetDateTime.parse(s.get("archivedTime").asText())
                        .toInstant()
                        .isAfter(at));
        String into = "cli_time_" + UUID.randomUUID().toString().substring(0, 8);

        Run restored = recall(
                "restore",
                sourceId,
                "--to",
                time,
                "--into",
                superuserUri(into),
                "--create-database",
                "--poll-interval",
                "250",
                "-o",
                "json");

        assertThat(restored.exit()).as(restored.out() + restored.err()).isZero();
        JsonNode view = restored.json();
        assertThat(view.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(view.at("/target/time").asText()).isEqualTo(time);
        assertThat(view.at("/restoredTo/lsn").asText()).contains("/");
        assertThat(rows(into)).isEqualTo(before);
    }

    @Test
    @Order(12)
    void aFailedRestoreExitsOneWithItsError() throws Exception {
        String target = "cli_busy_" + UUID.randomUUID().toString().substring(0, 8);
        pg.execute("postgres", "CREATE DATABASE " + target);
        pg.execute(target, "CREATE TABLE unrelated (id int)");

        Run failed = recallOnTerminal(
                "restore", NAME, "--to", "latest", "--into", superuserUri(target), "--poll-interval", "250");

        assertThat(failed.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(failed.out()).isEmpty();
        // on a terminal the progress line is redrawn in place, and cleared before the outcome
        assertThat(failed.err())
                .contains("\rQUEUED  waiting for a restore worker\u001b[K")
                .containsPattern("\\r\\u001b\\[Kerror: restore [0-9a-f-]{36} FAILED  in validating: .*not empty");
    }

    @Test
    @Order(20)
    void sourcesRemoveDropsTheSlotAndForgetsTheSource() {
        Run removed = recall("sources", "remove", NAME, "--purge");
        assertThat(removed.exit()).as(removed.err()).isZero();
        assertThat(removed.out())
                .startsWith("removed source " + sourceId + ": slot dropped, publication dropped;")
                .contains("stored objects deleted");

        Run gone = recall("sources", "show", sourceId);
        assertThat(gone.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(gone.err()).startsWith("error: Not found (HTTP 404)");
    }

    @Test
    void aFailingProbeExitsOneAndPrintsTheReport() throws Exception {
        SourceDb noReplication = sourceDatabase("norepl", "LOGIN");

        Run refused = recall("sources", "add", "no-replication", "--connection", noReplication.uri());

        assertThat(refused.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err())
                .startsWith("error: Source cannot be protected (HTTP 422): ")
                .contains("capability probe: FAIL")
                .containsPattern("(?m)^  role_replication +FAIL ")
                .containsPattern("(?m)^role_replication FAIL: ")
                .containsPattern("(?m)^  fix: .*REPLICATION")
                .doesNotContain(noReplication.password());

        Run asJson = recall("sources", "add", "no-replication", "--connection", noReplication.uri(), "-o", "json");
        assertThat(asJson.exit()).isEqualTo(RecallCli.REFUSED);
        JsonNode problem = JSON.readTree(asJson.err());
        assertThat(problem.get("status").asInt()).isEqualTo(422);
        assertThat(problem.at("/report/outcome").asText()).isEqualTo("FAIL");
    }

    @Test
    void failuresHaveTheDocumentedExitCodes() throws Exception {
        Run unreachable = recall("--url", "http://127.0.0.1:" + FreePorts.next(), "sources", "list");
        assertThat(unreachable.exit()).isEqualTo(RecallCli.UNAVAILABLE);
        assertThat(unreachable.err()).startsWith("error: Cannot reach Recall: http://127.0.0.1:");

        Run badToken = recall("sources", "list", "--token", "not-a-token");
        assertThat(badToken.exit()).isEqualTo(RecallCli.UNAUTHORIZED);
        assertThat(badToken.err())
                .contains("(HTTP 401)")
                .contains("hint: give a token")
                .doesNotContain("not-a-token");

        String viewerToken;
        try (ApiClient admin = new ApiClient(URI.create(recall.url()), recall.adminToken())) {
            viewerToken = admin.post("/api/v1/tokens", Map.of("name", "cli-viewer", "role", "viewer"))
                    .get("token")
                    .asText();
        }
        Run forbidden =
                recallWithEnv(Map.of("RECALL_TOKEN", viewerToken), "sources", "add", "x", "--connection", db.uri());
        assertThat(forbidden.exit()).isEqualTo(RecallCli.UNAUTHORIZED);
        assertThat(forbidden.err()).startsWith("error: ").contains("(HTTP 403)");
        assertThat(recallWithEnv(Map.of("RECALL_TOKEN", viewerToken), "sources", "list")
                        .exit())
                .isZero();

        Run unknownId = recall("sources", "show", UUID.randomUUID().toString());
        assertThat(unknownId.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(unknownId.err()).startsWith("error: Not found (HTTP 404): ");
        Run unknownIdAsJson = recall("sources", "show", UUID.randomUUID().toString(), "-o", "json");
        assertThat(JSON.readTree(unknownIdAsJson.err()).get("status").asInt()).isEqualTo(404);
        assertThat(unknownIdAsJson.out()).isEmpty();

        Run unknownName = recall("window", "no-such-source");
        assertThat(unknownName.exit()).isEqualTo(RecallCli.REFUSED);
        assertThat(unknownName.err()).contains("no source is named 'no-such-source'");

        Run badUsage = recall("sources", "list", "--bogus");
        assertThat(badUsage.exit()).isEqualTo(RecallCli.USAGE);
        assertThat(badUsage.err()).contains("Unknown option: '--bogus'");
    }

    /** {@code java -jar target/recall-cli.jar}, built by the package phase, which runs before integration tests. */
    private static Run runJar(String... args) throws Exception {
        Path jar = Path.of("target", "recall-cli.jar").toAbsolutePath();
        assertThat(jar).exists();
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile());
        builder.environment().put("RECALL_URL", recall.url());
        Path err = Files.createTempFile(home, "jar", ".err");
        Process process = builder.redirectError(err.toFile()).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), out, Files.readString(err));
    }

    private static void awaitDurable(String walLsn) {
        Lsn written = Lsn.parse(walLsn);
        awaitSource(s -> s.hasNonNull("durableLsn")
                && Lsn.parse(s.get("durableLsn").asText()).compareTo(written) >= 0);
    }

    private static String currentWal(String database) throws Exception {
        return query(database, "SELECT pg_current_wal_lsn()::text");
    }

    private static String query(String database, String sql) throws Exception {
        try (Connection c = pg.connect(database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The {@code orders} table, row by row in key order. */
    private static List<String> rows(String database) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = pg.connect(database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id, total FROM orders ORDER BY id")) {
            while (rs.next()) {
                rows.add(rs.getLong(1) + "=" + rs.getBigDecimal(2));
            }
        }
        return rows;
    }

    private static String superuserUri(String database) {
        return pg.connectionUri(pg.superuser(), pg.superuserPassword(), database);
    }

    private static void awaitSource(Predicate<JsonNode> condition) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    JsonNode s =
                            recall("sources", "show", sourceId, "-o", "json").json();
                    assertThat(condition.test(s)).as(s.toString()).isTrue();
                });
    }

    /** A database owned by a new role, with a table {@code orders} holding a few rows. */
    private static SourceDb sourceDatabase(String prefix, String attributes) {
        String user = prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
        String password = "pw-" + UUID.randomUUID();
        pg.createRole(user, password, attributes);
        String name = pg.createDatabase(prefix);
        pg.execute(name, "ALTER DATABASE " + name + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        pg.execute(
                name,
                "SET ROLE " + user,
                "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)",
                "INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 50) g");
        return new SourceDb(name, user, password, pg.connectionUri(user, password, name));
    }

    static Run recall(String... args) {
        return run("", Map.of(), false, args);
    }

    static Run recallWithInput(String stdin, String... args) {
        return run(stdin, Map.of(), false, args);
    }

    static Run recallWithEnv(Map<String, String> env, String... args) {
        return run("", env, false, args);
    }

    /** With stderr taken for a terminal 80 columns wide. */
    static Run recallOnTerminal(String... args) {
        return run("", Map.of("COLUMNS", "80"), true, args);
    }

    /** As {@code main} runs it, in {@link #home} (so the token is found in data/admin-token), RECALL_URL set. */
    private static Run run(String stdin, Map<String, String> extraEnv, boolean terminal, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("RECALL_URL", recall.url());
        CliContext context = new CliContext(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                new BufferedReader(new StringReader(stdin)),
                env,
                home,
                terminal);
        int exit = RecallCli.commandLine(context).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
