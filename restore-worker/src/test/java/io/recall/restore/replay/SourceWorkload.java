package io.recall.restore.replay;

import io.recall.testsupport.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A randomized, multi-table workload on a source database: what a restore must reproduce. Transactions mix 1–5
 * operations (some roll back): inserts, updates that leave TOASTed columns unchanged, key changes and key swaps,
 * unique-value swaps, deletes with cascades, truncates, a REPLICA IDENTITY FULL table with equal rows, identity
 * columns (one reset with {@code SET id = DEFAULT}), a generated column, a partitioned table whose rows move between
 * partitions, triggers that write rows of their own, and values full of tabs, newlines and backslashes.
 *
 * <p>Writers may run concurrently (each with its own instance); a transaction that fails (deadlock, a unique value
 * another writer took) is rolled back, which changes nothing: the source's own state is the oracle.
 */
public final class SourceWorkload {

    /** Every captured table, as the stream worker is told about it (schema-qualified, quoted where needed). */
    public static final List<String> TABLES = List.of(
            "public.customers",
            "public.orders",
            "public.lines",
            "public.accounts",
            "public.audit",
            "public.docs",
            "public.events",
            "public.items",
            "public.tickets",
            "public.slots",
            "public.measurements",
            "\"Odd Schema\".\"Weird \"\"T\"\"\"");

    /** The same tables as SQL names, for content hashes. */
    static final List<String> SQL_NAMES = List.of(
            "public.customers",
            "public.orders",
            "public.lines",
            "public.accounts",
            "public.audit",
            "public.docs",
            "public.events",
            "public.items",
            "public.tickets",
            "public.slots",
            "public.measurements",
            "\"Odd Schema\".\"Weird \"\"T\"\"\"");

    public static final String[] DDL = {
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text UNIQUE,"
                + " joined timestamptz NOT NULL DEFAULT now())",
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id) ON DELETE CASCADE,"
                + " placed timestamptz NOT NULL DEFAULT now(), total numeric(12,2) NOT NULL DEFAULT 0,"
                + " status mood NOT NULL DEFAULT 'ok')",
        "CREATE TABLE lines (order_id int NOT NULL REFERENCES orders (id) ON DELETE CASCADE, line_no int NOT NULL,"
                + " sku uuid NOT NULL, qty int NOT NULL, PRIMARY KEY (order_id, line_no))",
        "CREATE TABLE accounts (id int PRIMARY KEY, balance numeric(14,2) NOT NULL, note text, updated timestamptz)",
        "CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account int NOT NULL,"
                + " delta numeric(14,2) NOT NULL)",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$BEGIN NEW.updated := clock_timestamp(); RETURN NEW; END$$",
        "CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch()",
        "CREATE FUNCTION audit_balance() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
                + " INSERT INTO public.audit (account, delta) VALUES (NEW.id, NEW.balance - OLD.balance);"
                + " RETURN NULL; END$$",
        "CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts FOR EACH ROW"
                + " WHEN (OLD.balance IS DISTINCT FROM NEW.balance) EXECUTE FUNCTION audit_balance()",
        "CREATE TABLE docs (id int PRIMARY KEY, title text NOT NULL, body text, v int NOT NULL DEFAULT 0,"
                + " tags text[], data bytea)",
        "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
        "CREATE TABLE events (at timestamptz, kind mood, payload jsonb, blob text)",
        "ALTER TABLE events ALTER COLUMN blob SET STORAGE EXTERNAL",
        "ALTER TABLE events REPLICA IDENTITY FULL",
        "CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,"
                + " price numeric(10,2) NOT NULL, price_with_tax numeric(12,3) GENERATED ALWAYS AS (price * 1.2) STORED)",
        "CREATE TABLE tickets (code text PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY, status text NOT NULL)",
        "CREATE TABLE slots (id int PRIMARY KEY, code text NOT NULL UNIQUE, holder text)",
        "CREATE TABLE measurements (id int NOT NULL, day date NOT NULL, value float8, note text,"
                + " PRIMARY KEY (id, day)) PARTITION BY RANGE (day)",
        "CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        "CREATE SCHEMA \"Odd Schema\"",
        "CREATE TABLE \"Odd Schema\".\"Weird \"\"T\"\"\" (\"Key Col\" int PRIMARY KEY, \"select\" interval,"
                + " \"tab\tcol\" text, \"Mixed Case\" float8, r numrange, j json, x xml, ts timestamp)",
    };

    public static final String[] SEED = {
        "INSERT INTO customers (id, name, email) SELECT g, 'customer ' || g, 'c' || g || '@example.com'"
                + " FROM generate_series(1, 40) g",
        "INSERT INTO orders (id, customer_id, total) SELECT g, 1 + g % 40, g * 1.5 FROM generate_series(1, 60) g",
        "INSERT INTO lines SELECT o, l, md5(o || '-' || l)::uuid, l FROM generate_series(1, 60) o,"
                + " generate_series(1, 3) l",
        "INSERT INTO accounts (id, balance, note) SELECT g, 100, 'seed' FROM generate_series(1, 100) g",
        "INSERT INTO docs (id, title, body, v, tags, data) SELECT g, 'doc ' || g, repeat(md5(g::text), 100 + g * 7),"
                + " 0, ARRAY['a', 'b c'], decode(md5(g::text), 'hex') FROM generate_series(1, 30) g",
        "INSERT INTO events SELECT now(), 'ok', jsonb_build_object('seed', g % 5), NULL FROM generate_series(1, 20) g",
        "INSERT INTO items (name, price) SELECT 'item ' || g, g FROM generate_series(1, 20) g",
        "INSERT INTO tickets (code, status) SELECT 'T' || g, 'open' FROM generate_series(1, 20) g",
        "INSERT INTO slots SELECT g, 'S' || g, NULL FROM generate_series(1, 20) g",
        "INSERT INTO measurements SELECT g, DATE '2025-06-01' + g, g * 0.5, NULL FROM generate_series(1, 40) g",
        "INSERT INTO \"Odd Schema\".\"Weird \"\"T\"\"\" VALUES (1, '1 day', 'a\tb', 1.5, '[1,2)', '{\"a\": 1}',"
                + " '<x>1</x>', '2026-01-01 10:00:00')",
    };

    private final Random random;
    private final AtomicInteger ids;
    private final String tag;
    private final boolean truncates;
    private int temp;
    public int committed;
    int rolledBack;
    int failed;
    /** Why transactions failed (SQLSTATE and message), for the test log. */
    final Map<String, Integer> failures = new java.util.TreeMap<>();

    /**
     * @param ids a counter shared by concurrent writers, for new keys
     * @param tag distinguishes this writer's temporary values from another's
     * @param truncates whether the workload truncates tables. Not while a base backup is taken: TRUNCATE is not
     *     MVCC-safe, so a truncate that commits after the backup's consistent point but before pg_dump locks the table
     *     empties the table for the dump's older snapshot too, and the dump lacks rows it should hold (see
     *     {@code ReplayCaptureIT})
     */
    public SourceWorkload(long seed, AtomicInteger ids, String tag, boolean truncates) {
        this.random = new Random(seed);
        this.ids = ids;
        this.tag = tag;
        this.truncates = truncates;
    }

    /** Runs {@code transactions} random transactions on {@code db}. */
    public void run(PostgresCluster pg, String db, int transactions) throws SQLException {
        try (Connection c = pg.connect(db)) {
            c.setAutoCommit(false);
            for (int i = 0; i < transactions; i++) {
                try {
                    int ops = 1 + random.nextInt(5);
                    for (int o = 0; o < ops; o++) {
                        operation(c);
                    }
                    if (random.nextInt(100) < 8) {
                        c.rollback();
                        rolledBack++;
                    } else {
                        c.commit();
                        committed++;
                    }
                } catch (SQLException e) {
                    c.rollback();
                    failed++;
                    String why = e.getSQLState() + " "
                            + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
                    failures.merge(why.length() > 120 ? why.substring(0, 120) : why, 1, Integer::sum);
                }
            }
        }
    }

    private void operation(Connection c) throws SQLException {
        int n = ids.incrementAndGet();
        switch (random.nextInt(40)) {
            case 0 ->
                exec(
                        c,
                        "INSERT INTO customers (id, name, email) VALUES (" + (1000 + n) + ", " + lit(text(20)) + ", 'n"
                                + n + "@example.com')");
            case 1 ->
                exec(c, "UPDATE customers SET name = " + lit(text(30)) + " WHERE id = " + pick(c, "customers", "id"));
            case 2 -> swap(c, "customers", "id", "email");
            case 3 -> exec(c, "DELETE FROM customers WHERE id = " + pick(c, "customers", "id"));
            case 4, 5 -> {
                String customer = pick(c, "customers", "id");
                if (customer != null) {
                    exec(
                            c,
                            "INSERT INTO orders (id, customer_id, total, status) VALUES (" + (1000 + n) + ", "
                                    + customer + ", " + random.nextInt(10000) / 100.0 + ", '" + mood() + "')");
                    for (int l = 1; l <= 1 + random.nextInt(4); l++) {
                        exec(
                                c,
                                "INSERT INTO lines VALUES (" + (1000 + n) + ", " + l + ", '" + UUID.randomUUID() + "', "
                                        + random.nextInt(9) + ")");
                    }
                }
            }
            case 6 ->
                exec(
                        c,
                        "UPDATE orders SET status = '" + mood() + "', total = total + 1 WHERE id = "
                                + pick(c, "orders", "id"));
            case 7 -> exec(c, "DELETE FROM orders WHERE id = " + pick(c, "orders", "id"));
            case 8 ->
                exec(
                        c,
                        "UPDATE lines SET qty = qty + 1 WHERE (order_id, line_no) = (SELECT order_id, line_no"
                                + " FROM lines ORDER BY random() LIMIT 1)");
            case 9 ->
                exec(
                        c,
                        "UPDATE lines SET line_no = line_no + 100 WHERE (order_id, line_no) = (SELECT order_id,"
                                + " line_no FROM lines WHERE line_no < 100 ORDER BY random() LIMIT 1)");
            case 10 ->
                exec(
                        c,
                        "DELETE FROM lines WHERE (order_id, line_no) = (SELECT order_id, line_no FROM lines"
                                + " ORDER BY random() LIMIT 1)");
            case 11, 12, 13 -> {
                // a transfer: two balance updates, each firing the touch and audit triggers
                int amount = 1 + random.nextInt(50);
                exec(
                        c,
                        "UPDATE accounts SET balance = balance - " + amount + " WHERE id = "
                                + pick(c, "accounts", "id"));
                exec(
                        c,
                        "UPDATE accounts SET balance = balance + " + amount + " WHERE id = "
                                + pick(c, "accounts", "id"));
            }
            case 14 ->
                exec(c, "UPDATE accounts SET note = " + lit(text(15)) + " WHERE id = " + pick(c, "accounts", "id"));
            case 15 -> exec(c, "INSERT INTO accounts (id, balance, note) VALUES (" + (1000 + n) + ", 0, NULL)");
            case 16 -> exec(c, "DELETE FROM accounts WHERE id = " + pick(c, "accounts", "id"));
            case 17 ->
                exec(
                        c,
                        "INSERT INTO docs VALUES (" + (1000 + n) + ", " + lit(text(10)) + ", "
                                + lit(text(
                                        random.nextInt(3) == 0
                                                ? 20_000 + random.nextInt(20_000)
                                                : 100 + random.nextInt(3000)))
                                + ", 0, ARRAY[" + lit(text(5)) + ", NULL], '\\x" + String.format("%08x", n) + "0a09')");
            case 18, 19 -> // body untouched: travels as unchanged TOAST
                exec(
                        c,
                        "UPDATE docs SET v = v + 1, tags = array_append(tags, " + lit(text(3)) + ") WHERE id = "
                                + pick(c, "docs", "id"));
            case 20 ->
                exec(
                        c,
                        "UPDATE docs SET body = " + lit(text(random.nextInt(12_000))) + " WHERE id = "
                                + pick(c, "docs", "id"));
            case 21 -> // key change with the TOASTed body unchanged
                exec(c, "UPDATE docs SET id = id + 100000, v = v + 1 WHERE id = " + pick(c, "docs", "id"));
            case 22 -> swap(c, "docs", "id", "id");
            case 23 -> exec(c, "DELETE FROM docs WHERE id = " + pick(c, "docs", "id"));
            case 24, 25 ->
                exec(
                        c,
                        "INSERT INTO events VALUES (clock_timestamp(), '" + mood() + "', "
                                + lit("{\"n\": " + random.nextInt(5) + ", \"s\": \""
                                        + text(8).replace("\\", "")
                                                .replace("\"", "")
                                                .replace("\t", " ")
                                                .replace("\n", " ")
                                        + "\"}")
                                + ", "
                                + (random.nextInt(4) == 0 ? lit(text(6000)) : "NULL") + ")");
            case 26 -> // an equal twin of an existing row
                exec(c, "INSERT INTO events SELECT * FROM events ORDER BY random() LIMIT 1");
            case 27 -> exec(c, "DELETE FROM events WHERE ctid = (SELECT ctid FROM events ORDER BY random() LIMIT 1)");
            case 28 ->
                exec(
                        c,
                        "UPDATE events SET kind = '" + mood() + "' WHERE ctid = (SELECT ctid FROM events"
                                + " ORDER BY random() LIMIT 1)");
            case 29 ->
                exec(
                        c,
                        "INSERT INTO items (name, price) VALUES (" + lit(text(12)) + ", "
                                + random.nextInt(100000) / 100.0 + ")");
            case 30 -> exec(c, "UPDATE items SET price = price + 1 WHERE id = " + pick(c, "items", "id"));
            case 31 -> exec(c, "DELETE FROM items WHERE id = " + pick(c, "items", "id"));
            case 32 -> exec(c, "INSERT INTO tickets (code, status) VALUES ('N" + n + "', 'open')");
            case 33 ->
                exec(
                        c,
                        "UPDATE tickets SET status = " + lit(text(6)) + " WHERE code = "
                                + lit(pick(c, "tickets", "code")));
            case 34 -> // a GENERATED ALWAYS identity that is not the key takes a new value
                exec(
                        c,
                        "UPDATE tickets SET seq = DEFAULT, status = 'renumbered' WHERE code = "
                                + lit(pick(c, "tickets", "code")));
            case 35 -> swap(c, "slots", "id", "code");
            case 36 -> {
                exec(
                        c,
                        "INSERT INTO measurements VALUES (" + n + ", DATE '2025-01-01' + " + random.nextInt(700) + ", "
                                + (random.nextBoolean() ? random.nextGaussian() : "'NaN'") + ", " + lit(text(4)) + ")");
                // moves the row to the other partition half of the time: a delete plus an insert in the stream
                exec(
                        c,
                        "UPDATE measurements SET day = day + 200, value = value * 2 WHERE (id, day) = (SELECT id, day"
                                + " FROM measurements ORDER BY random() LIMIT 1) AND day < DATE '2026-06-01'");
            }
            case 37 ->
                exec(
                        c,
                        "DELETE FROM measurements WHERE (id, day) = (SELECT id, day FROM measurements"
                                + " ORDER BY random() LIMIT 1)");
            case 38 -> {
                String t = "\"Odd Schema\".\"Weird \"\"T\"\"\"";
                exec(
                        c,
                        "INSERT INTO " + t + " VALUES (" + n + ", '" + random.nextInt(90) + " days "
                                + random.nextInt(24)
                                + " hours', " + lit(text(10)) + ", " + pickFloat() + ", numrange(" + n + ", " + (n + 5)
                                + "), " + lit("{ \"k\" :  [1, 2, " + n + "] }") + ", '<v a=\"" + n + "\">" + n
                                + "</v>', '2026-03-04 05:06:07.123456')");
                exec(
                        c,
                        "UPDATE " + t + " SET \"tab\tcol\" = " + lit(text(7)) + ", j = '[]' WHERE \"Key Col\" = "
                                + "(SELECT \"Key Col\" FROM " + t + " ORDER BY random() LIMIT 1)");
            }
            default -> {
                switch (truncates ? random.nextInt(12) : 3 + random.nextInt(9)) {
                    case 0 -> exec(c, "TRUNCATE events");
                    case 1 -> exec(c, "TRUNCATE tickets RESTART IDENTITY");
                    case 2 -> exec(c, "TRUNCATE lines, orders");
                    default ->
                        exec(
                                c,
                                "DELETE FROM " + "\"Odd Schema\".\"Weird \"\"T\"\"\"" + " WHERE \"Key Col\" = "
                                        + "(SELECT \"Key Col\" FROM \"Odd Schema\".\"Weird \"\"T\"\"\" ORDER BY random() LIMIT 1)");
                }
            }
        }
    }

    /** Swaps {@code column} between two random rows through a temporary value, as applications do. */
    private void swap(Connection c, String table, String key, String column) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT " + key + "::text, " + column + "::text FROM " + table
                        + " ORDER BY random() LIMIT 2")) {
            while (rs.next()) {
                rows.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        if (rows.size() < 2) {
            return;
        }
        String tmp = key.equals(column)
                ? Integer.toString(-(1 + Math.abs(tag.hashCode() % 1000) * 1000 + temp++ % 1000))
                : "tmp-" + tag + "-" + temp++;
        String a = rows.get(0)[0];
        String b = rows.get(1)[0];
        exec(c, "UPDATE " + table + " SET " + column + " = " + lit(tmp) + " WHERE " + key + " = " + lit(a));
        exec(c, "UPDATE " + table + " SET " + column + " = " + lit(rows.get(0)[1]) + " WHERE " + key + " = " + lit(b));
        exec(
                c,
                "UPDATE " + table + " SET " + column + " = " + lit(rows.get(1)[1]) + " WHERE " + key + " = "
                        + lit(key.equals(column) ? tmp : a));
    }

    private String pick(Connection c, String table, String column) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT " + column + "::text FROM " + table + " ORDER BY random() LIMIT 1")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private String mood() {
        return new String[] {"sad", "ok", "happy"}[random.nextInt(3)];
    }

    private String pickFloat() {
        return switch (random.nextInt(6)) {
            case 0 -> "'NaN'";
            case 1 -> "'-Infinity'";
            case 2 -> "'-0'";
            default -> Double.toString(random.nextDouble() * 1e6);
        };
    }

    /** Text with the characters COPY and quoting care about, and some outside the BMP. */
    private String text(int length) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz ABC0123456789";
        StringBuilder b = new StringBuilder(length);
        while (b.length() < length) {
            int r = random.nextInt(100);
            if (r < 2) {
                b.append('\t');
            } else if (r < 4) {
                b.append('\n');
            } else if (r < 6) {
                b.append('\\');
            } else if (r < 7) {
                b.append('\'');
            } else if (r < 8) {
                b.append("é😀");
            } else if (r < 9) {
                b.append('"');
            } else {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
        }
        return b.toString();
    }

    private static String lit(String s) {
        return s == null ? "NULL" : "'" + s.replace("'", "''") + "'";
    }

    private static void exec(Connection c, String sql) throws SQLException {
        if (sql.endsWith("= null") || sql.endsWith("= NULL")) {
            return; // the table was empty
        }
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** Each table's content as {@code count:md5} of its rows' text forms in COLLATE "C" order. */
    public static Map<String, String> hashes(Connection c) throws SQLException {
        return ReplayPeers.hashes(c, SQL_NAMES);
    }
}
