package io.recall.standalone.checker;

import io.recall.testsupport.PostgresCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The source database and the clients that write to it.
 *
 * <p>The schema covers the types and shapes users have: identity and serial keys, numeric, TOASTed text (storage
 * EXTERNAL, so 12,800 characters stay uncompressed and out of line) and bytea, jsonb, arrays, timestamptz, uuid, an
 * enum, a domain, a composite-type column, a generated column, a partitioned table, a key-less table with REPLICA
 * IDENTITY FULL (holding exact duplicate rows), composite primary keys and a three-table foreign-key chain
 * ({@code accounts} ← {@code orders} ← {@code order_lines}).
 *
 * <p>Each writer runs transactions of random shapes: single and multi-statement ones; inserts; updates that leave the
 * TOASTed columns unchanged, update them, move a row to another partition or change key columns; deletes (children
 * first); truncates of leaf tables; transactions larger than {@code logical_decoding_work_mem} (64kB on the source
 * database), committed or rolled back; savepoints rolled back to; aborted transactions; sequence calls. Errors that
 * concurrency makes normal (deadlock, a foreign key or unique key lost to another writer, a lock timeout) abort the
 * transaction and are counted; any other error is kept as a failure of the run. With schema changes on, one more client
 * migrates the schema meanwhile ({@link Migrator}).
 *
 * <p>Thread-safe: {@link #quiesced} may run while the writers run; each writer holds the read side of one lock for the
 * length of each transaction, the quiescing caller the write side.
 */
final class Workload implements AutoCloseable {

    /** Tables a writer may truncate: neither is referenced by a foreign key. */
    private static final String[] TRUNCATABLE = {"audit", "readings_2025"};
    /** Key prefix of the documents the open-transaction fault writes: no writer picks them. */
    static final String FAULT_KEY_PREFIX = "fault-";

    private static final Set<String> EXPECTED_SQLSTATES = Set.of(
            "40P01", // deadlock_detected
            "40001", // serialization_failure
            "23503", // foreign_key_violation: a parent deleted by another writer
            "23505", // unique_violation: a key taken by another writer
            "55P03"); // lock_not_available (lock_timeout)

    private static final Map<String, Integer> CAPS = Map.of(
            "accounts", 250, "orders", 600, "order_lines", 2000, "audit", 1500, "readings", 4000, "documents", 200);

    private final PostgresCluster pg;
    private final String db;
    private final String user;
    private final String password;
    private final long seed;
    private final ReentrantReadWriteLock quiesce = new ReentrantReadWriteLock(true);
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean sourceRestarting;

    Workload(PostgresCluster pg, String db, String user, String password, long seed) {
        this.pg = pg;
        this.db = db;
        this.user = user;
        this.password = password;
        this.seed = seed;
    }

    /** Creates the schema and some rows of every table; run before the source is registered. */
    void create() throws SQLException {
        pg.execute(
                db,
                // the walsender of this database spills (or streams) every transaction above 64kB
                "ALTER DATABASE " + db + " SET logical_decoding_work_mem = '64kB'",
                "SET ROLE " + user,
                "CREATE TYPE mood AS ENUM ('calm', 'busy', 'angry', 'very busy')",
                "CREATE DOMAIN positive_int AS int CHECK (VALUE > 0)",
                "CREATE TYPE address AS (street text, zip int, lines text[])",
                "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,"
                        + " balance numeric(14,2), ratio numeric, tags text[], scores int[], meta jsonb, avatar bytea,"
                        + " opened timestamptz, uid uuid, mood mood, qty positive_int, home address, notes text,"
                        + " name_len int GENERATED ALWAYS AS (length(name)) STORED)",
                "ALTER TABLE accounts ALTER COLUMN notes SET STORAGE EXTERNAL",
                "CREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id),"
                        + " placed timestamptz NOT NULL DEFAULT now(), status mood, total numeric(12,2))",
                "CREATE TABLE order_lines (order_id bigint NOT NULL REFERENCES orders (id), line_no int NOT NULL,"
                        + " sku text, qty int, price numeric(10,2), PRIMARY KEY (order_id, line_no))",
                "CREATE TABLE audit (at timestamptz, what text, n bigint, body text)",
                "ALTER TABLE audit REPLICA IDENTITY FULL",
                "ALTER TABLE audit ALTER COLUMN body SET STORAGE EXTERNAL",
                "CREATE TABLE readings (id serial, day date NOT NULL, v double precision, tag text,"
                        + " PRIMARY KEY (id, day)) PARTITION BY RANGE (day)",
                "CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
                "CREATE TABLE documents (key text PRIMARY KEY, version int NOT NULL, body text, payload bytea)",
                "ALTER TABLE documents ALTER COLUMN body SET STORAGE EXTERNAL",
                "CREATE SEQUENCE tickets");
        Values v = new Values(new Random(seed));
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 60; i++) {
                insertAccount(c, v);
            }
            for (int i = 0; i < 80; i++) {
                insertOrder(c, v);
            }
            for (int i = 0; i < 60; i++) {
                insertAudit(c, v);
            }
            for (int i = 0; i < 40; i++) {
                insertReadings(c, v);
            }
            for (int i = 0; i < 30; i++) {
                upsertDocument(c, v);
            }
            c.commit();
        }
    }

    /** A connection as the source's owner, as an application has. */
    Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("ApplicationName", "recall-checker");
        return DriverManager.getConnection(pg.jdbcUrl(db), p);
    }

    /** A client's unit of work: one transaction (or a few), committed or rolled back by itself. */
    @FunctionalInterface
    private interface Step {
        void run(Connection c) throws SQLException;
    }

    /**
     * Starts {@code writers} client threads, and with {@code schemaChanges} one more that changes the schema
     * ({@link Migrator}).
     */
    void start(int writers, boolean schemaChanges) {
        for (int i = 0; i < writers; i++) {
            Values v = new Values(new Random(seed * 31 + i + 1));
            long[] n = {0};
            // the writer's own view of the table sizes, refreshed every 50 transactions (its thread only)
            Map<String, Long> sizes = new HashMap<>();
            startClient("checker-writer-" + i, v.random(), 10, c -> {
                if (n[0]++ % 50 == 0) {
                    sizes.putAll(sizes(c));
                }
                transaction(c, v, sizes);
            });
        }
        if (schemaChanges) {
            Random r = new Random(seed * 31 - 1);
            Migrator migrator = new Migrator(r, this::count);
            // a schema change every second or two
            startClient("checker-migrator", r, 300, migrator::step);
        }
    }

    /** A client thread that runs {@code step} over and over, pausing {@code pauseMillis} to 6 times that between. */
    private void startClient(String name, Random random, int pauseMillis, Step step) {
        Thread t = new Thread(() -> write(random, pauseMillis, step), name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /** Runs {@code action} while no writer is inside a transaction. */
    <T> T quiesced(Callable<T> action) throws Exception {
        quiesce.writeLock().lock();
        try {
            return action.call();
        } finally {
            quiesce.writeLock().unlock();
        }
    }

    /** Stops the writers after their current transaction and waits for them. */
    void stop() throws InterruptedException {
        stopping = true;
        for (Thread t : threads) {
            t.join(120_000);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** What the writers did, by kind. */
    Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, n) -> out.put(k, n.get()));
        return out;
    }

    /** Errors no writer expected (at most the first few). */
    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    /**
     * Lets the writers lose their connections until {@link #sourceBack()}: the source is being restarted. A writer
     * whose connection breaks meanwhile counts it and connects again (a commit in flight may or may not have
     * happened, as for any application; checkpoints hash what the source holds).
     */
    void sourceRestarting() {
        sourceRestarting = true;
    }

    /** The source restart is over: a lost connection is a failure again. */
    void sourceBack() {
        sourceRestarting = false;
    }

    private void write(Random random, int pauseMillis, Step step) {
        while (!stopping) {
            try {
                writeOn(random, pauseMillis, step);
                return;
            } catch (SQLException e) {
                if (!(sourceRestarting && connectionLost(e))) {
                    fail(Thread.currentThread().getName() + " stopped: " + e);
                    return;
                }
                count("connection lost while the source restarted");
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    return;
                }
            } catch (Exception e) {
                fail(Thread.currentThread().getName() + " stopped: " + e);
                return;
            }
        }
    }

    /** Writes on one connection until stopped; throws what breaks the connection. */
    private void writeOn(Random random, int pauseMillis, Step step) throws SQLException, InterruptedException {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = '20s'");
            st.execute("SELECT setseed(" + (random.nextDouble() * 2 - 1) + ")");
            c.setAutoCommit(false);
            while (!stopping) {
                quiesce.readLock().lock();
                try {
                    step.run(c);
                } catch (SQLException e) {
                    rollbackQuietly(c);
                    if (EXPECTED_SQLSTATES.contains(e.getSQLState())) {
                        count("aborted by the server (" + e.getSQLState() + ")");
                    } else if (connectionLost(e)) {
                        throw e;
                    } else {
                        fail(Thread.currentThread().getName() + ": SQLSTATE " + e.getSQLState() + ": "
                                + e.getMessage());
                    }
                } finally {
                    quiesce.readLock().unlock();
                }
                Thread.sleep(pauseMillis + random.nextInt(5 * pauseMillis + 1));
            }
        }
    }

    /** Connection exceptions (08...), and the server shutting down or restarting (57P01..57P03). */
    private static boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.startsWith("57P0"));
    }

    private void fail(String message) {
        synchronized (failures) {
            if (failures.size() < 10) {
                failures.add(message);
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the next statement says so
        }
    }

    private Map<String, Long> sizes(Connection c) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (Statement st = c.createStatement()) {
            for (String t : CAPS.keySet()) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
                    rs.next();
                    out.put(t, rs.getLong(1));
                }
            }
        }
        c.commit();
        return out;
    }

    private static boolean full(Map<String, Long> sizes, String table) {
        return sizes.getOrDefault(table, 0L) >= CAPS.get(table);
    }

    /** One transaction of a random shape; commits or rolls back itself. */
    private void transaction(Connection c, Values v, Map<String, Long> sizes) throws SQLException {
        int shape = v.random().nextInt(1000);
        if (shape < 3) {
            String table = TRUNCATABLE[v.random().nextInt(TRUNCATABLE.length)];
            exec(c, "TRUNCATE " + table);
            c.commit();
            count("truncate " + table);
        } else if (shape < 15) {
            boolean abort = v.chance(0.3);
            big(c, v, sizes);
            finish(c, abort, abort ? "large transaction, rolled back" : "large transaction, committed");
        } else if (shape < 80) {
            int n = v.between(1, 3);
            for (int i = 0; i < n; i++) {
                op(c, v, sizes);
            }
            finish(c, true, "aborted transaction");
        } else if (shape < 160) {
            op(c, v, sizes);
            exec(c, "SAVEPOINT a");
            op(c, v, sizes);
            op(c, v, sizes);
            exec(c, "ROLLBACK TO SAVEPOINT a");
            op(c, v, sizes);
            if (v.chance(0.5)) {
                exec(c, "SAVEPOINT b");
                op(c, v, sizes);
                exec(c, "RELEASE SAVEPOINT b");
            }
            finish(c, false, "savepoint rolled back, committed");
        } else if (shape < 200) {
            exec(c, "SELECT nextval('tickets') FROM generate_series(1, " + v.between(1, 40) + ")");
            finish(c, false, "sequence calls");
        } else if (shape < 300) {
            int n = v.between(2, 4);
            for (int i = 0; i < n; i++) {
                op(c, v, sizes);
            }
            finish(c, false, "multi-statement transaction");
        } else {
            op(c, v, sizes);
            finish(c, false, "single-statement transaction");
        }
    }

    private void finish(Connection c, boolean rollback, String what) throws SQLException {
        if (rollback) {
            c.rollback();
        } else {
            c.commit();
        }
        count(what);
    }

    /** A statement or two of one random kind. */
    private void op(Connection c, Values v, Map<String, Long> sizes) throws SQLException {
        int kind = v.random().nextInt(106);
        if (kind >= 100) {
            churn(c, v);
        } else if (kind < 8) {
            if (full(sizes, "accounts")) {
                deleteAccountChain(c);
            } else {
                insertAccount(c, v);
            }
        } else if (kind < 22) {
            updateAccountKeepingNotes(c, v);
        } else if (kind < 26) {
            updateAccountNotes(c, v);
        } else if (kind < 30) {
            deleteAccountChain(c);
        } else if (kind < 40) {
            if (full(sizes, "orders") || full(sizes, "order_lines")) {
                deleteOrder(c);
            } else {
                insertOrder(c, v);
            }
        } else if (kind < 44) {
            changeLineKey(c, v);
        } else if (kind < 49) {
            update(
                    c,
                    "UPDATE order_lines SET qty = qty + 1, price = ?::numeric WHERE order_id = (SELECT id FROM"
                            + " orders ORDER BY random() LIMIT 1)",
                    v.price());
            count("update order_lines");
        } else if (kind < 53) {
            deleteOrder(c);
        } else if (kind < 61) {
            if (full(sizes, "audit")) {
                update(c, "DELETE FROM audit WHERE n % 4 = ?", (long) v.random().nextInt(4));
                count("delete audit rows");
            } else {
                insertAudit(c, v);
            }
        } else if (kind < 66) {
            updateAudit(c, v);
        } else if (kind < 69) {
            update(c, "DELETE FROM audit WHERE ctid = (SELECT ctid FROM audit ORDER BY random() LIMIT 1)");
            count("delete one audit row");
        } else if (kind < 76) {
            if (full(sizes, "readings")) {
                update(c, "DELETE FROM readings WHERE id % 5 = ?", (long)
                        v.random().nextInt(5));
                count("delete readings");
            } else {
                insertReadings(c, v);
            }
        } else if (kind < 80) {
            update(
                    c,
                    "UPDATE readings SET day = CASE WHEN day < '2026-01-01' THEN day + 365 ELSE day - 365 END"
                            + " WHERE (id, day) = (SELECT id, day FROM readings ORDER BY random() LIMIT 1)");
            count("update readings: move to the other partition");
        } else if (kind < 84) {
            update(c, "UPDATE readings SET v = ?::float8, tag = ? WHERE id % 40 = ?", v.float8(), v.text(), (long)
                    v.random().nextInt(40));
            count("update readings");
        } else if (kind < 86) {
            update(
                    c,
                    "DELETE FROM readings WHERE (id, day) = (SELECT id, day FROM readings ORDER BY random() LIMIT 1)");
            count("delete reading");
        } else if (kind < 91) {
            if (full(sizes, "documents")) {
                deleteDocument(c);
            } else {
                upsertDocument(c, v);
            }
        } else if (kind < 94) {
            update(
                    c,
                    "UPDATE documents SET key = ? WHERE key = (SELECT key FROM documents WHERE key NOT LIKE '"
                            + FAULT_KEY_PREFIX + "%' ORDER BY random() LIMIT 1)",
                    v.key());
            count("update documents: key (TOASTed body unchanged)");
        } else if (kind < 97) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE documents SET payload = ?, version = version + 1"
                    + " WHERE key = (SELECT key FROM documents ORDER BY random() LIMIT 1)")) {
                ps.setBytes(1, v.bytes(v.chance(0.3) ? 6000 : 100));
                ps.executeUpdate();
            }
            count("update documents: payload");
        } else {
            deleteDocument(c);
        }
    }

    /**
     * One row changed several times in one statement sequence: what a replay that collapses a row's changes within a
     * batch must get right.
     */
    private void churn(Connection c, Values v) throws SQLException {
        switch (v.random().nextInt(4)) {
            case 0 -> {
                // every key of an order shifted twice (through a range no other line uses)
                Long order = pickLong(c, "SELECT id FROM orders ORDER BY random() LIMIT 1");
                if (order != null) {
                    update(c, "UPDATE order_lines SET line_no = line_no + 100000 WHERE order_id = ?", order);
                    update(c, "UPDATE order_lines SET line_no = line_no - 99999 WHERE order_id = ?", order);
                }
                count("churn: renumber an order's lines twice");
            }
            case 1 -> {
                // a key deleted and inserted again with other values, then updated (TOASTed body unchanged)
                String key = pickString(
                        c,
                        "SELECT key FROM documents WHERE key NOT LIKE '" + FAULT_KEY_PREFIX
                                + "%' ORDER BY random() LIMIT 1");
                if (key != null) {
                    update(c, "DELETE FROM documents WHERE key = ?", key);
                    update(c, "INSERT INTO documents VALUES (?, 100, repeat(md5(?), 400), NULL)", key, v.toastSeed());
                    update(c, "UPDATE documents SET version = version + 1 WHERE key = ?", key);
                }
                count("churn: document deleted, inserted again, updated");
            }
            case 2 -> {
                // a row moved to the other partition and back
                String move = "UPDATE readings SET day = CASE WHEN day < '2026-01-01' THEN day + 365 ELSE day - 365"
                        + " END, v = ?::float8 WHERE id = ?";
                Long id = pickLong(c, "SELECT id FROM readings ORDER BY random() LIMIT 1");
                if (id != null) {
                    update(c, move, v.float8(), id);
                    update(c, move, v.float8(), id);
                }
                count("churn: reading moved to the other partition and back");
            }
            default -> {
                // an account updated three times: TOASTed notes unchanged, replaced, unchanged again
                Long id = pickLong(c, "SELECT id FROM accounts ORDER BY random() LIMIT 1");
                if (id != null) {
                    update(c, "UPDATE accounts SET balance = ?::numeric WHERE id = ?", v.numeric14_2(), id);
                    update(c, "UPDATE accounts SET notes = repeat(md5(?), 400) WHERE id = ?", v.toastSeed(), id);
                    update(c, "UPDATE accounts SET name = ? WHERE id = ?", v.text(), id);
                }
                count("churn: account updated three times");
            }
        }
    }

    private void big(Connection c, Values v, Map<String, Long> sizes) throws SQLException {
        switch (v.random().nextInt(5)) {
            case 0 -> {
                if (full(sizes, "readings")) {
                    update(c, "DELETE FROM readings WHERE id % 3 = ?", (long)
                            v.random().nextInt(3));
                } else {
                    update(
                            c,
                            "INSERT INTO readings (day, v, tag) SELECT ?::date + (g % 300)::int, g * 0.5, md5(g::text)"
                                    + " FROM generate_series(1, ?) g",
                            java.time.LocalDate.of(2025, 1, 1)
                                    .plusDays(v.random().nextInt(400))
                                    .toString(),
                            (long) v.between(300, 1200));
                }
            }
            case 1 ->
                update(c, "UPDATE readings SET v = v + 1 WHERE id % 2 = ?", (long)
                        v.random().nextInt(2));
            case 2 -> update(c, "UPDATE accounts SET balance = balance + 1, mood = 'busy'");
            case 3 -> {
                String tag = "bulk " + v.random().nextLong();
                update(
                        c,
                        "INSERT INTO audit SELECT now(), ?, nextval('tickets'), CASE WHEN g % 50 = 0 THEN"
                                + " repeat(md5(g::text), 400) END FROM generate_series(1, ?) g",
                        tag,
                        (long) v.between(500, 1500));
                update(c, "DELETE FROM audit WHERE what = ?", tag);
            }
            default -> {
                for (int i = 0; i < 8; i++) {
                    insertAccount(c, v);
                }
                update(
                        c,
                        "UPDATE accounts SET notes = repeat(md5(id::text || ?), 400) WHERE id % 10 = ?",
                        v.text(),
                        (long) v.random().nextInt(10));
            }
        }
    }

    void insertAccount(Connection c, Values v) throws SQLException {
        boolean bigNotes = v.chance(0.6);
        boolean home = v.chance(0.9);
        String sql = "INSERT INTO accounts (name, balance, ratio, tags, scores, meta, avatar, opened, uid, mood, qty,"
                + " home, notes) VALUES (?, ?::numeric, ?::numeric, ?, ?::int[], ?::jsonb, ?, ?::timestamptz, ?,"
                + " ?::mood, ?, " + (home ? "ROW(?, ?, ?)::address" : "NULL") + ", "
                + (bigNotes ? "repeat(md5(?), 400)" : "?") + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, v.text());
            ps.setString(i++, v.chance(0.1) ? null : v.numeric14_2());
            ps.setString(i++, v.chance(0.1) ? null : v.numeric());
            i = textArray(c, ps, i, v.textArray());
            ps.setString(i++, v.intArray());
            ps.setString(i++, v.chance(0.1) ? null : v.json(3));
            ps.setBytes(i++, v.bytes(64));
            ps.setString(i++, v.timestamptz());
            ps.setObject(i++, v.chance(0.1) ? null : v.uuid(), Types.OTHER);
            ps.setString(i++, v.mood());
            if (v.chance(0.1)) {
                ps.setNull(i++, Types.INTEGER);
            } else {
                ps.setInt(i++, v.between(1, 1000));
            }
            if (home) {
                ps.setString(i++, v.text());
                ps.setInt(i++, v.between(0, 99999));
                i = textArray(c, ps, i, v.textArray());
            }
            ps.setString(i, bigNotes ? v.toastSeed() : (v.chance(0.3) ? null : v.text()));
            ps.executeUpdate();
        }
        count("insert accounts");
    }

    private static int textArray(Connection c, PreparedStatement ps, int i, String[] values) throws SQLException {
        if (values == null) {
            ps.setNull(i, Types.ARRAY);
        } else {
            ps.setArray(i, c.createArrayOf("text", values));
        }
        return i + 1;
    }

    private void updateAccountKeepingNotes(Connection c, Values v) throws SQLException {
        String pick = " WHERE id = (SELECT id FROM accounts ORDER BY random() LIMIT 1)";
        switch (v.random().nextInt(3)) {
            case 0 ->
                update(c, "UPDATE accounts SET balance = ?::numeric, mood = ?::mood" + pick, v.numeric14_2(), v.mood());
            case 1 -> {
                try (PreparedStatement ps =
                        c.prepareStatement("UPDATE accounts SET name = ?, tags = ?, meta = ?::jsonb" + pick)) {
                    ps.setString(1, v.text());
                    textArray(c, ps, 2, v.textArray());
                    ps.setString(3, v.json(3));
                    ps.executeUpdate();
                }
            }
            default -> {
                try (PreparedStatement ps = c.prepareStatement("UPDATE accounts SET home = ROW(?, ?, ?)::address,"
                        + " qty = ?, scores = ?::int[], opened = ?::timestamptz, uid = ?, avatar = ?, ratio = ?::numeric"
                        + pick)) {
                    ps.setString(1, v.text());
                    ps.setInt(2, v.between(0, 99999));
                    textArray(c, ps, 3, v.textArray());
                    ps.setInt(4, v.between(1, 1000));
                    ps.setString(5, v.intArray());
                    ps.setString(6, v.timestamptz());
                    ps.setObject(7, v.uuid(), Types.OTHER);
                    ps.setBytes(8, v.bytes(64));
                    ps.setString(9, v.numeric());
                    ps.executeUpdate();
                }
            }
        }
        count("update accounts (TOASTed notes unchanged)");
    }

    private void updateAccountNotes(Connection c, Values v) throws SQLException {
        String pick = " WHERE id = (SELECT id FROM accounts ORDER BY random() LIMIT 1)";
        if (v.chance(0.7)) {
            update(c, "UPDATE accounts SET notes = repeat(md5(?), 400)" + pick, v.toastSeed());
        } else {
            update(c, "UPDATE accounts SET notes = ?" + pick, v.chance(0.5) ? null : v.text());
        }
        count("update accounts: notes");
    }

    private void deleteAccountChain(Connection c) throws SQLException {
        Long id = pickLong(c, "SELECT id FROM accounts ORDER BY random() LIMIT 1");
        if (id == null) {
            return;
        }
        update(c, "DELETE FROM order_lines WHERE order_id IN (SELECT id FROM orders WHERE account_id = ?)", id);
        update(c, "DELETE FROM orders WHERE account_id = ?", id);
        update(c, "DELETE FROM accounts WHERE id = ?", id);
        count("delete account with its orders and lines");
    }

    void insertOrder(Connection c, Values v) throws SQLException {
        Long order;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (account_id, placed, status, total) SELECT"
                + " id, coalesce(?::timestamptz, now()), ?::mood, ?::numeric FROM accounts ORDER BY random() LIMIT 1"
                + " RETURNING id")) {
            ps.setString(1, v.chance(0.5) ? null : v.timestamptz());
            ps.setString(2, v.mood());
            ps.setString(3, v.price());
            try (ResultSet rs = ps.executeQuery()) {
                order = rs.next() ? rs.getLong(1) : null;
            }
        }
        if (order == null) {
            return;
        }
        int lines = v.between(0, 5);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO order_lines VALUES (?, ?, ?, ?, ?::numeric)")) {
            for (int line = 1; line <= lines; line++) {
                ps.setLong(1, order);
                ps.setInt(2, line);
                ps.setString(3, v.text());
                ps.setInt(4, v.between(-5, 100));
                ps.setString(5, v.price());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        count("insert order with lines");
    }

    private void changeLineKey(Connection c, Values v) throws SQLException {
        String pick =
                " WHERE (order_id, line_no) = (SELECT order_id, line_no FROM order_lines ORDER BY random() LIMIT 1)";
        if (v.chance(0.6)) {
            update(c, "UPDATE order_lines SET line_no = line_no + ?" + pick, (long) v.between(1, 50));
        } else {
            update(c, "UPDATE order_lines SET order_id = (SELECT id FROM orders ORDER BY random() LIMIT 1)" + pick);
        }
        count("update order_lines: key");
    }

    private void deleteOrder(Connection c) throws SQLException {
        Long id = pickLong(c, "SELECT id FROM orders ORDER BY random() LIMIT 1");
        if (id == null) {
            return;
        }
        update(c, "DELETE FROM order_lines WHERE order_id = ?", id);
        update(c, "DELETE FROM orders WHERE id = ?", id);
        count("delete order with its lines");
    }

    void insertAudit(Connection c, Values v) throws SQLException {
        if (v.chance(0.25)) {
            // an exact duplicate of a row already there: the key-less table's hard case
            update(c, "INSERT INTO audit SELECT * FROM audit ORDER BY random() LIMIT 1");
            count("insert audit: duplicate row");
            return;
        }
        boolean big = v.chance(0.2);
        update(
                c,
                "INSERT INTO audit VALUES (?::timestamptz, ?, nextval('tickets'), "
                        + (big ? "repeat(md5(?), 400)" : "?") + ")",
                v.timestamptz(),
                v.text(),
                big ? v.toastSeed() : (v.chance(0.5) ? null : v.text()));
        count("insert audit");
    }

    private void updateAudit(Connection c, Values v) throws SQLException {
        String one = " WHERE ctid = (SELECT ctid FROM audit ORDER BY random() LIMIT 1)";
        switch (v.random().nextInt(3)) {
            case 0 -> update(c, "UPDATE audit SET what = ?" + one, v.text());
            case 1 -> update(c, "UPDATE audit SET body = repeat(md5(?), 400)" + one, v.toastSeed());
            // every duplicate of a row at once
            default ->
                update(
                        c,
                        "UPDATE audit SET at = ?::timestamptz WHERE n = (SELECT n FROM audit ORDER BY random() LIMIT 1)",
                        v.timestamptz());
        }
        count("update audit");
    }

    void insertReadings(Connection c, Values v) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("INSERT INTO readings (day, v, tag) VALUES (?::date, ?::float8, ?)")) {
            int n = v.between(1, 10);
            for (int i = 0; i < n; i++) {
                ps.setString(1, v.day());
                ps.setString(2, v.float8());
                ps.setString(3, v.chance(0.2) ? null : v.text());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        count("insert readings");
    }

    void upsertDocument(Connection c, Values v) throws SQLException {
        String key = v.chance(0.5)
                ? null
                : pickString(
                        c,
                        "SELECT key FROM documents WHERE key NOT LIKE '" + FAULT_KEY_PREFIX
                                + "%' ORDER BY random() LIMIT 1");
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO documents VALUES (?, 1, repeat(md5(?), ?), ?)"
                + " ON CONFLICT (key) DO UPDATE SET version = documents.version + 1")) {
            ps.setString(1, key == null ? v.key() : key);
            ps.setString(2, v.toastSeed());
            ps.setInt(3, v.chance(0.2) ? 10 : v.chance(0.1) ? 4000 : 400);
            ps.setBytes(4, v.bytes(v.chance(0.2) ? 5000 : 200));
            ps.executeUpdate();
        }
        count(key == null ? "insert documents" : "update documents: version (TOASTed body unchanged)");
    }

    private void deleteDocument(Connection c) throws SQLException {
        update(
                c,
                "DELETE FROM documents WHERE key = (SELECT key FROM documents WHERE key NOT LIKE '" + FAULT_KEY_PREFIX
                        + "%' ORDER BY random() LIMIT 1)");
        count("delete documents");
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** Runs a statement with {@code String}/{@code Long} parameters (null binds a null text). */
    static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] instanceof Long l) {
                    ps.setLong(i + 1, l);
                } else {
                    ps.setString(i + 1, (String) params[i]);
                }
            }
            return ps.executeUpdate();
        }
    }

    private static Long pickLong(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : null;
        }
    }

    private static String pickString(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
