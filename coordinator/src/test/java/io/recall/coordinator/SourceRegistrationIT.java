package io.recall.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.testsupport.FreePorts;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Registration through the REST API against real PostgreSQL clusters. */
@ExtendWith(OutputCaptureExtension.class)
class SourceRegistrationIT extends CoordinatorIT {

    private static final AtomicInteger SEQ = new AtomicInteger();

    /** A database owned by a fresh non-superuser role with REPLICATION, as on a managed service. */
    record SourceDb(PostgresCluster cluster, String database, String user, String password) {
        String uri() {
            return cluster.connectionUri(user, password, database);
        }

        /** Runs statements as the source's owning role, as the application would. */
        void sql(String... statements) {
            List<String> all = new ArrayList<>();
            all.add("SET ROLE " + user);
            all.addAll(List.of(statements));
            cluster.execute(database, all.toArray(String[]::new));
        }
    }

    static SourceDb sourceDb(PostgresCluster cluster, String... ddl) {
        int n = SEQ.incrementAndGet();
        String user = "app_" + n + "_" + System.nanoTime() % 100000;
        String password = "Pw-" + java.util.UUID.randomUUID();
        cluster.createRole(user, password, "LOGIN REPLICATION");
        String db = cluster.createDatabase("src");
        cluster.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user);
        List<String> statements = new ArrayList<>();
        statements.add("SET ROLE " + user);
        statements.addAll(List.of(ddl));
        cluster.execute(db, statements.toArray(String[]::new));
        return new SourceDb(cluster, db, user, password);
    }

    static Map<String, Object> body(String name, String uri, Object... extra) {
        Map<String, Object> b = new HashMap<>();
        b.put("name", name);
        b.put("connectionString", uri);
        for (int i = 0; i < extra.length; i += 2) {
            b.put((String) extra[i], extra[i + 1]);
        }
        return b;
    }

    static JsonNode check(JsonNode report, String id) {
        for (JsonNode c : report.get("checks")) {
            if (c.get("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no check " + id + " in " + report);
    }

    @Test
    void healthySourceRegistersWithItsReport(CapturedOutput output) {
        SourceDb src = sourceDb(
                PG,
                "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)",
                "CREATE TABLE customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text,"
                        + " upper_name text GENERATED ALWAYS AS (upper(name)) STORED)");

        Api.Response r = admin().post("/api/v1/sources", body("healthy-" + SEQ.incrementAndGet(), src.uri()));

        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonNode s = r.json();
        assertThat(s.get("id").asText()).isNotBlank();
        assertThat(s.get("status").asText()).isEqualTo("BASE_BACKUP");
        assertThat(s.get("connectionString").asText()).contains(":****@").doesNotContain(src.password());
        assertThat(s.get("tables")).extracting(JsonNode::asText).containsExactly("public.customers", "public.orders");
        assertThat(s.get("probe").get("outcome").asText()).isIn("PASS", "WARN");
        assertThat(check(s.get("probe"), "wal_level").get("status").asText()).isEqualTo("PASS");
        assertThat(check(s.get("probe"), "replica_identity").get("status").asText())
                .isEqualTo("PASS");
        assertThat(check(s.get("probe"), "replication_connection").get("status").asText())
                .isEqualTo("PASS");
        assertThat(check(s.get("probe"), "role_replication").get("found").asText())
                .contains("REPLICATION");
        assertThat(check(s.get("probe"), "ddl_capture").get("found").asText()).contains("FALLBACK");
        assertThat(check(s.get("probe"), "generated_columns").get("found").asText())
                .contains("public.customers.upper_name");
        // the default max_slot_wal_keep_size is unlimited: registration goes ahead with a warning that says so
        JsonNode keep = check(s.get("probe"), "max_slot_wal_keep_size");
        assertThat(keep.get("status").asText()).isEqualTo("WARN");
        assertThat(keep.get("found").asText()).contains("-1");

        String id = s.get("id").asText();
        Api.Response one = admin().get("/api/v1/sources/" + id);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.json().get("name").asText()).isEqualTo(s.get("name").asText());
        assertThat(one.json().get("probe").get("checks").size())
                .isEqualTo(s.get("probe").get("checks").size());
        Api.Response list = admin().get("/api/v1/sources");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body()).contains(id);

        Api.Response again = admin().post("/api/v1/sources", body(s.get("name").asText(), src.uri()));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.contentType()).contains("application/problem+json");

        for (Api.Response any : List.of(r, one, list, again)) {
            assertThat(any.body()).doesNotContain(src.password());
        }
        assertThat(output.getAll()).doesNotContain(src.password());
    }

    @Test
    void tableWithoutReplicaIdentityIsRefusedUntilFixedOrExcluded() {
        SourceDb src = sourceDb(
                PG,
                "CREATE TABLE good (id int PRIMARY KEY)",
                "CREATE TABLE events (at timestamptz, payload text)",
                "CREATE TABLE nothing_ri (id int PRIMARY KEY)",
                "ALTER TABLE nothing_ri REPLICA IDENTITY NOTHING",
                "CREATE TABLE keyed (code text NOT NULL, v int)",
                "CREATE UNIQUE INDEX keyed_code ON keyed (code)");

        Api.Response refused = admin().post("/api/v1/sources", body("noident-" + SEQ.incrementAndGet(), src.uri()));

        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        assertThat(refused.contentType()).contains("application/problem+json");
        JsonNode ri = check(refused.json().get("report"), "replica_identity");
        assertThat(ri.get("status").asText()).isEqualTo("FAIL");
        assertThat(ri.get("found").asText())
                .contains("public.events", "public.nothing_ri", "public.keyed")
                .doesNotContain("public.good");
        assertThat(ri.get("fix").asText())
                .contains("ALTER TABLE \"public\".\"events\" REPLICA IDENTITY FULL;")
                .contains("ALTER TABLE \"public\".\"keyed\" REPLICA IDENTITY USING INDEX \"keyed_code\";")
                .contains("excludeTables");
        assertThat(refused.json().get("detail").asText()).contains("replica_identity");
        assertThat(admin().get("/api/v1/sources").body()).doesNotContain(src.database());

        // excluded: registers, and the publication list leaves them out
        Api.Response excluded = admin().post(
                        "/api/v1/sources",
                        body(
                                "excluded-" + SEQ.incrementAndGet(),
                                src.uri(),
                                "excludeTables",
                                List.of("public.events", "public.nothing_ri", "public.keyed")));
        assertThat(excluded.status()).as(excluded.body()).isEqualTo(201);
        assertThat(excluded.json().get("tables")).extracting(JsonNode::asText).containsExactly("public.good");

        // fixed as the report said: registers with every table
        src.sql(
                "ALTER TABLE events REPLICA IDENTITY FULL",
                "ALTER TABLE nothing_ri REPLICA IDENTITY DEFAULT",
                "ALTER TABLE keyed REPLICA IDENTITY USING INDEX keyed_code");
        Api.Response fixed = admin().post("/api/v1/sources", body("fixed-" + SEQ.incrementAndGet(), src.uri()));
        assertThat(fixed.status()).as(fixed.body()).isEqualTo(201);
        assertThat(fixed.json().get("tables")).hasSize(4);
    }

    @Test
    void everyLeafPartitionIsChecked() {
        SourceDb src = sourceDb(
                PG,
                "CREATE TABLE metrics (at date NOT NULL, v int) PARTITION BY RANGE (at)",
                "CREATE TABLE metrics_2026 PARTITION OF metrics FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
                "CREATE TABLE metrics_2027 PARTITION OF metrics FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')",
                "ALTER TABLE metrics_2026 REPLICA IDENTITY FULL");

        Api.Response r = admin().post(
                        "/api/v1/sources",
                        body("parts-" + SEQ.incrementAndGet(), src.uri(), "tables", List.of("public.*")));

        assertThat(r.status()).as(r.body()).isEqualTo(422);
        JsonNode ri = check(r.json().get("report"), "replica_identity");
        assertThat(ri.get("found").asText())
                .contains("public.metrics_2027 (partition of public.metrics)")
                .doesNotContain("metrics_2026 ");
        assertThat(check(r.json().get("report"), "partitioned_tables")
                        .get("found")
                        .asText())
                .contains("public.metrics");

        src.sql("ALTER TABLE metrics_2027 REPLICA IDENTITY FULL");
        Api.Response ok = admin().post(
                        "/api/v1/sources",
                        body("parts-ok-" + SEQ.incrementAndGet(), src.uri(), "tables", List.of("public.*")));
        assertThat(ok.status()).as(ok.body()).isEqualTo(201);
        assertThat(ok.json().get("tables")).extracting(JsonNode::asText).containsExactly("public.metrics");
    }

    @Test
    void unknownTablesAndUnownedTablesAreReported() {
        SourceDb src = sourceDb(PG, "CREATE TABLE mine (id int PRIMARY KEY)");
        PG.execute(src.database(), "CREATE TABLE theirs (id int PRIMARY KEY)");

        Api.Response unknown = admin().post(
                        "/api/v1/sources",
                        body("unknown-" + SEQ.incrementAndGet(), src.uri(), "tables", List.of("public.nope")));
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(check(unknown.json().get("report"), "tables_selection")
                        .get("found")
                        .asText())
                .contains("public.nope");

        Api.Response unowned = admin().post("/api/v1/sources", body("unowned-" + SEQ.incrementAndGet(), src.uri()));
        assertThat(unowned.status()).isEqualTo(422);
        JsonNode own = check(unowned.json().get("report"), "tables_ownership");
        assertThat(own.get("found").asText())
                .contains("public.theirs (owner postgres)")
                .doesNotContain("mine");
    }

    @Test
    void walLevelReplicaIsAFailThatSaysSo() {
        try (PostgresCluster replicaLevel = PostgresCluster.start(PgVersion.SYSTEM, Map.of("wal_level", "replica"))) {
            SourceDb src = sourceDb(replicaLevel, "CREATE TABLE t (id int PRIMARY KEY)");
            Api.Response r = admin().post("/api/v1/sources", body("replica-" + SEQ.incrementAndGet(), src.uri()));
            assertThat(r.status()).as(r.body()).isEqualTo(422);
            JsonNode wal = check(r.json().get("report"), "wal_level");
            assertThat(wal.get("status").asText()).isEqualTo("FAIL");
            assertThat(wal.get("found").asText()).isEqualTo("wal_level = replica");
            assertThat(wal.get("fix").asText()).contains("ALTER SYSTEM SET wal_level = logical");
        }
    }

    @Test
    void connectionFailuresAreClearProblems(CapturedOutput output) {
        SourceDb src = sourceDb(PG, "CREATE TABLE t (id int PRIMARY KEY)");
        String wrongPassword = "Wrong-" + java.util.UUID.randomUUID();

        Api.Response auth = admin().post(
                        "/api/v1/sources",
                        body(
                                "badpw-" + SEQ.incrementAndGet(),
                                PG.connectionUri(src.user(), wrongPassword, src.database())));
        assertProblem(auth, 422, "source-authentication-failed", "authentication failed for user");
        assertThat(auth.json().get("sqlState").asText()).isEqualTo("28P01");

        int closed = FreePorts.next();
        Api.Response unreachable = admin().post(
                        "/api/v1/sources",
                        body("down-" + SEQ.incrementAndGet(), "postgresql://u:p@127.0.0.1:" + closed + "/db"));
        assertProblem(unreachable, 422, "source-unreachable", "cannot reach 127.0.0.1:" + closed);

        Api.Response http =
                admin().post("/api/v1/sources", body("http-" + SEQ.incrementAndGet(), "https://example.com/some/page"));
        assertProblem(http, 400, "invalid-connection-string", "not a PostgreSQL connection string");

        // an endpoint that is not PostgreSQL at all: this coordinator's own HTTP port
        Api.Response notPg = admin().post(
                        "/api/v1/sources",
                        body("notpg-" + SEQ.incrementAndGet(), "postgresql://u:p@127.0.0.1:" + port + "/db"));
        assertThat(notPg.status()).as(notPg.body()).isBetween(400, 499);
        assertThat(notPg.contentType()).contains("application/problem+json");

        Api.Response noDb = admin().post(
                        "/api/v1/sources",
                        body(
                                "nodb-" + SEQ.incrementAndGet(),
                                PG.connectionUri(src.user(), src.password(), "no_such_db")));
        assertProblem(noDb, 422, "source-unknown-database", "no_such_db");

        Api.Response garbage = admin().post("/api/v1/sources", "{not json");
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(garbage.contentType()).contains("application/problem+json");

        assertThat(output.getAll()).doesNotContain(wrongPassword);
    }

    private static void assertProblem(Api.Response r, int status, String type, String detail) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).contains("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.get("type").asText()).endsWith("/" + type);
        assertThat(p.get("detail").asText()).contains(detail);
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("trace");
    }

    @Test
    void passwordIsNeverStoredInClearNorReturnedNorLogged(CapturedOutput output) throws Exception {
        String marker = "Zq" + java.util.UUID.randomUUID().toString().replace("-", "");
        SourceDb base = sourceDb(PG, "CREATE TABLE t (id int PRIMARY KEY)");
        PG.execute(base.database(), "ALTER ROLE " + base.user() + " PASSWORD '" + marker + "'");
        SourceDb src = new SourceDb(PG, base.database(), base.user(), marker);

        Api.Response created = admin().post("/api/v1/sources", body("secret-" + SEQ.incrementAndGet(), src.uri()));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().get("id").asText();
        List<Api.Response> responses = List.of(
                created,
                admin().get("/api/v1/sources/" + id),
                admin().get("/api/v1/sources"),
                admin().post("/api/v1/sources/" + id + "/probe", null));
        for (Api.Response r : responses) {
            assertThat(r.status()).as(r.body()).isBetween(200, 201);
            assertThat(r.body()).doesNotContain(marker);
        }

        try (Connection c = PG.connect(METADATA_DB);
                Statement st = c.createStatement()) {
            try (ResultSet rs =
                    st.executeQuery("SELECT s::text, password_ciphertext FROM sources s WHERE id = '" + id + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).doesNotContain(marker);
                assertThat(rs.getString(2)).startsWith("v1:k1:");
            }
            st.execute("CHECKPOINT");
            String file;
            try (ResultSet rs = st.executeQuery("SELECT pg_relation_filepath('sources')")) {
                rs.next();
                file = rs.getString(1);
            }
            byte[] stored = Files.readAllBytes(PG.dataDirectory().resolve(file));
            assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1))
                    .doesNotContain(marker);
            assertThat(containsBytes(stored, src.database().getBytes()))
                    .as("the row is in the file")
                    .isTrue();
            for (Path wal : Files.list(PG.dataDirectory().resolve("pg_wal"))
                    .filter(Files::isRegularFile)
                    .toList()) {
                assertThat(containsBytes(Files.readAllBytes(wal), marker.getBytes()))
                        .as(wal.toString())
                        .isFalse();
            }
        }
        assertThat(output.getAll()).doesNotContain(marker);
    }

    private static boolean containsBytes(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void reprobeAndDeleteDropTheSlotAndPublication() {
        SourceDb src = sourceDb(PG, "CREATE TABLE t (id int PRIMARY KEY)");
        Api.Response created = admin().post("/api/v1/sources", body("lifecycle-" + SEQ.incrementAndGet(), src.uri()));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().get("id").asText();
        String slot = created.json().get("slotName").asText();
        String publication = created.json().get("publicationName").asText();

        // what capture creates on the source (issue "Capture"), made here by hand
        src.sql("CREATE PUBLICATION " + publication + " FOR TABLE t");
        PG.execute(src.database(), "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");

        // a new table appears and is picked up by the re-probe (the selection is "every table")
        src.sql("CREATE TABLE u (id int PRIMARY KEY)");
        Api.Response probe = admin().post("/api/v1/sources/" + id + "/probe", null);
        assertThat(probe.status()).as(probe.body()).isEqualTo(200);
        assertThat(probe.json().get("outcome").asText()).as(probe.body()).isIn("PASS", "WARN");
        // our own slot counts as available, not as "in use by others"
        assertThat(check(probe.json(), "max_replication_slots").get("found").asText())
                .contains("0 in use by others");
        assertThat(admin().get("/api/v1/sources/" + id).json().get("tables")).hasSize(2);

        Api.Response deleted = admin().delete("/api/v1/sources/" + id);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().get("slotDropped").asBoolean()).isTrue();
        assertThat(deleted.json().get("publicationDropped").asBoolean()).isTrue();
        try (Connection c = PG.connect(src.database());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
                        + slot + "') + (SELECT count(*) FROM pg_publication WHERE pubname = '" + publication + "')")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
        assertThat(admin().get("/api/v1/sources/" + id).status()).isEqualTo(404);
        assertThat(admin().delete("/api/v1/sources/" + id).status()).isEqualTo(404);
        assertThat(admin().get("/api/v1/sources/not-a-uuid").status()).isEqualTo(400);
    }

    @Test
    void postgres13SourceIsProbedAndRegisters() {
        PostgresCluster pg13 = PostgresCluster.shared(PgVersion.V13);
        SourceDb src = sourceDb(pg13, "CREATE TABLE t (id int PRIMARY KEY)");

        Api.Response r = admin().post("/api/v1/sources", body("pg13-" + SEQ.incrementAndGet(), src.uri()));

        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("serverVersionNum").asInt()).isBetween(130000, 139999);
        assertThat(check(r.json().get("probe"), "logical_messages").get("found").asText())
                .contains("not available");
        assertThat(check(r.json().get("probe"), "pg_dump_version").get("status").asText())
                .isEqualTo("PASS");
        assertThat(check(r.json().get("probe"), "replication_connection")
                        .get("status")
                        .asText())
                .isEqualTo("PASS");
    }

    @Test
    void clientToolsOlderThanTheServerAreAFailNamingTheClientNeeded() {
        PostgresCluster pg17 = PostgresCluster.shared(PgVersion.V17);
        SourceDb src = sourceDb(pg17, "CREATE TABLE t (id int PRIMARY KEY)");

        Api.Response r = admin().post("/api/v1/sources", body("pg17-" + SEQ.incrementAndGet(), src.uri()));

        // this machine's client tools are PostgreSQL 15: they cannot dump a 17 server
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        JsonNode dump = check(r.json().get("report"), "pg_dump_version");
        assertThat(dump.get("status").asText()).isEqualTo("FAIL");
        assertThat(dump.get("found").asText()).contains("older than the server");
        assertThat(dump.get("fix").asText()).contains("postgresql-client-17");
        assertThat(check(r.json().get("report"), "server_version").get("status").asText())
                .isEqualTo("PASS");
        assertThat(check(r.json().get("report"), "replication_connection")
                        .get("status")
                        .asText())
                .isEqualTo("PASS");
    }
}
