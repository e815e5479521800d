package io.recall.restore.job;

import io.recall.common.errors.RecallException;
import io.recall.common.errors.SourceConnectionException;
import io.recall.common.pg.ConnectionString;
import io.recall.common.pg.PgErrors;
import io.recall.common.pg.SqlIdentifiers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's hold on its target database: one dedicated connection that holds the restore lock for the whole job, and
 * what the job reads and writes about the database itself (its identity, its {@link JobMarker}).
 *
 * <h2>Fencing</h2>
 *
 * A Kafka rebalance is not a fence: a worker whose partition moved may still be writing when the next owner starts.
 * Every job therefore holds a session-level advisory lock on the target database, keyed by
 * {@code hashtext('recall.restore')}, from before it touches the target until it ends; advisory locks are per
 * database, so jobs on different targets of one server do not wait for each other. The lock is released when the
 * connection closes, also when the worker's process dies (the server ends the backend of a broken connection).
 *
 * <p>Not thread-safe: the job's thread uses it.
 */
final class TargetDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TargetDatabase.class);

    /** What the advisory lock key is derived from. */
    static final String LOCK_NAMESPACE = "recall.restore";

    private static final String LOCK_KEY = "pg_catalog.hashtext(" + SqlIdentifiers.literal(LOCK_NAMESPACE) + ")";

    /** Databases to connect to when the target database may not exist yet, in order. */
    private static final List<String> MAINTENANCE_DATABASES = List.of("postgres", "template1");

    private final ConnectionString target;
    private final Connection connection;
    private boolean locked;

    private TargetDatabase(ConnectionString target, Connection connection) {
        this.target = target;
        this.connection = connection;
    }

    /**
     * Connects to the target database.
     *
     * @throws SourceConnectionException naming the endpoint when it cannot (a missing database says so)
     */
    static TargetDatabase open(ConnectionString target, String applicationName) {
        return new TargetDatabase(target, connect(target, applicationName));
    }

    static Connection connect(ConnectionString target, String applicationName) {
        Properties p = target.jdbcProperties();
        if (!target.options().containsKey("application_name")) {
            p.setProperty("ApplicationName", applicationName);
        }
        try {
            return DriverManager.getConnection(target.jdbcUrl(), p);
        } catch (SQLException e) {
            throw PgErrors.connectFailure(target, e);
        }
    }

    /**
     * Creates the target database unless it exists, connected to the server's maintenance database ({@code postgres},
     * else {@code template1}) with the target's credentials. A concurrent worker creating it first is fine.
     *
     * @return whether this call created it
     */
    static boolean createIfMissing(ConnectionString target, String applicationName) {
        SourceConnectionException first = null;
        for (String maintenance : MAINTENANCE_DATABASES) {
            Connection c;
            try {
                c = connect(target.withDatabase(maintenance), applicationName);
            } catch (SourceConnectionException e) {
                if (e.reason() == SourceConnectionException.Reason.UNREACHABLE
                        || e.reason() == SourceConnectionException.Reason.PROTOCOL) {
                    throw e; // the server itself is not there: another database will not help
                }
                first = first == null ? e : first;
                continue;
            }
            try (c;
                    PreparedStatement ps =
                            c.prepareStatement("SELECT 1 FROM pg_catalog.pg_database WHERE datname = ?")) {
                ps.setString(1, target.database());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return false;
                    }
                }
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE DATABASE " + SqlIdentifiers.quote(target.database()));
                    log.info("created target database {} on {}:{}", target.database(), target.host(), target.port());
                    return true;
                } catch (SQLException e) {
                    if ("42P04".equals(e.getSQLState())) {
                        return false; // duplicate_database: another worker created it just now
                    }
                    throw e;
                }
            } catch (SQLException e) {
                throw new RecallException(
                        "cannot create the target database " + target.database() + " on " + target.host() + ":"
                                + target.port() + " (connected to " + maintenance + " as " + target.user() + "): "
                                + e.getMessage(),
                        e);
            }
        }
        throw new RecallException(
                "cannot create the target database " + target.database() + ": neither the postgres nor the template1"
                        + " database accepts a connection as " + target.user() + " ("
                        + (first == null ? "no answer" : first.getMessage()) + ")",
                first);
    }

    /** What the target says it is. */
    record Identity(String systemIdentifier, String database, String how) {}

    /**
     * The target's cluster (system identifier) and database: {@code pg_control_system()}, else IDENTIFY_SYSTEM over a
     * replication connection; the identifier is null when neither is permitted.
     */
    Identity identity() {
        String database = queryString("SELECT pg_catalog.current_database()");
        try {
            return new Identity(
                    queryString("SELECT CAST(system_identifier AS text) FROM pg_catalog.pg_control_system()"),
                    database,
                    "pg_control_system()");
        } catch (RecallException e) {
            log.info("pg_control_system() is not permitted on the target ({}); trying IDENTIFY_SYSTEM", e.getMessage());
        }
        Properties p = target.jdbcProperties();
        p.setProperty("replication", "database");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty("assumeMinServerVersion", "10");
        try (Connection rc = DriverManager.getConnection(target.jdbcUrl(), p);
                Statement st = rc.createStatement();
                ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            if (rs.next()) {
                return new Identity(rs.getString(1), database, "IDENTIFY_SYSTEM");
            }
        } catch (SQLException e) {
            log.info("IDENTIFY_SYSTEM is not permitted on the target either: {}", e.getMessage());
        }
        return new Identity(null, database, "none");
    }

    /** Takes the restore lock if it is free; idempotent once held. */
    boolean tryLock() {
        if (!locked) {
            locked = "t".equals(queryString("SELECT pg_catalog.pg_try_advisory_lock(" + LOCK_KEY + ")"));
        }
        return locked;
    }

    /** The marker the target database's comment holds, if it is one. */
    Optional<JobMarker> marker() {
        return JobMarker.parse(queryString("SELECT pg_catalog.shobj_description(d.oid, 'pg_database')"
                + " FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()"));
    }

    /**
     * Writes the marker as the database's comment. Only the database's owner (or a superuser) may; otherwise this logs
     * a warning and the job goes on without crash resume (a job delivered again then finds a non-empty target).
     */
    void writeMarker(JobMarker marker) {
        String sql = "COMMENT ON DATABASE " + SqlIdentifiers.quote(target.database()) + " IS "
                + SqlIdentifiers.literal(marker.format());
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                log.warn(
                        "cannot mark the target database {} as {} ({}): a job delivered again will not recognise it",
                        target.database(),
                        marker.state(),
                        e.getMessage());
                return;
            }
            throw new RecallException(
                    "cannot write the job marker on the target database " + target.database() + ": " + e.getMessage(),
                    e);
        }
    }

    private String queryString(String sql) {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new RecallException(e.getMessage(), e);
        }
    }

    /** Releases the lock (closing the connection would too) and closes the connection. */
    @Override
    public void close() {
        try (connection) {
            if (locked && !connection.isClosed()) {
                try (Statement st = connection.createStatement()) {
                    st.execute("SELECT pg_catalog.pg_advisory_unlock(" + LOCK_KEY + ")");
                }
            }
        } catch (SQLException e) {
            log.debug("releasing the restore lock on {}: {}", target.database(), e.toString());
        }
    }
}
