package io.recall.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * How tests compare a restored database with its source at a point: the schema as {@code pg_dump --schema-only}
 * prints it, normalised (owners, privileges, Recall's own schema and event triggers, and pg_dump's session lines left
 * out), and every user table's whole rows in "C" order (so the target's locale cannot change the order), hashed.
 */
public final class DatabaseSnapshot {

    private DatabaseSnapshot() {}

    /** The normalised {@code pg_dump --schema-only} output of {@code database}, with the installed pg_dump. */
    public static String schema(PostgresCluster pg, String database) throws IOException, InterruptedException {
        String bin = SystemPostgres.require().binDirectory().resolve("pg_dump").toString();
        ProcessBuilder pb = new ProcessBuilder(
                bin,
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--no-publications",
                "--no-subscriptions",
                "--exclude-schema=_recall",
                "--dbname=" + pg.connectionUri(pg.superuser(), pg.superuserPassword(), database) + "?sslmode=disable");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out;
        try (InputStream in = p.getInputStream()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            out = buf.toString(StandardCharsets.UTF_8);
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("pg_dump of " + database + " failed: " + out);
        }
        return out.lines()
                .filter(l -> !l.isBlank() && !l.startsWith("--") && !l.startsWith("SET ") && !l.startsWith("SELECT "))
                // pg_dump 15.14+ fences its output with restrict/unrestrict meta-commands and a random key
                .filter(l -> !l.startsWith("\\restrict") && !l.startsWith("\\unrestrict"))
                // Recall's own event triggers are on the source only; restores leave them out on purpose
                .filter(l -> !l.contains("EVENT TRIGGER recall_ddl_") && !l.contains("FUNCTION _recall."))
                .collect(Collectors.joining("\n"));
    }

    /** Per user table ({@code schema.table}, quoted where needed): its row count and the md5 of its rows in order. */
    public static Map<String, String> data(Connection c) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                        + " WHERE schemaname NOT IN ('pg_catalog', 'information_schema', '_recall') ORDER BY 1")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        Map<String, String> out = new TreeMap<>();
        for (String t : tables) {
            // the alias is the whole row; an alias with a column list ("x(t)") would name the first column instead
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, E'\\n'"
                            + " ORDER BY x::text COLLATE \"C\")), '') FROM " + t + " x")) {
                rs.next();
                out.put(t, rs.getString(1));
            }
        }
        return out;
    }

    /** The lines only one side has, marked - (expected) and + (actual). */
    public static String diff(String expected, String actual) {
        List<String> a = expected.lines().toList();
        List<String> b = actual.lines().toList();
        StringBuilder out = new StringBuilder();
        for (String l : a) {
            if (!b.contains(l)) {
                out.append("  - ").append(l).append('\n');
            }
        }
        for (String l : b) {
            if (!a.contains(l)) {
                out.append("  + ").append(l).append('\n');
            }
        }
        return out.length() == 0 ? "  (same lines, different order)\n" : out.toString();
    }
}
