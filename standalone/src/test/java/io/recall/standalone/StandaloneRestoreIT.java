package io.recall.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import io.recall.testsupport.S3Endpoint;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Issue 5 end to end, only through the public REST API of a standalone Recall storing on S3 (S3Proxy): a source under a mixed workload
 * (inserts, updates that leave a TOASTed value unchanged, deletes, a truncate, sequences and an identity column, a
 * composite key, REPLICA IDENTITY FULL, numeric/jsonb/array/bytea/timestamptz/uuid/enum columns, a partitioned table)
 * is restored to LSN, time, xid (inclusive and exclusive), named restore point and latest targets; each restored
 * database equals the source as the test saw it at that point, table by table (ordered content hash), and every
 * sequence is at least where it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandaloneRestoreIT {

    private static final List<String> TABLES =
            List.of("public.accounts", "public.lines", "public.audit", "public.readings");

    private final ObjectMapper json = new ObjectMapper();
    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);

    private Path data;
    private RecallUnderTest recall;
    private String user;
    private String password;
    private String db;
    private String sourceId;
    private String bucket;

    /** The source's state at one point, and how to name that point. */
    private record Point(Map<String, String> hashes, Map<String, Long> sequences) {}

    @BeforeAll
    void start() throws Exception {
        user = "rst_" + UUID.randomUUID().toString().substring(0, 8);
        password = "pw-" + UUID.randomUUID();
        pg.createRole(user, password, "LOGIN REPLICATION CREATEDB");
        db = pg.createDatabase("rsrc");
        pg.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        pg.execute(
                db,
                "SET ROLE " + user,
                "CREATE TYPE mood AS ENUM ('calm', 'busy', 'angry')",
                "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,"
                        + " balance numeric(14,2), tags text[], meta jsonb, avatar bytea, opened timestamptz,"
                        + " uid uuid, mood mood, notes text)",
                "ALTER TABLE accounts ALTER COLUMN notes SET STORAGE EXTERNAL",
                "CREATE TABLE lines (order_id int, line int, qty int NOT NULL, price numeric,"
                        + " PRIMARY KEY (order_id, line))",
                "CREATE TABLE audit (at timestamptz, what text)",
                "ALTER TABLE audit REPLICA IDENTITY FULL",
                "CREATE TABLE readings (id serial, day date NOT NULL, v double precision,"
                        + " PRIMARY KEY (id, day)) PARTITION BY RANGE (day)",
                "CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
                "CREATE SEQUENCE tickets",
                "INSERT INTO accounts (name, balance, tags, meta, avatar, opened, uid, mood, notes)"
                        + " SELECT 'a' || g, g * 1.5, ARRAY['t' || g, 'x'], jsonb_build_object('g', g),"
                        + " decode(md5(g::text), 'hex'), '2026-01-01'::timestamptz + g * interval '1 hour',"
                        + " md5(g::text)::uuid, 'calm', repeat(md5(g::text), 400) FROM generate_series(1, 50) g",
                "INSERT INTO lines SELECT o, l, o * l, o + l / 10.0 FROM generate_series(1, 20) o,"
                        + " generate_series(1, 3) l",
                "INSERT INTO audit SELECT now(), 'seed ' || g FROM generate_series(1, 10) g",
                "INSERT INTO readings (day, v) SELECT DATE '2025-06-01' + g * 5, g / 3.0 FROM generate_series(1, 60) g",
                "SELECT nextval('tickets') FROM generate_series(1, 5)");

        data = Files.createTempDirectory("recall-restore-it");
        // every role on S3 (S3Proxy): base backups, segments, markers and restore downloads
        RecallUnderTest.S3Storage storage = RecallUnderTest.s3Storage("recall-it");
        bucket = storage.bucket();
        recall = RecallUnderTest.start(data.resolve("data"), storage.args());

        HttpResponse<String> created = send(
                "POST",
                "/api/v1/sources",
                Map.of("name", "restore-src", "connectionString", pg.connectionUri(user, password, db)));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        sourceId = json.readTree(created.body()).get("id").asText();
        awaitJson(
                "/api/v1/sources/" + sourceId,
                s -> "STREAMING".equals(s.path("status").asText()));
    }

    @AfterAll
    void stop() {
        if (recall != null) {
            recall.close();
        }
    }

    @Test
    void everyKindOfTargetRestoresTheSourceAsItWasThen() throws Exception {
        // step 1: updates (one leaves the TOASTed notes unchanged), deletes, inserts in every table
        source(
                "UPDATE accounts SET balance = balance + 100, mood = 'busy' WHERE id % 3 = 0",
                "DELETE FROM accounts WHERE id % 7 = 0",
                "INSERT INTO accounts (name, balance, meta, uid, mood, notes) VALUES ('new', 1e9, '{\"deep\": [1, 2]}',"
                        + " gen_random_uuid(), 'angry', repeat('z', 9000))",
                "UPDATE lines SET qty = qty + 1 WHERE order_id < 5",
                "DELETE FROM lines WHERE order_id = 7 AND line = 2",
                "UPDATE audit SET what = what || ' (seen)' WHERE what = 'seed 3'",
                "DELETE FROM audit WHERE what = 'seed 4'",
                "INSERT INTO readings (day, v) VALUES ('2026-02-01', 1), ('2025-12-31', 2)",
                "SELECT nextval('tickets') FROM generate_series(1, 10)");
        Point p1 = snapshot();
        Lsn lsn1 = currentWal();
        Thread.sleep(1100);
        Instant time2Before = serverNow();

        // step 2: a truncate, a key change, a TOAST-unchanged update of a row changed in step 1
        source(
                "TRUNCATE audit",
                "INSERT INTO audit VALUES (now(), 'after truncate')",
                "UPDATE lines SET line = 9 WHERE order_id = 1 AND line = 1",
                "UPDATE accounts SET name = name || '!' WHERE id = 3",
                "UPDATE readings SET v = -v WHERE day < '2025-08-01'",
                "SELECT nextval('tickets') FROM generate_series(1, 10)");
        Point p2 = snapshot();
        Thread.sleep(1100);
        Instant time2 = serverNow();
        Thread.sleep(1100);
        HttpResponse<String> point =
                send("POST", "/api/v1/sources/" + sourceId + "/restore-points", Map.of("name", "before-xid"));
        assertThat(point.statusCode()).as(point.body()).isEqualTo(201);

        // step 3: one transaction whose xid is the target
        long xid;
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("SET ROLE " + user);
            try (ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
                rs.next();
                xid = rs.getLong(1);
            }
            st.execute("DELETE FROM accounts WHERE id BETWEEN 10 AND 20");
            st.execute("INSERT INTO lines VALUES (99, 1, 1, 1)");
            c.commit();
        }
        Point p3 = snapshot();

        // step 4: more, then latest
        source(
                "UPDATE accounts SET tags = tags || 'late'::text WHERE id < 5",
                "INSERT INTO readings (day, v) SELECT DATE '2026-03-01' + g, g FROM generate_series(1, 30) g",
                "SELECT nextval('tickets') FROM generate_series(1, 10)");
        Point p4 = snapshot();
        Lsn end = currentWal();
        awaitJson(
                "/api/v1/sources/" + sourceId,
                s -> s.hasNonNull("durableLsn")
                        && Lsn.parse(s.get("durableLsn").asText()).compareTo(end) >= 0);

        assertRestored(Map.of("lsn", lsn1.toString()), false, p1);
        assertRestored(Map.of("time", time2.toString()), true, p2);
        assertRestored(Map.of("time", time2Before.toString()), true, p1);
        assertRestored(Map.of("restorePoint", "before-xid"), true, p2);
        assertRestored(Map.of("xid", xid), true, p3);
        assertRestored(Map.of("xid", xid), false, p2);
        assertRestored(Map.of("latest", true), true, p4);

        try (S3Client client = S3Endpoint.shared().newClient()) {
            assertThat(client.listObjectsV2(r -> r.bucket(bucket).prefix("recall-it/sources/" + sourceId + "/"))
                            .contents())
                    .as("base backups and segments are in the bucket")
                    .anySatisfy(o -> assertThat(o.key()).contains("/segments/"))
                    .anySatisfy(o -> assertThat(o.key()).endsWith("/manifest.json"));
        }
    }

    @Test
    void unsafeTargetsAreRefusedAndOverwriteReplacesWhatIsThere() throws Exception {
        Lsn now = currentWal();
        awaitJson(
                "/api/v1/sources/" + sourceId,
                s -> s.hasNonNull("durableLsn")
                        && Lsn.parse(s.get("durableLsn").asText()).compareTo(now) >= 0);

        HttpResponse<String> intoSource = send("POST", "/api/v1/restores", request(Map.of("latest", true), true, db));
        assertThat(intoSource.statusCode()).as(intoSource.body()).isEqualTo(422);
        assertThat(intoSource.body()).doesNotContain(password);

        HttpResponse<String> pastTheEnd =
                send("POST", "/api/v1/restores", request(Map.of("lsn", "FF/0"), true, pg.createDatabase("rtgt")));
        assertThat(pastTheEnd.statusCode()).as(pastTheEnd.body()).isEqualTo(422);
        assertThat(json.readTree(pastTheEnd.body()).has("window")).isTrue();

        String busy = pg.createDatabase("rbusy");
        pg.execute(busy, "ALTER DATABASE " + busy + " OWNER TO " + user);
        pg.execute(busy, "SET ROLE " + user + "; CREATE TABLE keep_me (id int)");
        JsonNode refused = runRestore(request(Map.of("latest", true), true, busy));
        assertThat(refused.get("status").asText()).as(refused.toString()).isEqualTo("FAILED");
        assertThat(refused.get("error").asText()).contains("not empty");

        Map<String, Object> overwrite = new LinkedHashMap<>(request(Map.of("latest", true), true, busy));
        overwrite.put("mode", "overwrite");
        JsonNode done = runRestore(overwrite);
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(count(busy, "SELECT count(*) FROM pg_tables WHERE tablename = 'keep_me'"))
                .isZero();
        assertThat(count(busy, "SELECT count(*) FROM accounts")).isPositive();
    }

    // ---------------------------------------------------------------- helpers

    private void assertRestored(Map<String, Object> target, boolean inclusive, Point expected) throws Exception {
        String into = "rdst_" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> request = new LinkedHashMap<>(request(target, inclusive, into));
        request.put("createDatabase", true);
        JsonNode done = runRestore(request);
        assertThat(done.get("status").asText())
                .as("restore to %s (inclusive %s): %s", target, inclusive, done)
                .isEqualTo("SUCCEEDED");
        assertThat(done.path("restoredTo").path("lsn").asText()).contains("/");
        assertThat(hashes(into))
                .as("tables restored to %s (inclusive %s)", target, inclusive)
                .isEqualTo(expected.hashes());
        Map<String, Long> sequences = sequences(into);
        expected.sequences()
                .forEach((name, value) -> assertThat(sequences.get(name))
                        .as("sequence %s restored to %s", name, target)
                        .isGreaterThanOrEqualTo(value));
    }

    private Map<String, Object> request(Map<String, Object> target, boolean inclusive, String database) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("sourceId", sourceId);
        r.put("target", target);
        r.put("inclusive", inclusive);
        r.put("targetConnectionString", pg.connectionUri(user, password, database));
        return r;
    }

    /** Submits a restore and waits for it to end; returns its final view. */
    private JsonNode runRestore(Map<String, Object> request) throws Exception {
        HttpResponse<String> accepted = send("POST", "/api/v1/restores", request);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        assertThat(accepted.body()).doesNotContain(password);
        String id = json.readTree(accepted.body()).get("id").asText();
        return awaitJson(
                "/api/v1/restores/" + id,
                r -> List.of("SUCCEEDED", "FAILED", "CANCELLED")
                        .contains(r.path("status").asText()));
    }

    private Point snapshot() throws SQLException {
        return new Point(hashes(db), sequences(db));
    }

    private Map<String, String> hashes(String database) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection c = pg.connect(database);
                Statement st = c.createStatement()) {
            for (String t : TABLES) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|'"
                        + " ORDER BY x::text)), '-') FROM " + t + " x")) {
                    rs.next();
                    out.put(t, rs.getString(1));
                }
            }
        }
        return out;
    }

    private Map<String, Long> sequences(String database) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Connection c = pg.connect(database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT schemaname || '.' || sequencename, coalesce(last_value, 0)"
                        + " FROM pg_sequences ORDER BY 1")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    private long count(String database, String sql) throws SQLException {
        try (Connection c = pg.connect(database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void source(String... sql) {
        for (String s : sql) {
            pg.execute(db, "SET ROLE " + user + "; " + s);
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

    private Instant serverNow() throws SQLException {
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
        }
    }

    private JsonNode awaitJson(String path, Predicate<JsonNode> condition) {
        return recall.awaitJson(path, Duration.ofSeconds(180), condition);
    }

    private HttpResponse<String> send(String method, String path, Object body) throws Exception {
        return recall.send(method, path, body);
    }
}
