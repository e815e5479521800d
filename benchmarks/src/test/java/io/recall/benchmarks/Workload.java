package io.recall.benchmarks;

import io.recall.common.pg.ClientTools;
import io.recall.common.pg.ConnectionString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The three workloads of the suite. Each creates its tables with initial data, then — once every slot of the run
 * exists — writes the backlog that capture, replay and their peers all process.
 *
 * <ul>
 *   <li>{@code pgbench}: pgbench's TPC-B-like script (three updates and an insert per transaction) on 4 clients;
 *   <li>{@code insert-heavy}: a narrow log table, inserts only, in transactions of 10 rows;
 *   <li>{@code wide-toast}: a wide table with TOASTed text (about 6.4 kB a row, stored out of line) and jsonb, rows
 *       inserted in transactions of 10, then updated without touching the TOASTed column (unchanged-TOAST values in
 *       pgoutput), then a fifth of them get a new jsonb document.
 * </ul>
 */
record Workload(String name, List<String> tables, Setup create, Setup backlog, String shape) {

    @FunctionalInterface
    interface Setup {
        void run(Fixture f, Fixture.Db db) throws Exception;
    }

    static List<Workload> all(double scale) {
        int pgbenchScale = Math.max(1, (int) Math.round(5 * scale));
        // 450,000 pgbench row changes: the backlog DESIGN.md's Debezium figure was measured on
        int pgbenchTransactions = (int) Math.round(112_500 * scale / 4) * 4;
        int insertRows = (int) Math.round(400_000 * scale / 10) * 10;
        int wideRows = (int) Math.round(40_000 * scale / 50) * 50;
        return List.of(
                new Workload(
                        "pgbench",
                        List.of(
                                "public.pgbench_accounts",
                                "public.pgbench_branches",
                                "public.pgbench_tellers",
                                "public.pgbench_history"),
                        (f, db) -> pgbench(f, db, "--initialize", "--scale=" + pgbenchScale, "--quiet"),
                        (f, db) -> pgbench(
                                f,
                                db,
                                "--no-vacuum",
                                "--client=4",
                                "--jobs=2",
                                "--transactions=" + pgbenchTransactions / 4),
                        String.format(
                                Locale.ROOT,
                                "pgbench scale %d (%,d accounts), %,d TPC-B-like transactions on 4 clients",
                                pgbenchScale,
                                pgbenchScale * 100_000,
                                pgbenchTransactions)),
                new Workload(
                        "insert-heavy",
                        List.of("public.log"),
                        (f, db) -> f.sql(
                                db,
                                "CREATE TABLE log (id bigint PRIMARY KEY, at timestamptz NOT NULL, kind int, msg"
                                        + " text)"),
                        (f, db) -> f.sql(
                                db,
                                "DO $$ BEGIN FOR i IN 0.." + (insertRows / 10 - 1) + " LOOP INSERT INTO log"
                                        + " SELECT i * 10 + g, now(), g, md5(i::text || g) FROM generate_series(1, 10)"
                                        + " g; COMMIT; END LOOP; END $$"),
                        String.format(
                                Locale.ROOT,
                                "narrow table (bigint key, timestamptz, int, 32-char text), %,d rows inserted in"
                                        + " transactions of 10",
                                insertRows)),
                new Workload(
                        "wide-toast",
                        List.of("public.docs"),
                        (f, db) -> f.sql(
                                db,
                                "CREATE TABLE docs (id bigint PRIMARY KEY, title text NOT NULL, body text, attrs jsonb,"
                                        + " version int NOT NULL, updated_at timestamptz NOT NULL)",
                                // random hex does not compress: the body is stored out of line, as large text is
                                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL"),
                        (f, db) -> f.sql(
                                db,
                                "DO $$ BEGIN FOR i IN 0.." + (wideRows / 10 - 1) + " LOOP INSERT INTO docs SELECT"
                                        + " i * 10 + g, 'document ' || (i * 10 + g), (SELECT string_agg(md5(random()::text"
                                        + " || k), '') FROM generate_series(1, 200) k WHERE g > 0), jsonb_build_object("
                                        + "'owner', md5(g::text), 'tags', jsonb_build_array('a', 'b', g), 'size', g *"
                                        + " 100, 'meta', jsonb_build_object('lang', 'en', 'rev', i)), 1, now() FROM"
                                        + " generate_series(1, 10) g; COMMIT; END LOOP; END $$",
                                "DO $$ BEGIN FOR i IN 0.." + (wideRows / 10 - 1) + " LOOP UPDATE docs SET version ="
                                        + " version + 1, updated_at = now() WHERE id BETWEEN i * 10 + 1 AND i * 10 + 10;"
                                        + " COMMIT; END LOOP; END $$",
                                "DO $$ BEGIN FOR i IN 0.." + (wideRows / 50 - 1) + " LOOP UPDATE docs SET attrs ="
                                        + " attrs || jsonb_build_object('reviewed', true, 'by', md5(i::text)) WHERE id"
                                        + " BETWEEN i * 50 + 1 AND i * 50 + 10; COMMIT; END LOOP; END $$"),
                        String.format(
                                Locale.ROOT,
                                "wide rows (title, 6.4 kB TOASTed text body, jsonb, int, timestamptz): %,d inserted in"
                                        + " transactions of 10, all updated once without touching the body, a fifth"
                                        + " given a new jsonb",
                                wideRows)));
    }

    private static void pgbench(Fixture f, Fixture.Db db, String... args) throws Exception {
        ClientTools tools = new ClientTools(null);
        List<String> cmd = new ArrayList<>();
        cmd.add(tools.find("pgbench").orElseThrow().path().toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(libpq(f, db));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("pgbench failed: " + out);
        }
    }

    /** libpq's environment (PGHOST, PGUSER, PGPASSWORD...) for the database's role. */
    static Map<String, String> libpq(Fixture f, Fixture.Db db) {
        return ConnectionString.parse(f.pg.connectionUri(db.user(), db.password(), db.name()) + "?sslmode=disable")
                .libpqEnvironment();
    }
}
