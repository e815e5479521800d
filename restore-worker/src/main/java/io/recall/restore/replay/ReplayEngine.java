package io.recall.restore.replay;

import static io.recall.common.pg.SqlIdentifiers.literal;
import static io.recall.common.pg.SqlIdentifiers.qualified;
import static io.recall.common.pg.SqlIdentifiers.quote;

import io.recall.common.Lsn;
import io.recall.schemas.change.TransactionChunk;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies captured transactions to a target database that holds a restored base backup, fast, and each exactly once.
 *
 * <h2>How</h2>
 *
 * A restore is offline, so the engine does what a live subscriber cannot (DESIGN.md, "Replay design notes"):
 *
 * <ul>
 *   <li>many source transactions go into one target transaction ({@link ReplaySettings});
 *   <li>within a batch, successive changes to one row collapse into its final image ({@link PendingTable}: key
 *       changes, unchanged-TOAST columns, REPLICA IDENTITY FULL tables as multisets);
 *   <li>a flush writes each table with a few set-based statements: new rows with one COPY, updates and deletes as one
 *       statement each over text arrays ({@link TargetTable}); values are text cast to the target's column types;
 *   <li>pending rows are flushed without committing when they reach {@link ReplaySettings#maxPendingBytes()}, so a
 *       source transaction larger than memory streams through; commits happen only between source transactions, so
 *       the target never holds part of one;
 *   <li>a writer thread ({@link TargetWriter}) writes one batch while this thread reads and collapses the next, so
 *       reading the stream (and, upstream, fetching segments) overlaps with the target's work. Memory holds at most
 *       two batches of pending rows.
 * </ul>
 *
 * Tables are written in any order within a flush, and a TRUNCATE runs at once (after discarding what was pending for
 * its tables): both are only right because the target has no foreign keys, triggers, rules or row security during
 * replay. The engine checks that for every table it writes and refuses otherwise; {@code BaseRestorer} creates them
 * after replay.
 *
 * <h2>Exactly once (I2)</h2>
 *
 * The {@link TransactionReader} hands out each transaction once. Each target commit also records the last applied
 * transaction in {@code "_recall".replay_progress} in the same target transaction, so a replay that stops anywhere
 * (crash, cancel, a failed statement) resumes after the last committed transaction and never applies one twice.
 * {@link #dropProgress} removes the table when the restore is finished.
 *
 * <h2>Session</h2>
 *
 * The engine owns the connection while {@link #replay} runs (its writer thread uses it): it turns autocommit off and
 * sets session parameters (empty search_path so every name is qualified, ISO dates, exact float output,
 * {@code synchronous_commit = off} since a restore that crashes is resumed from its progress row anyway, JIT off,
 * generic plans and a larger {@code work_mem} for the array joins). Not thread-safe: one replay at a time; only
 * {@link #transactionsSoFar()} and {@link #changesSoFar()} may be read from other threads while it runs.
 */
public final class ReplayEngine {

    private static final Logger log = LoggerFactory.getLogger(ReplayEngine.class);

    /** Schema of the progress table in the target; the same name Recall keeps out of every base backup. */
    public static final String PROGRESS_SCHEMA = "_recall";

    private static final String PROGRESS_TABLE = qualified(PROGRESS_SCHEMA, "replay_progress");

    private final Connection connection;
    private final ReplaySettings settings;
    private final LinkedHashMap<SourceRelation, PendingTable> pending = new LinkedHashMap<>();
    private long pendingBytes;
    // the transaction being read carried a schema change: commit after it
    private boolean schemaChanged;
    // written by the replaying thread after each transaction, read by progress reporters on other threads
    private volatile long transactionsSoFar;
    private volatile long changesSoFar;

    public ReplayEngine(Connection connection, ReplaySettings settings) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Replays every transaction with commit LSN ≥ {@code consistentPoint} that the cut-off includes, resuming after
     * the last transaction an earlier run committed into this target.
     *
     * @param chunks the source's stream (see {@link TransactionReader} for what it may contain)
     * @param consistentPoint the consistent point of the base backup the target was restored from
     * @throws ReplayStreamException if the stream is incomplete or does not match the target; the open target
     *     transaction is rolled back, what was committed stays and a later run resumes after it
     */
    public ReplayResult replay(Iterator<TransactionChunk> chunks, Lsn consistentPoint, Cutoff cutoff)
            throws SQLException {
        prepareSession();
        Optional<CommitHeader> applied = appliedThrough(connection);
        Lsn start = consistentPoint;
        if (applied.isPresent() && !applied.get().commitLsn().isBefore(consistentPoint)) {
            start = new Lsn(applied.get().commitLsn().value() + 1);
            log.info(
                    "resuming replay after {} (applied by an earlier run)",
                    applied.get().commitLsn());
        }
        return run(new TransactionReader(chunks, start, cutoff), applied);
    }

    /**
     * Source transactions read whole by the running (or last) replay: applied, or in the batch being applied. May be
     * called from any thread, as the run goes.
     */
    public long transactionsSoFar() {
        return transactionsSoFar;
    }

    /** Row changes (and truncates) read by the running (or last) replay; may be called from any thread. */
    public long changesSoFar() {
        return changesSoFar;
    }

    /** The last transaction a replay committed into this target, if any. */
    public static Optional<CommitHeader> appliedThrough(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet exists =
                        st.executeQuery("SELECT pg_catalog.to_regclass(" + literal(PROGRESS_TABLE) + ") IS NOT NULL")) {
            exists.next();
            if (!exists.getBoolean(1)) {
                return Optional.empty();
            }
        }
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT CAST(commit_lsn AS text), commit_time, xid FROM " + PROGRESS_TABLE + " WHERE id = 1")) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new CommitHeader(
                    Lsn.parse(rs.getString(1)),
                    rs.getObject(2, OffsetDateTime.class).toInstant(),
                    rs.getLong(3)));
        }
    }

    /**
     * Completes a replayed restore: runs {@code postData} (the base restore's post-replay part, handed the entries to
     * leave out because replayed schema changes dropped them) while the tables replayed changes renamed carry their
     * base-backup names again, then creates the foreign keys the replayed changes added. Call after the last replay,
     * before {@link #dropProgress}; autocommit is on afterwards.
     *
     * @see DdlApplier#createDeferred
     */
    public static void completeAfterReplay(Connection connection, Consumer<Predicate<String>> postData)
            throws SQLException {
        connection.setAutoCommit(true);
        Predicate<String> skips = DdlApplier.postDataSkips(connection);
        int renamed = DdlApplier.renameForPostData(connection, false);
        try {
            postData.accept(skips);
        } finally {
            if (renamed > 0) {
                DdlApplier.renameForPostData(connection, true);
            }
        }
        DdlApplier.createDeferred(connection);
    }

    /**
     * What a table of the base backup is called after the replayed schema changes: its own name when none renamed
     * it, empty when one dropped it. Call before {@link #dropProgress}.
     */
    public static Optional<List<String>> tableAfterSchemaChanges(Connection connection, String schema, String table)
            throws SQLException {
        return DdlApplier.currentName(connection, schema, table);
    }

    /** Removes the progress table (and its schema, if nothing else is in it) once the restore is complete. */
    public static void dropProgress(Connection connection) throws SQLException {
        boolean auto = connection.getAutoCommit();
        connection.setAutoCommit(true);
        try (Statement st = connection.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + PROGRESS_TABLE);
            for (String t : DdlApplier.bookkeepingTables()) {
                st.execute("DROP TABLE IF EXISTS " + t);
            }
            try (ResultSet rs =
                    st.executeQuery("SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                            + " ON n.oid = c.relnamespace WHERE n.nspname = "
                            + literal(PROGRESS_SCHEMA))) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    st.execute("DROP SCHEMA IF EXISTS " + quote(PROGRESS_SCHEMA));
                }
            }
        } finally {
            connection.setAutoCommit(auto);
        }
    }

    private void prepareSession() throws SQLException {
        connection.setAutoCommit(true);
        try (Statement st = connection.createStatement()) {
            st.execute("SELECT pg_catalog.set_config('search_path', '', false)");
            st.execute("SET DateStyle = 'ISO, YMD'");
            st.execute("SET IntervalStyle = 'postgres'");
            st.execute("SET extra_float_digits = 3");
            st.execute("SET bytea_output = 'hex'");
            st.execute("SET TimeZone = 'UTC'");
            st.execute("SET synchronous_commit = off");
            st.execute("SET jit = off");
            // Every keyed statement joins a text array to the table on its key: a generic plan estimates the array at
            // a few rows and looks each key up in the index, while a custom plan that sees 10,000 keys hashes the
            // whole table, several times slower. Room for the arrays keeps them off disk.
            st.execute("SET plan_cache_mode = force_generic_plan");
            st.execute("SET work_mem = '64MB'");
            st.execute("SET statement_timeout = 0");
            st.execute("SET lock_timeout = 0");
            st.execute("SET idle_in_transaction_session_timeout = 0");
            st.execute("CREATE SCHEMA IF NOT EXISTS " + quote(PROGRESS_SCHEMA));
            st.execute("CREATE TABLE IF NOT EXISTS " + PROGRESS_TABLE + " (id int PRIMARY KEY CHECK (id = 1),"
                    + " commit_lsn pg_lsn NOT NULL, commit_time timestamptz NOT NULL, xid bigint NOT NULL)");
            DdlApplier.prepare(st);
        }
        connection.setAutoCommit(false);
    }

    private ReplayResult run(TransactionReader reader, Optional<CommitHeader> resumedFrom) throws SQLException {
        long started = System.nanoTime();
        ReplayCounters counters = new ReplayCounters();
        pending.clear();
        pendingBytes = 0;
        schemaChanged = false;
        transactionsSoFar = 0;
        changesSoFar = 0;
        CommitHeader last = null;
        long inBatch = 0;
        long changesInBatch = 0;
        TargetWriter writer = new TargetWriter(connection, PROGRESS_TABLE, counters);
        try {
            TransactionReader.Transaction tx;
            while ((tx = reader.next()) != null) {
                CommitHeader header = tx.header();
                try {
                    Change c;
                    while ((c = tx.nextChange()) != null) {
                        apply(c, header, writer);
                        changesInBatch++;
                        if (pendingBytes > settings.maxPendingBytes()) {
                            flush(header, writer);
                        }
                    }
                } catch (ReplayStreamException e) {
                    throw TargetWriter.within(e, header);
                }
                last = header;
                inBatch++;
                if (schemaChanged) {
                    // commit right after a schema change: an enum value it added may be used only once committed
                    inBatch = Long.MAX_VALUE;
                    schemaChanged = false;
                }
                transactionsSoFar = reader.transactionsDelivered();
                changesSoFar = reader.changesDelivered();
                if (inBatch >= settings.transactionsPerCommit() || changesInBatch >= settings.changesPerCommit()) {
                    flushAndCommit(last, writer);
                    inBatch = 0;
                    changesInBatch = 0;
                }
            }
            if (inBatch > 0) {
                flushAndCommit(last, writer);
            }
            writer.finish();
        } catch (SQLException | RuntimeException | Error e) {
            writer.abort();
            pending.values().forEach(PendingTable::clear);
            pendingBytes = 0;
            throw e;
        }
        ReplayResult result = new ReplayResult(
                last != null ? Optional.of(last) : resumedFrom,
                reader.transactionsDelivered(),
                reader.changesDelivered(),
                counters.copied,
                counters.updated,
                counters.deleted,
                counters.truncates,
                counters.statements,
                counters.commits,
                Duration.ofNanos(System.nanoTime() - started),
                Duration.ofNanos(counters.writeNanos),
                counters.schemaChanges,
                counters.approximateRepairs);
        log.info(
                "replayed {} transactions ({} changes) in {} ms ({} ms writing): {} rows copied, {} updated, {} deleted,"
                        + " {} rewritten after a unique-index collision, {} truncates, {} statements, {} commits, {}"
                        + " repeated chunks skipped; restored to {}",
                result.transactions(),
                result.changes(),
                result.elapsed().toMillis(),
                result.writing().toMillis(),
                result.rowsCopied(),
                result.rowsUpdated(),
                result.rowsDeleted(),
                counters.rewrites,
                result.truncates(),
                result.statements(),
                result.commits(),
                reader.chunksSkipped(),
                result.restoredTo().map(h -> h.commitLsn().toString()).orElse("the base backup"));
        return result;
    }

    private void apply(Change c, CommitHeader tx, TargetWriter writer) throws SQLException {
        if (c.kind() == Change.Kind.MESSAGE) {
            // a schema change sits between the changes around it: what came before is written under the old schema
            flush(tx, writer);
            writer.submit(new TargetWriter.Ddl(c.messagePrefix(), c.messageContent(), tx));
            schemaChanged = true;
            return;
        }
        if (c.kind() == Change.Kind.TRUNCATE) {
            // what was pending for the truncated tables is gone with them; other tables' rows do not depend on them
            for (SourceRelation r : c.truncated()) {
                for (PendingTable p : pending.values()) {
                    if (sameTable(p.relation(), r)) {
                        pendingBytes -= p.approximateBytes();
                        p.clear();
                    }
                }
            }
            if (!c.truncated().isEmpty()) {
                writer.submit(
                        new TargetWriter.Truncate(c.truncated(), c.truncateCascade(), c.truncateRestartIdentity(), tx));
            }
            return;
        }
        PendingTable p = pendingFor(c.relation(), tx, writer);
        long before = p.approximateBytes();
        switch (c.kind()) {
            case INSERT -> p.insert(c.newValues());
            case UPDATE -> p.update(c.oldValues(), c.oldIsKey(), c.newValues());
            case DELETE -> p.delete(c.oldValues(), c.oldIsKey());
            default -> throw new IllegalStateException(c.kind().toString());
        }
        pendingBytes += p.approximateBytes() - before;
    }

    private PendingTable pendingFor(SourceRelation relation, CommitHeader tx, TargetWriter writer) throws SQLException {
        PendingTable p = pending.get(relation);
        if (p != null) {
            return p;
        }
        // A new definition of a table already pending (DDL on the source): write the rows decoded under the old one
        // first, so that the table's changes stay in order.
        for (SourceRelation known : pending.keySet()) {
            if (sameTable(known, relation)) {
                flush(tx, writer);
                break;
            }
        }
        p = new PendingTable(relation);
        pending.put(relation, p);
        return p;
    }

    /** Hands everything pending to the writer. */
    private void flush(CommitHeader tx, TargetWriter writer) throws SQLException {
        List<TargetWriter.TableWrite> writes = drainPending();
        if (!writes.isEmpty()) {
            writer.submit(new TargetWriter.Flush(writes, tx));
        }
    }

    /**
     * Ends a batch: hands everything pending to the writer together with the commit through {@code last}, as one
     * task, so that reading the next batch overlaps with writing this one.
     */
    private void flushAndCommit(CommitHeader last, TargetWriter writer) throws SQLException {
        writer.submit(new TargetWriter.Commit(drainPending(), last));
    }

    private List<TargetWriter.TableWrite> drainPending() {
        List<TargetWriter.TableWrite> writes = new ArrayList<>();
        for (PendingTable p : pending.values()) {
            if (!p.isEmpty()) {
                writes.add(new TargetWriter.TableWrite(p.relation(), p.drain()));
            }
        }
        pendingBytes = 0;
        return writes;
    }

    private static boolean sameTable(SourceRelation a, SourceRelation b) {
        return a.schema().equals(b.schema()) && a.table().equals(b.table());
    }
}
