package io.recall.restore.replay;

import io.recall.common.errors.RecallException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Does a replay's writing on a thread of its own, so that reading and collapsing the next batch overlaps with the
 * target writing the current one. Tasks run one at a time, in the order they are submitted; a submitter waits while
 * the writer is busy with the previous task (a {@link SynchronousQueue}), so at most two batches are in memory: the
 * one being written and the one being handed over.
 *
 * <p>The writer owns the connection from construction until {@link #finish} or {@link #abort} returns. Its first
 * failure stops it: it rolls back the open target transaction, and every later {@link #submit} and {@link #finish}
 * throws that failure. The counters it updates are read by the submitting thread only after {@link #finish}.
 */
final class TargetWriter {

    private static final Logger log = LoggerFactory.getLogger(TargetWriter.class);

    sealed interface Task {}

    /** Writes drained plans; {@code during} names the transaction being read when the flush was decided. */
    record Flush(List<TableWrite> writes, CommitHeader during) implements Task {}

    record TableWrite(SourceRelation relation, PendingTable.Plan plan) {}

    record Truncate(List<SourceRelation> relations, boolean cascade, boolean restartIdentity, CommitHeader during)
            implements Task {}

    /** A message of Recall's DDL capture: a schema change, or rows that go with one. */
    record Ddl(String prefix, byte[] content, CommitHeader during) implements Task {}

    /**
     * Ends a batch: writes what is still pending, records {@code last} as applied and commits the target transaction.
     * One task, so that the submitter reads the next batch while this one is written (a commit handed over on its own
     * would keep the submitter waiting in {@link #submit} until the writes were done).
     */
    record Commit(List<TableWrite> writes, CommitHeader last) implements Task {}

    private record Stop(boolean rollback) implements Task {}

    private final Connection connection;
    private final String progressTable;
    private final ReplayCounters counters;
    private final DdlApplier ddl;
    private final Map<SourceRelation, TargetTable> tables = new HashMap<>();
    private final SynchronousQueue<Task> queue = new SynchronousQueue<>();
    private final Thread thread;
    private volatile Throwable failure;

    TargetWriter(Connection connection, String progressTable, ReplayCounters counters) {
        this.connection = connection;
        this.progressTable = progressTable;
        this.counters = counters;
        this.ddl = new DdlApplier(connection, counters);
        this.thread = Thread.ofPlatform().name("recall-replay-writer").daemon().start(this::run);
    }

    /** Hands a task to the writer, waiting while it is busy; throws the writer's failure if it has stopped. */
    void submit(Task task) throws SQLException {
        try {
            while (!queue.offer(task, 20, TimeUnit.MILLISECONDS)) {
                if (!thread.isAlive()) {
                    rethrowFailure();
                    throw new IllegalStateException("the replay writer has stopped");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new RecallException("interrupted while replaying", e);
        }
    }

    /** Waits until every submitted task is done; throws the writer's failure, if any. */
    void finish() throws SQLException {
        submit(new Stop(false));
        join();
        rethrowFailure();
    }

    /** Stops the writer after its current task and rolls back the open target transaction. */
    void abort() {
        if (thread.isAlive()) {
            try {
                while (thread.isAlive() && !queue.offer(new Stop(true), 20, TimeUnit.MILLISECONDS)) {
                    // the writer is finishing its current task
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        join();
    }

    private void join() {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the connection must not be handed back while the writer may still use it
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void rethrowFailure() throws SQLException {
        Throwable f = failure;
        if (f == null) {
            return;
        }
        if (f instanceof SQLException e) {
            throw e;
        }
        if (f instanceof RuntimeException e) {
            throw e;
        }
        if (f instanceof Error e) {
            throw e;
        }
        throw new RecallException("replay writer failed: " + f, f);
    }

    private void run() {
        Task task = null;
        try {
            while (true) {
                task = queue.take();
                long started = System.nanoTime();
                switch (task) {
                    case Stop stop -> {
                        if (stop.rollback()) {
                            connection.rollback();
                        }
                        return;
                    }
                    case Flush flush -> write(flush.writes());
                    case Truncate t -> truncate(t);
                    case Ddl d -> {
                        ddl.apply(d.prefix(), d.content());
                        // tables may have new names, columns or types now: look them up again
                        tables.clear();
                    }
                    case Commit c -> {
                        write(c.writes());
                        commit(c.last());
                    }
                }
                counters.writeNanos += System.nanoTime() - started;
            }
        } catch (Throwable e) {
            failure = e instanceof ReplayStreamException r ? within(r, task) : e;
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
        }
    }

    private void write(List<TableWrite> writes) throws SQLException {
        if (writes.isEmpty()) {
            return;
        }
        for (TableWrite w : writes) {
            table(w.relation()).write(w.plan());
        }
        counters.flushes++;
    }

    private TargetTable table(SourceRelation relation) throws SQLException {
        TargetTable t = tables.get(relation);
        if (t == null) {
            t = TargetTable.load(connection, relation, counters);
            tables.put(relation, t);
        }
        return t;
    }

    private void truncate(Truncate t) throws SQLException {
        List<String> names = new ArrayList<>();
        for (SourceRelation r : t.relations()) {
            names.add("ONLY " + table(r).name());
        }
        String sql = "TRUNCATE " + String.join(", ", names) + (t.restartIdentity() ? " RESTART IDENTITY" : "")
                + (t.cascade() ? " CASCADE" : "");
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        }
        counters.truncates++;
        counters.statements++;
    }

    private void commit(CommitHeader last) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + progressTable
                + " (id, commit_lsn, commit_time, xid) VALUES (1, CAST(? AS pg_lsn), ?, ?) ON CONFLICT (id) DO UPDATE"
                + " SET commit_lsn = EXCLUDED.commit_lsn, commit_time = EXCLUDED.commit_time, xid = EXCLUDED.xid")) {
            ps.setString(1, last.commitLsn().toString());
            ps.setObject(2, OffsetDateTime.ofInstant(last.commitTime(), ZoneOffset.UTC));
            ps.setLong(3, last.xid());
            ps.executeUpdate();
        }
        connection.commit();
        counters.commits++;
        log.debug("committed through {} ({} commits so far)", last.commitLsn(), counters.commits);
    }

    /** Names the transaction being read; a flush writes a whole batch, so the change may be from an earlier one. */
    static ReplayStreamException within(ReplayStreamException e, CommitHeader tx) {
        return new ReplayStreamException(
                e.getMessage() + " (replaying the batch up to the transaction that committed at " + tx.commitLsn()
                        + ", xid " + tx.xid() + ")",
                e);
    }

    private static ReplayStreamException within(ReplayStreamException e, Task task) {
        CommitHeader during = switch (task) {
            case Flush f -> f.during();
            case Truncate t -> t.during();
            case Ddl d -> d.during();
            case Commit c -> c.last();
            case null, default -> null;
        };
        return during == null ? e : within(e, during);
    }
}
