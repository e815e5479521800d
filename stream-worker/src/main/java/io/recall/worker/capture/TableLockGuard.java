package io.recall.worker.capture;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds {@code ACCESS SHARE} locks on the captured tables from before a slot exports its snapshot until the dump under
 * that snapshot has ended.
 *
 * <p>Why: {@code TRUNCATE} and table rewrites ({@code ALTER TABLE ... TYPE}, {@code ... SET ... } that rewrite) are not
 * MVCC-safe. One that commits after the slot's consistent point but before {@code pg_dump} locks the table leaves the
 * dump reading the new, empty file under the old snapshot: rows the snapshot should hold are missing, and a restore to
 * a point before that truncate would lack them. Both need {@code ACCESS EXCLUSIVE}, so while this guard holds its
 * locks they wait, and commit only after the dump ended. The guard's transaction assigns no xid, so creating the slot
 * does not wait for it.
 *
 * <p>One exchange can still stall: a truncate that queues behind the guard makes {@code pg_dump}'s own lock request
 * queue behind it (PostgreSQL grants conflicting requests in order). {@code pg_dump --lock-wait-timeout} ends that
 * stall with an error, the guard is released, the truncate runs, and the backup is retried. Not thread-safe.
 */
final class TableLockGuard implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TableLockGuard.class);

    private final Connection connection;

    private TableLockGuard(Connection connection) {
        this.connection = connection;
    }

    /**
     * Locks every table on {@code connection}, which the guard then owns (closing the guard closes it).
     *
     * @param quotedTables schema-qualified, quoted table names; partitioned tables lock their partitions too
     * @param timeout how long to wait for a lock held by someone else (a running DDL) before giving up
     * @throws SQLException if a lock is not granted in time; the connection is closed
     */
    static TableLockGuard lock(Connection connection, List<String> quotedTables, Duration timeout) throws SQLException {
        try {
            connection.setAutoCommit(false);
            if (!quotedTables.isEmpty()) {
                try (Statement st = connection.createStatement()) {
                    st.execute("SET LOCAL lock_timeout = " + Math.max(1, timeout.toMillis()));
                    st.execute("LOCK TABLE " + String.join(", ", quotedTables) + " IN ACCESS SHARE MODE");
                }
            }
            return new TableLockGuard(connection);
        } catch (SQLException e) {
            connection.close();
            throw new SQLException(
                    "could not lock the captured tables before taking a base backup (a schema change or TRUNCATE"
                            + " holds them?): " + e.getMessage(),
                    e.getSQLState(),
                    e);
        }
    }

    @Override
    public void close() {
        try (connection) {
            connection.rollback();
        } catch (SQLException e) {
            log.debug("releasing the table locks: {}", e.getMessage());
        }
    }
}
