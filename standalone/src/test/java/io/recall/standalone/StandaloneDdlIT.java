package io.recall.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.testsupport.DatabaseSnapshot;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 6 end to end, only through the public REST API of a standalone Recall (local storage): a source registered
 * with a superuser role gets Recall's event triggers, and its source view says so ({@code ddlCapture}). A workload
 * interleaves data changes with schema changes — ADD COLUMN with a constant default, DROP COLUMN, ALTER COLUMN TYPE
 * ... USING, CREATE TABLE with rows in the same transaction, RENAME TABLE then writes to it, DROP TABLE, CREATE INDEX,
 * a new partition of a partitioned table with rows routed to it, DROP TABLE + DROP SCHEMA of a captured schema and a
 * new schema of that name with a serial table — and names a restore point after each step (and right after the
 * schema change of each step that writes after it), recording the source's schema ({@code pg_dump --schema-only},
 * normalised) and data (per table, rows in "C" order, hashed) there. The schema history lists every command in
 * commit-LSN order, between the restore points around its step; a restore to every one of those points, and to
 * {@code latest}, succeeds and equals the source at that point.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneDdlIT {

    private static final Logger log = LoggerFactory.getLogger(StandaloneDdlIT.class);

    private static final String[] SETUP = {
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int NOT NULL)",
        "CREATE TABLE old_stuff (id int PRIMARY KEY, v text)",
        "CREATE TABLE doomed (id int PRIMARY KEY, v text)",
        "CREATE TABLE measures (id int, k int, v numeric, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)",
        "CREATE TABLE measures_0 PARTITION OF measures FOR VALUES FROM (0) TO (100)",
        "CREATE SCHEMA extra",
        "CREATE TABLE extra.seed (id int PRIMARY KEY, v text)",
        "CREATE SCHEMA scratch",
        "CREATE TABLE scratch.tmp (id int PRIMARY KEY, v text)",
        "INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 50) g",
        "INSERT INTO old_stuff SELECT g, 'old ' || g FROM generate_series(1, 10) g",
        "INSERT INTO doomed SELECT g, 'doomed ' || g FROM generate_series(1, 10) g",
        "INSERT INTO measures SELECT g, g % 100, g * 1.5 FROM generate_series(1, 30) g",
        "INSERT INTO extra.seed SELECT g, 'seed ' || g FROM generate_series(1, 5) g",
        "INSERT INTO scratch.tmp SELECT g, 'tmp ' || g FROM generate_series(1, 5) g",
    };

    /**
     * One step of the workload: its transactions (one per entry; an entry may hold BEGIN ... COMMIT) and the command
     * tags the schema history must list for it, in order. The restore point after it is named after it.
     */
    private record Step(String name, List<String> tags, String... transactions) {}

    private static final List<Step> STEPS = List.of(
            new Step(
                    "before-ddl",
                    List.of(),
                    "UPDATE items SET qty = qty + 1 WHERE id % 2 = 0",
                    "DELETE FROM items WHERE id = 7",
                    "INSERT INTO measures VALUES (31, 31, 0.5)",
                    "UPDATE extra.seed SET v = v || '!' WHERE id = 2",
                    "UPDATE scratch.tmp SET v = v || '?' WHERE id = 3"),
            new Step(
                    "add-column",
                    List.of("ALTER TABLE"),
                    "ALTER TABLE items ADD COLUMN price numeric(10,2) DEFAULT 9.99",
                    "UPDATE items SET price = price + id WHERE id % 3 = 0",
                    "INSERT INTO items (id, name, qty) VALUES (1000, 'late', 1)"),
            new Step(
                    "drop-column",
                    List.of("ALTER TABLE"),
                    "ALTER TABLE items DROP COLUMN name",
                    "INSERT INTO items (id, qty, price) VALUES (1001, 5, 1.25)"),
            new Step(
                    "alter-type-using",
                    List.of("ALTER TABLE"),
                    "ALTER TABLE items ALTER COLUMN qty TYPE bigint USING qty * 1000",
                    "UPDATE items SET qty = qty + 1 WHERE id < 5"),
            new Step(
                    "create-table-with-rows",
                    List.of("CREATE TABLE"),
                    "BEGIN; CREATE TABLE fresh (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text NOT"
                            + " NULL, created timestamptz DEFAULT now()); INSERT INTO fresh (note) SELECT 'n' || g FROM"
                            + " generate_series(1, 20) g; COMMIT",
                    "UPDATE fresh SET note = note || '!' WHERE id % 4 = 0"),
            new Step(
                    "rename-table",
                    List.of("ALTER TABLE"),
                    "ALTER TABLE old_stuff RENAME TO new_stuff",
                    "INSERT INTO new_stuff VALUES (11, 'renamed')",
                    "UPDATE new_stuff SET v = upper(v) WHERE id < 3",
                    "DELETE FROM new_stuff WHERE id = 5"),
            new Step(
                    "drop-table",
                    List.of("DROP TABLE"),
                    "DROP TABLE doomed",
                    "INSERT INTO items (id, qty) VALUES (1002, 1)"),
            new Step(
                    "create-index",
                    List.of("CREATE INDEX"),
                    "CREATE INDEX items_qty_idx ON items (qty)",
                    "DELETE FROM items WHERE id = 9"),
            new Step(
                    "new-partition",
                    List.of("CREATE TABLE"),
                    "CREATE TABLE measures_1 PARTITION OF measures FOR VALUES FROM (100) TO (200)",
                    "INSERT INTO measures SELECT g, 100 + g, g / 3.0 FROM generate_series(1, 15) g",
                    "UPDATE measures SET v = v * 2 WHERE k >= 100 AND id % 2 = 0"),
            new Step(
                    "drop-schema",
                    List.of("DROP TABLE", "DROP SCHEMA"),
                    "DROP TABLE extra.seed",
                    "DROP SCHEMA extra",
                    "UPDATE items SET price = 0 WHERE id = 1"),
            new Step(
                    "new-schema-serial",
                    List.of("CREATE SCHEMA", "CREATE TABLE"),
                    "BEGIN; CREATE SCHEMA extra; CREATE TABLE extra.t (id serial PRIMARY KEY, v text); COMMIT",
                    "INSERT INTO extra.t (v) SELECT 'e' || g FROM generate_series(1, 5) g"));

    /** The source right after one step, as the restore point named after the step saw it. */
    private record Checkpoint(String name, Step step, Lsn lsn, String schema, Map<String, String> data) {}

    private final ObjectMapper json = new ObjectMapper();
    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    /** The restore points at the end of each step. */
    private final List<Checkpoint> checkpoints = new ArrayList<>();
    /** Those and the restore points right after the first (schema-changing) transaction of a step, in LSN order. */
    private final List<Checkpoint> points = new ArrayList<>();

    private Path data;
    private RecallUnderTest recall;
    private String user;
    private String password;
    private String db;
    private String sourceId;

    @BeforeAll
    void captureAWorkloadWithSchemaChanges() throws Exception {
        user = "ddl_" + UUID.randomUUID().toString().substring(0, 8);
        password = "pw-" + UUID.randomUUID();
        // event triggers need a superuser: with one, capture records schema changes (issue 6)
        pg.createRole(user, password, "LOGIN SUPERUSER REPLICATION");
        db = pg.createDatabase("ddlsrc");
        pg.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        String[] setup = new String[SETUP.length + 1];
        setup[0] = "SET ROLE " + user;
        System.arraycopy(SETUP, 0, setup, 1, SETUP.length);
        pg.execute(db, setup);

        data = Files.createTempDirectory("recall-ddl-it");
        recall = RecallUnderTest.start(data.resolve("data"));

        // "extra.*" must match a table at registration (the probe refuses a pattern that matches none), so the
        // schema exists from the start; the workload drops it and creates a new one of that name, with a serial
        // table. "scratch.*" is only for the known bug below.
        HttpResponse<String> created = send(
                "POST",
                "/api/v1/sources",
                Map.of(
                        "name",
                        "ddl-src",
                        "connectionString",
                        pg.connectionUri(user, password, db),
                        "tables",
                        List.of("public.*", "extra.*", "scratch.*")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        sourceId = json.readTree(created.body()).get("id").asText();
        // the triggers must be in place before the first schema change
        awaitJson(
                "/api/v1/sources/" + sourceId,
                s -> "STREAMING".equals(s.path("status").asText())
                        && "EVENT_TRIGGER"
                                .equals(s.path("ddlCapture").path("mode").asText()));

        for (Step step : STEPS) {
            checkpoints.add(run(step, points));
        }
        awaitDurable();
    }

    @AfterAll
    void stop() {
        if (recall != null) {
            recall.close();
        }
    }

    @Test
    @Order(1)
    void theSourceSaysItsSchemaChangesAreCapturedByEventTriggers() throws Exception {
        JsonNode source =
                json.readTree(send("GET", "/api/v1/sources/" + sourceId, null).body());
        assertThat(source.path("status").asText()).as(source.toString()).isEqualTo("STREAMING");
        assertThat(source.path("ddlCaptureMode").asText())
                .as("what the probe expects for a superuser")
                .isEqualTo("EVENT_TRIGGER");
        JsonNode ddl = source.path("ddlCapture");
        assertThat(ddl.path("mode").asText()).as(ddl.toString()).isEqualTo("EVENT_TRIGGER");
        assertThat(ddl.path("transport").asText())
                .as(ddl.toString())
                .isEqualTo(pg.majorVersion() >= 14 ? "MESSAGE" : "TABLE");
        assertThat(ddl.path("detail").asText()).as(ddl.toString()).isNotBlank();
        assertThat(count(db, "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'recall\\_ddl\\_%'"))
                .as("Recall's event triggers on the source")
                .isPositive();
        assertThat(source.toString()).doesNotContain(password);
    }

    @Test
    @Order(2)
    void theSchemaHistoryListsEveryCommandInCommitOrderBetweenTheRestorePointsAroundIt() throws Exception {
        Lsn lastButOne = checkpoints.get(checkpoints.size() - 2).lsn();
        // reports reach the coordinator asynchronously: wait for the last step's commands
        JsonNode history = awaitJson(
                historyPath(null, null),
                h -> h.path("changes").size() > 0
                        && Lsn.parse(h.path("changes")
                                                .get(h.path("changes").size() - 1)
                                                .path("lsn")
                                                .asText())
                                        .compareTo(lastButOne)
                                > 0);
        log.info("schema history: {}", history.toPrettyString());
        assertThat(history.path("sourceId").asText()).isEqualTo(sourceId);
        List<JsonNode> changes = list(history.path("changes"));

        // commit-LSN order, then position in the transaction
        for (int i = 1; i < changes.size(); i++) {
            JsonNode a = changes.get(i - 1);
            JsonNode b = changes.get(i);
            int byLsn = lsn(a).compareTo(lsn(b));
            assertThat(byLsn < 0
                            || (byLsn == 0
                                    && a.path("ordinal").asInt()
                                            < b.path("ordinal").asInt()))
                    .as("%s comes before %s", a, b)
                    .isTrue();
        }
        for (JsonNode c : changes) {
            assertThat(c.path("approximate").asBoolean(true)).as(c.toString()).isFalse();
            assertThat(c.path("xid").asLong()).as(c.toString()).isPositive();
            assertThat(c.path("time").asText()).as(c.toString()).isNotBlank();
            assertThat(c.path("objects").size()).as(c.toString()).isPositive();
        }

        // each step's commands, and only those, lie between the restore points around it (from/to are inclusive)
        List<JsonNode> stitched = new ArrayList<>();
        Lsn previous = null;
        for (Checkpoint cp : checkpoints) {
            List<JsonNode> window =
                    list(getJson(historyPath(previous, cp.lsn())).path("changes"));
            assertThat(window.stream().map(c -> c.path("commandTag").asText()).toList())
                    .as("commands of step %s (between %s and %s)", cp.step().name(), previous, cp.lsn())
                    .isEqualTo(cp.step().tags());
            stitched.addAll(window);
            previous = cp.lsn();
        }
        assertThat(stitched).as("the windows together are the whole history").isEqualTo(changes);

        assertThat(objects(window("add-column"))).anySatisfy(o -> assertObject(o, "table", "public.items", "ALTER"));
        assertThat(objects(window("drop-column"))).anySatisfy(o -> assertObject(o, "table", "public.items", "ALTER"));
        assertThat(objects(window("alter-type-using")))
                .anySatisfy(o -> assertObject(o, "table", "public.items", "ALTER"));
        assertThat(objects(window("create-table-with-rows")))
                .anySatisfy(o -> assertObject(o, "table", "public.fresh", "CREATE"));
        List<JsonNode> renamed = objects(window("rename-table"));
        assertThat(renamed)
                .as("a rename names the table by its new name")
                .anySatisfy(o -> assertObject(o, "table", "public.new_stuff", "ALTER"));
        assertThat(renamed)
                .noneSatisfy(o -> assertThat(o.path("identity").asText()).isEqualTo("public.old_stuff"));
        assertThat(objects(window("drop-table")))
                .as("a drop names the table it dropped")
                .anySatisfy(o -> assertObject(o, "table", "public.doomed", "DROP"));
        assertThat(objects(window("create-index")))
                .anySatisfy(o -> assertObject(o, "index", "public.items_qty_idx", "CREATE"));
        assertThat(objects(window("new-partition")))
                .anySatisfy(o -> assertObject(o, "table", "public.measures_1", "CREATE"));
        List<JsonNode> droppedSchema = objects(window("drop-schema"));
        assertThat(droppedSchema).anySatisfy(o -> assertObject(o, "table", "extra.seed", "DROP"));
        assertThat(droppedSchema).anySatisfy(o -> assertObject(o, "schema", "extra", "DROP"));
        List<JsonNode> newSchema = objects(window("new-schema-serial"));
        assertThat(newSchema).anySatisfy(o -> assertObject(o, "schema", "extra", "CREATE"));
        assertThat(newSchema).anySatisfy(o -> assertObject(o, "table", "extra.t", "CREATE"));
        assertThat(newSchema)
                .as("the sequence a serial column creates is an object of its CREATE TABLE")
                .anySatisfy(o -> assertThat(o.path("identity").asText()).isEqualTo("extra.t_id_seq"));
    }

    @Test
    @Order(3)
    void fromAndToSplitTheHistoryAtARestorePointAndAreInclusive() throws Exception {
        List<JsonNode> all = list(getJson(historyPath(null, null)).path("changes"));
        Lsn rename = checkpoint("rename-table").lsn();
        List<JsonNode> upTo = list(getJson(historyPath(null, rename)).path("changes"));
        List<JsonNode> after = list(getJson(historyPath(rename, null)).path("changes"));
        assertThat(upTo).isNotEmpty().allSatisfy(c -> assertThat(lsn(c)).isLessThanOrEqualTo(rename));
        assertThat(after).isNotEmpty().allSatisfy(c -> assertThat(lsn(c)).isGreaterThanOrEqualTo(rename));
        List<JsonNode> both = new ArrayList<>(upTo);
        both.addAll(after);
        assertThat(both).as("up to and from the restore point of rename-table").isEqualTo(all);
        assertThat(upTo.getLast().path("commandTag").asText()).isEqualTo("ALTER TABLE");
        assertThat(objects(List.of(upTo.getLast())))
                .anySatisfy(o -> assertObject(o, "table", "public.new_stuff", "ALTER"));
        assertThat(after.getFirst().path("commandTag").asText()).isEqualTo("DROP TABLE");

        // both bounds are inclusive: from = to = a commit LSN gives that transaction's commands
        JsonNode renameChange = upTo.getLast();
        List<JsonNode> exact =
                list(getJson(historyPath(lsn(renameChange), lsn(renameChange))).path("changes"));
        assertThat(exact).containsExactly(renameChange);

        HttpResponse<String> malformed = send("GET", "/api/v1/sources/" + sourceId + "/schema-history?from=nope", null);
        assertThat(malformed.statusCode()).as(malformed.body()).isEqualTo(400);
    }

    @Test
    @Order(4)
    void restoresBeforeAndAfterSchemaChangesEqualTheSourceAtThatPoint() throws Exception {
        // every point differs from the one before it, so a restore one transaction off would be seen
        for (int i = 1; i < points.size(); i++) {
            Checkpoint a = points.get(i - 1);
            Checkpoint b = points.get(i);
            assertThat(a.schema().equals(b.schema()) && a.data().equals(b.data()))
                    .as("the source at %s and at %s look the same", a.name(), b.name())
                    .isFalse();
        }
        List<String> differences = new ArrayList<>();
        for (Checkpoint cp : points) {
            restoreAndCompare(Map.of("restorePoint", cp.name()), cp, differences);
        }
        restoreAndCompare(Map.of("latest", true), checkpoints.getLast(), differences);
        assertThat(differences).as("restores that differ from the source").isEmpty();
    }

    /**
     * After {@code DROP SCHEMA ... CASCADE} of a schema that holds a table of the base backup, a restore past the drop
     * succeeds without that table (the event trigger records only the schema; the tables that go with it must not be
     * expected by the final check). Runs after the other tests: it changes the source.
     */
    @Test
    @Order(5)
    void aRestorePastDropSchemaCascadeOfABaseBackupTableSucceeds() throws Exception {
        List<Checkpoint> cascadePoints = new ArrayList<>();
        Checkpoint cascade = run(
                new Step("drop-schema-cascade", List.of("DROP SCHEMA"), "DROP SCHEMA scratch CASCADE"), cascadePoints);
        awaitDurable();
        assertThat(cascade.data()).doesNotContainKey("scratch.tmp");

        List<String> differences = new ArrayList<>();
        restoreAndCompare(Map.of("restorePoint", "drop-schema-cascade"), cascade, differences);
        assertThat(differences).as("restore past DROP SCHEMA scratch CASCADE").isEmpty();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Runs one step as the source's role, then names a restore point and records the source there; a step that
     * changes the schema and writes after it gets a restore point right after its first transaction as well
     * ({@code <step>.ddl}). Adds every point to {@code all}; returns the one at the end of the step.
     */
    private Checkpoint run(Step step, List<Checkpoint> all) throws Exception {
        String[] txs = step.transactions();
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement()) {
            st.execute("SET ROLE " + user);
            for (int i = 0; i < txs.length; i++) {
                st.execute(txs[i]);
                if (i == 0 && !step.tags().isEmpty() && txs.length > 1) {
                    all.add(point(step.name() + ".ddl", step));
                }
            }
        }
        Checkpoint end = point(step.name(), step);
        all.add(end);
        return end;
    }

    /** Names a restore point now and records the source there (quiesced: nothing writes in between). */
    private Checkpoint point(String name, Step step) throws Exception {
        HttpResponse<String> point =
                send("POST", "/api/v1/sources/" + sourceId + "/restore-points", Map.of("name", name));
        assertThat(point.statusCode()).as(point.body()).isEqualTo(201);
        Lsn lsn = Lsn.parse(json.readTree(point.body()).get("lsn").asText());
        log.info("restore point {} at {}", name, lsn);
        return new Checkpoint(name, step, lsn, schema(db), data(db));
    }

    private void awaitDurable() throws SQLException {
        Lsn end = currentWal();
        awaitJson(
                "/api/v1/sources/" + sourceId,
                s -> s.hasNonNull("durableLsn")
                        && Lsn.parse(s.get("durableLsn").asText()).compareTo(end) >= 0);
    }

    private void restoreAndCompare(Map<String, Object> target, Checkpoint expected, List<String> differences)
            throws Exception {
        long started = System.nanoTime();
        String into = "ddldst_" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("sourceId", sourceId);
        request.put("target", target);
        request.put("inclusive", true);
        request.put("targetConnectionString", pg.connectionUri(user, password, into));
        request.put("createDatabase", true);
        HttpResponse<String> accepted = send("POST", "/api/v1/restores", request);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = json.readTree(accepted.body()).get("id").asText();
        JsonNode done = awaitJson(
                "/api/v1/restores/" + id,
                r -> List.of("SUCCEEDED", "FAILED", "CANCELLED")
                        .contains(r.path("status").asText()));
        String what = target + " (source at " + expected.name() + ")";
        log.info(
                "restore to {} ended {} in {} ms",
                what,
                done.path("status").asText(),
                (System.nanoTime() - started) / 1_000_000);
        if (!"SUCCEEDED".equals(done.path("status").asText())) {
            differences.add(what + ": restore " + done.path("status").asText() + ": " + done.path("error"));
            return;
        }
        if (target.containsKey("restorePoint")) {
            Lsn restoredTo = Lsn.parse(done.path("restoredTo").path("lsn").asText());
            if (restoredTo.compareTo(expected.lsn()) > 0) {
                differences.add(what + ": restored to " + restoredTo + ", past the restore point " + expected.lsn());
            }
        }
        String schema = schema(into);
        if (!schema.equals(expected.schema())) {
            differences.add(what + ": schema differs:\n" + diff(expected.schema(), schema));
        }
        Map<String, String> rows = data(into);
        if (!rows.equals(expected.data())) {
            differences.add(what + ": data differs: source " + expected.data() + "\n  restored " + rows);
        }
        long recallObjects = count(
                into,
                "SELECT (SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'recall\\_ddl\\_%')"
                        + " + (SELECT count(*) FROM pg_namespace WHERE nspname = '_recall')");
        if (recallObjects != 0) {
            differences.add(what + ": the restore holds Recall's event triggers or its _recall schema");
        }
    }

    private static void assertObject(JsonNode o, String type, String identity, String action) {
        assertThat(o.path("objectType").asText()).as(o.toString()).isEqualTo(type);
        assertThat(o.path("identity").asText()).as(o.toString()).isEqualTo(identity);
        assertThat(o.path("action").asText()).as(o.toString()).isEqualTo(action);
        assertThat(o.path("replayed").asBoolean()).as(o.toString()).isTrue();
    }

    private Checkpoint checkpoint(String step) {
        return checkpoints.stream()
                .filter(c -> c.step().name().equals(step))
                .findFirst()
                .orElseThrow();
    }

    /** The history of one step: between the restore point before it and its own. */
    private List<JsonNode> window(String step) throws Exception {
        int i = checkpoints.indexOf(checkpoint(step));
        Lsn from = i == 0 ? null : checkpoints.get(i - 1).lsn();
        return list(getJson(historyPath(from, checkpoints.get(i).lsn())).path("changes"));
    }

    private static List<JsonNode> objects(List<JsonNode> changes) {
        return changes.stream().flatMap(c -> list(c.path("objects")).stream()).toList();
    }

    private static List<JsonNode> list(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).toList();
    }

    private static Lsn lsn(JsonNode change) {
        return Lsn.parse(change.path("lsn").asText());
    }

    private String historyPath(Lsn from, Lsn to) {
        StringBuilder p = new StringBuilder("/api/v1/sources/" + sourceId + "/schema-history");
        String sep = "?";
        if (from != null) {
            p.append(sep).append("from=").append(URLEncoder.encode(from.toString(), StandardCharsets.UTF_8));
            sep = "&";
        }
        if (to != null) {
            p.append(sep).append("to=").append(URLEncoder.encode(to.toString(), StandardCharsets.UTF_8));
        }
        return p.toString();
    }

    /** Per user table, its row count and the md5 of its whole rows in "C" order. */
    private Map<String, String> data(String database) throws SQLException {
        try (Connection c = pg.connect(database)) {
            return DatabaseSnapshot.data(c);
        }
    }

    private String schema(String database) throws IOException, InterruptedException {
        return DatabaseSnapshot.schema(pg, database);
    }

    private static String diff(String expected, String actual) {
        return DatabaseSnapshot.diff(expected, actual);
    }

    private long count(String database, String sql) throws SQLException {
        try (Connection c = pg.connect(database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Lsn currentWal() throws SQLException {
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    private JsonNode getJson(String path) throws Exception {
        HttpResponse<String> r = send("GET", path, null);
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private JsonNode awaitJson(String path, Predicate<JsonNode> condition) {
        return recall.awaitJson(path, Duration.ofSeconds(180), condition);
    }

    private HttpResponse<String> send(String method, String path, Object body) throws Exception {
        return recall.send(method, path, body);
    }
}
