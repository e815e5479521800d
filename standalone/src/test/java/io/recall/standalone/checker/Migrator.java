package io.recall.standalone.checker;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The schema changes of the workload: a client that migrates the schema while the writers run, one transaction per
 * {@link #step}, as a team's deploys do.
 *
 * <p>It owns the tables named {@code ev_<n>} (created, renamed, altered and dropped here, and written only here, so
 * that no writer's statement breaks on a change), a partition of {@code readings} it attaches and drops, and a column
 * {@code x_<n>} of the writers' {@code documents} (added with a constant or volatile default, dropped again; no writer
 * names it). Changes: {@code CREATE TABLE} with rows in the same transaction, {@code ADD COLUMN} with a constant
 * default (fast default) or a volatile one (a rewrite), {@code DROP COLUMN}, {@code RENAME COLUMN}, {@code ALTER COLUMN
 * TYPE ... USING} (a rewrite), {@code RENAME TABLE}, {@code DROP TABLE}, {@code CREATE INDEX}, a new partition with
 * rows, and an enum value added and then used. Between them it inserts, updates and deletes rows of its tables.
 *
 * <p>Each step reads the catalog for what exists, so a step that failed leaves nothing to track. Names come from one
 * counter and never repeat.
 */
final class Migrator {

    /** At most this many {@code ev_} tables at once; one is always kept. */
    private static final int MAX_TABLES = 4;

    private final Random random;
    private final Consumer<String> count;
    private long next = 1;

    Migrator(Random random, Consumer<String> count) {
        this.random = random;
        this.count = count;
    }

    /** One transaction of the migrator's: a schema change (about one step in three) or rows of its tables. */
    void step(Connection c) throws SQLException {
        List<String> tables = strings(
                c,
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                        + " AND tablename LIKE 'ev\\_%' ORDER BY 1");
        if (tables.isEmpty()) {
            createTable(c);
        } else if (random.nextInt(3) > 0) {
            rows(c, pick(tables));
        } else {
            migrate(c, tables);
        }
        c.commit();
    }

    private void migrate(Connection c, List<String> tables) throws SQLException {
        String table = pick(tables);
        switch (random.nextInt(12)) {
            case 0 -> {
                if (tables.size() < MAX_TABLES) {
                    createTable(c);
                } else {
                    exec(c, "DROP TABLE " + table);
                    count.accept("ddl: DROP TABLE");
                }
            }
            case 1 -> {
                exec(c, "ALTER TABLE " + table + " ADD COLUMN c" + next++ + " int DEFAULT " + random.nextInt(1000));
                count.accept("ddl: ADD COLUMN with a constant default");
            }
            case 2 -> {
                exec(c, "ALTER TABLE " + table + " ADD COLUMN c" + next++ + " uuid DEFAULT gen_random_uuid()");
                count.accept("ddl: ADD COLUMN with a volatile default (rewrite)");
            }
            case 3 -> {
                String column = added(c, table);
                if (column != null) {
                    exec(c, "ALTER TABLE " + table + " DROP COLUMN " + column);
                    count.accept("ddl: DROP COLUMN");
                }
            }
            case 4 -> {
                String column = added(c, table);
                if (column != null) {
                    exec(c, "ALTER TABLE " + table + " RENAME COLUMN " + column + " TO c" + next++);
                    // a row written in the same transaction, under the new name
                    exec(
                            c,
                            "UPDATE " + table + " SET label = label || '.' WHERE id = (SELECT min(id) FROM " + table
                                    + ")");
                    count.accept("ddl: RENAME COLUMN, and a row in the same transaction");
                }
            }
            case 5 -> {
                boolean integer = "integer"
                        .equals(string(
                                c,
                                "SELECT data_type FROM information_schema.columns WHERE"
                                        + " table_schema = 'public' AND table_name = '" + table
                                        + "' AND column_name = 'n'"));
                exec(
                        c,
                        "ALTER TABLE " + table + " ALTER COLUMN n TYPE "
                                + (integer ? "bigint USING n * 2" : "integer USING (n / 2)::integer"));
                count.accept("ddl: ALTER COLUMN TYPE ... USING (rewrite)");
            }
            case 6 -> {
                exec(c, "ALTER TABLE " + table + " RENAME TO ev_" + next++);
                count.accept("ddl: RENAME TABLE");
            }
            case 7 -> {
                exec(c, "CREATE INDEX ON " + table + " (label, n)");
                count.accept("ddl: CREATE INDEX");
            }
            case 8 -> partition(c);
            case 9 -> {
                String value = "m" + next++;
                exec(c, "ALTER TYPE mood ADD VALUE '" + value + "'");
                c.commit();
                // used by the next transaction (not before: a value added in a transaction is unusable inside it)
                exec(
                        c,
                        "UPDATE accounts SET mood = '" + value + "' WHERE id = (SELECT id FROM accounts ORDER BY"
                                + " random() LIMIT 1)");
                count.accept("ddl: enum value added, then used");
            }
            default -> documentsColumn(c);
        }
    }

    private void createTable(Connection c) throws SQLException {
        String table = "ev_" + next++;
        exec(
                c,
                "CREATE TABLE " + table + " (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label text NOT"
                        + " NULL, n integer, note text)");
        exec(
                c,
                "INSERT INTO " + table + " (label, n, note) SELECT md5(g::text || random()), g, CASE WHEN g % 3 = 0"
                        + " THEN repeat('x', g) END FROM generate_series(1, " + (5 + random.nextInt(30)) + ") g");
        count.accept("ddl: CREATE TABLE with rows in the same transaction");
    }

    /** A partition of {@code readings} for 2027 with rows, or (when there is one) it detached and dropped. */
    private void partition(Connection c) throws SQLException {
        if (string(c, "SELECT to_regclass('public.readings_2027')") == null) {
            exec(
                    c,
                    "CREATE TABLE readings_2027 PARTITION OF readings FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')");
            exec(
                    c,
                    "INSERT INTO readings (day, v, tag) SELECT DATE '2027-01-01' + g, g * 0.25, 'p' || g FROM"
                            + " generate_series(0, " + (3 + random.nextInt(20)) + ") g");
            count.accept("ddl: new partition with rows");
        } else {
            exec(c, "ALTER TABLE readings DETACH PARTITION readings_2027");
            c.commit();
            exec(c, "DROP TABLE readings_2027");
            count.accept("ddl: partition detached, then dropped");
        }
    }

    /** A column of the writers' {@code documents}, added (constant or volatile default) or dropped again. */
    private void documentsColumn(Connection c) throws SQLException {
        String column = string(
                c,
                "SELECT attname FROM pg_attribute WHERE attrelid = 'documents'::regclass"
                        + " AND attname LIKE 'x\\_%' AND NOT attisdropped LIMIT 1");
        if (column != null) {
            exec(c, "ALTER TABLE documents DROP COLUMN " + column);
            count.accept("ddl: writers' table, DROP COLUMN");
        } else if (random.nextBoolean()) {
            exec(c, "ALTER TABLE documents ADD COLUMN x_" + next++ + " text DEFAULT 'since " + next + "'");
            count.accept("ddl: writers' table, ADD COLUMN with a constant default");
        } else {
            exec(c, "ALTER TABLE documents ADD COLUMN x_" + next++ + " double precision DEFAULT random()");
            count.accept("ddl: writers' table, ADD COLUMN with a volatile default (rewrite)");
        }
    }

    /** Rows of one of the migrator's tables: inserted, updated (TOASTed or not), deleted. */
    private void rows(Connection c, String table) throws SQLException {
        switch (random.nextInt(4)) {
            case 0, 1 -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (label, n, note) VALUES"
                        + " (?, ?, CASE WHEN ? THEN repeat(md5(?), 300) END)")) {
                    ps.setString(1, "r" + random.nextInt(100_000));
                    ps.setInt(2, random.nextInt(10_000));
                    ps.setBoolean(3, random.nextInt(5) == 0);
                    ps.setString(4, Long.toString(random.nextLong()));
                    ps.executeUpdate();
                }
                count.accept("ddl tables: insert");
            }
            case 2 -> {
                exec(
                        c,
                        "UPDATE " + table + " SET n = n + 1, label = label || 'u' WHERE id IN (SELECT id FROM " + table
                                + " ORDER BY random() LIMIT 3)");
                count.accept("ddl tables: update");
            }
            default -> {
                exec(
                        c,
                        "DELETE FROM " + table + " WHERE id = (SELECT id FROM " + table
                                + " ORDER BY random() LIMIT 1)");
                count.accept("ddl tables: delete");
            }
        }
    }

    /** A column the migrator added to {@code table} (named {@code c<n>}), or null. */
    private String added(Connection c, String table) throws SQLException {
        List<String> columns = strings(
                c,
                "SELECT attname FROM pg_attribute WHERE attrelid = 'public." + table + "'::regclass AND attnum > 0"
                        + " AND NOT attisdropped AND attname ~ '^c[0-9]+$' ORDER BY attnum");
        return columns.isEmpty() ? null : pick(columns);
    }

    private String pick(List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String string(Connection c, String sql) throws SQLException {
        List<String> values = strings(c, sql);
        return values.isEmpty() ? null : values.get(0);
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
