package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.pg.ClientTools;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.change.Heartbeat;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The base backup plus the captured changes of a busy source reproduce the source exactly: writers run before,
 * during and after the base backup; the dump is restored into a new database and the captured transactions replayed
 * (with a simple test-code replay until the restore worker exists); every table must then equal the source.
 */
class CaptureReplayIT {

    private static final List<String> TABLES = List.of("accounts", "docs", "events");
    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);

    @Test
    void baseBackupPlusCapturedChangesReproduceABusySource() throws Exception {
        try (CaptureHarness h = new CaptureHarness()) {
            h.startWorker("replay-worker");
            CaptureHarness.Source s = h.createSource(
                    pg,
                    "CREATE TABLE accounts (id int PRIMARY KEY, balance numeric(14,2) NOT NULL, note text)",
                    "CREATE TABLE docs (id int PRIMARY KEY, body text, v int)",
                    "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
                    "CREATE TABLE events (at timestamptz, payload jsonb)",
                    "ALTER TABLE events REPLICA IDENTITY FULL",
                    "INSERT INTO accounts SELECT g, 100, 'seed' FROM generate_series(1, 200) g",
                    "INSERT INTO docs SELECT g, repeat(md5(g::text), 200), 0 FROM generate_series(1, 20) g");

            AtomicBoolean writing = new AtomicBoolean(true);
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                long seed = 42 + w;
                int writerId = w;
                writers.add(Thread.ofVirtual().start(() -> {
                    Random r = new Random(seed);
                    int n = 0;
                    while (writing.get()) {
                        n++;
                        int id = 1 + r.nextInt(200);
                        int doc = 1 + r.nextInt(20);
                        switch (r.nextInt(7)) {
                            case 0 ->
                                s.sql("UPDATE accounts SET balance = balance + " + r.nextInt(50) + " WHERE id = " + id);
                            case 1 ->
                                s.sql("BEGIN; UPDATE accounts SET balance = balance - 1 WHERE id = " + id
                                        + "; UPDATE accounts SET balance = balance + 1, note = 'moved' WHERE id = "
                                        + (1 + (id % 200)) + "; COMMIT");
                            case 2 -> s.sql("UPDATE docs SET v = v + 1 WHERE id = " + doc);
                            case 3 ->
                                s.sql("INSERT INTO events VALUES (now(), jsonb_build_object('w', " + writerId
                                        + ", 'n', " + n + "))");
                            case 4 ->
                                s.sql("DELETE FROM events WHERE payload = jsonb_build_object('w', " + writerId
                                        + ", 'n', " + (n - 3) + ")");
                            case 5 ->
                                s.sql("INSERT INTO accounts VALUES (" + (1000 + writerId * 100000 + n)
                                        + ", 1, NULL) ON CONFLICT DO NOTHING");
                            default ->
                                s.sql("BEGIN; DELETE FROM accounts WHERE id = " + (1000 + writerId * 100000 + n - 1)
                                        + "; ROLLBACK");
                        }
                    }
                }));
            }
            Thread.sleep(500);
            h.publish(s, List.of("public.accounts", "public.docs", "public.events"), 1, false);
            h.awaitState(s, CaptureState.STREAMING);
            Thread.sleep(4000);
            writing.set(false);
            for (Thread t : writers) {
                t.join();
            }
            Lsn end = s.currentWal();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> {
                        h.drain();
                        assertThat(h.received.stream()
                                        .anyMatch(e -> e.getSourceId().equals(s.id().toString())
                                                && e.getBody() instanceof Heartbeat hb
                                                && Long.compareUnsigned(hb.getWalEnd(), end.value()) >= 0))
                                .as("a heartbeat says everything before %s is durable", end)
                                .isTrue();
                    });

            Path manifestFile;
            try (Stream<Path> files = Files.walk(h.storage.resolve("sources/" + s.id() + "/base"))) {
                manifestFile = files.filter(p -> p.getFileName().toString().equals("manifest.json"))
                        .findFirst()
                        .orElseThrow();
            }
            BaseBackupManifest manifest = new ObjectMapper()
                    .registerModule(new JavaTimeModule())
                    .readValue(manifestFile.toFile(), BaseBackupManifest.class);
            String target = pg.createDatabase("replay");
            Path pgRestore =
                    new ClientTools(null).find("pg_restore").orElseThrow().path();
            ProcessBuilder restore = new ProcessBuilder(
                            pgRestore.toString(),
                            "--no-owner",
                            "--no-acl",
                            "--exit-on-error",
                            "-d",
                            target,
                            manifestFile.resolveSibling("dump.pgdump").toString())
                    .redirectErrorStream(true);
            restore.environment().put("PGHOST", pg.host());
            restore.environment().put("PGPORT", Integer.toString(pg.port()));
            restore.environment().put("PGUSER", pg.superuser());
            restore.environment().put("PGPASSWORD", pg.superuserPassword());
            Process p = restore.start();
            String output = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(output).isZero();

            int applied;
            try (Connection c = pg.connect(target)) {
                applied = NaiveReplay.apply(
                        c, h.chunks(s), Lsn.parse(manifest.consistentLsn()).value());
            }
            assertThat(applied)
                    .as("transactions replayed after the consistent point")
                    .isGreaterThan(10);
            for (String table : TABLES) {
                assertThat(digest(target, table)).as(table).isEqualTo(digest(s.db(), table));
            }
        }
    }

    private String digest(String db, String table) throws Exception {
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY"
                        + " t::text COLLATE \"C\")), '') FROM " + table + " t")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
