package io.recall.common.ddl;

import io.recall.common.pg.SqlIdentifiers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/**
 * Recall's DDL capture on a source in event-trigger mode: the objects it installs and removes, and the names of the
 * records they put in the change stream.
 *
 * <p>The event triggers ({@code install.sql} beside this class) record, for each object a DDL command touched, its
 * state before and after the command, read from the catalog (never the client's query text, which may hold several
 * statements or DML that replay would apply twice). Records travel inside the DDL's own transaction, so they sit in
 * the stream exactly between the transactions around them: as logical messages on PostgreSQL 14+ and as rows of
 * {@value #LOG_TABLE} on 13, whose pgoutput carries no messages. A capture worker turns the rows back into messages,
 * so everything downstream sees one form:
 *
 * <ul>
 *   <li>{@value #DDL_PREFIX}: one DDL command ({@link DdlRecord});
 *   <li>{@value #ROWS_PREFIX}: the rows of a table after a command rewrote it, or when it joined the publication
 *       ({@link RowsRecord}); parts follow their DDL record in the same transaction;
 *   <li>{@value #GAP_PREFIX}: the trigger failed, so the command is not recorded. The user's DDL still succeeds; the
 *       capture worker reports a gap and takes a new base backup.
 * </ul>
 *
 * Installing and removing are idempotent and touch only objects Recall owns: the schema {@value #SCHEMA} (which base
 * backups leave out) and the event triggers named {@code recall_ddl_*} (which restores leave out). Event triggers need
 * a superuser on PostgreSQL 13–17.
 */
public final class DdlCapture {

    public static final String SCHEMA = "_recall";
    public static final String LOG_TABLE = "_recall.ddl_log";
    public static final String LOG_TABLE_NAME = "ddl_log";
    public static final String DDL_PREFIX = "recall.ddl";
    public static final String ROWS_PREFIX = "recall.ddl.rows";
    public static final String GAP_PREFIX = "recall.ddl.gap";
    /** Every event trigger Recall installs starts with this. */
    public static final String TRIGGER_NAME_PREFIX = "recall_ddl_";

    private static final List<String> TRIGGERS =
            List.of("recall_ddl_command_end", "recall_ddl_sql_drop", "recall_ddl_table_rewrite");
    private static final long INSTALL_LOCK = 0x7265_6361_6c6c_4444L; // "recallDD"

    /** A table pattern as the source was registered with: {@code table} null means every table of the schema. */
    public record Pattern(String schema, String table, boolean exclude) {}

    private DdlCapture() {}

    /** How a server carries the records: {@code MESSAGE} from PostgreSQL 14, {@code TABLE} before. */
    public static String transport(int serverVersionNum) {
        return serverVersionNum >= 140000 ? "MESSAGE" : "TABLE";
    }

    /** Whether the connected role can install event triggers (a superuser). */
    public static boolean canInstall(Connection sql) throws SQLException {
        try (Statement st = sql.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /**
     * Installs (or upgrades) the triggers and registers {@code publication} with its table patterns, in one
     * transaction. Concurrent installs wait for each other.
     */
    public static void install(Connection sql, String publication, List<Pattern> patterns) throws SQLException {
        inLockedTransaction(sql, st -> {
            st.execute(script());
            try (PreparedStatement ps = sql.prepareStatement("INSERT INTO _recall.ddl_config (publication) VALUES (?)"
                    + " ON CONFLICT (publication) DO NOTHING")) {
                ps.setString(1, publication);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = sql.prepareStatement("DELETE FROM _recall.ddl_tables WHERE publication = ?")) {
                ps.setString(1, publication);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = sql.prepareStatement(
                    "INSERT INTO _recall.ddl_tables (publication, schema_name, table_name, exclude) VALUES (?, ?, ?, ?)")) {
                for (Pattern p : patterns) {
                    ps.setString(1, publication);
                    ps.setString(2, p.schema());
                    ps.setString(3, p.table());
                    ps.setBoolean(4, p.exclude());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        });
    }

    /**
     * Unregisters {@code publication}; when no Recall publication of the database is left, drops the event triggers
     * and the schema {@value #SCHEMA}. Does nothing where nothing was installed.
     */
    public static void remove(Connection sql, String publication) throws SQLException {
        inLockedTransaction(sql, st -> {
            boolean installed;
            try (ResultSet rs = st.executeQuery("SELECT pg_catalog.to_regclass('_recall.ddl_config') IS NOT NULL")) {
                rs.next();
                installed = rs.getBoolean(1);
            }
            if (installed) {
                try (PreparedStatement ps =
                        sql.prepareStatement("DELETE FROM _recall.ddl_config WHERE publication = ?")) {
                    ps.setString(1, publication);
                    ps.executeUpdate();
                }
                boolean others;
                try (ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM _recall.ddl_config)")) {
                    rs.next();
                    others = rs.getBoolean(1);
                }
                if (!others) {
                    for (String t : TRIGGERS) {
                        st.execute("DROP EVENT TRIGGER IF EXISTS " + SqlIdentifiers.quote(t));
                    }
                    st.execute("DROP SCHEMA IF EXISTS " + SqlIdentifiers.quote(SCHEMA) + " CASCADE");
                }
            }
        });
    }

    private interface SqlWork {
        void run(Statement st) throws SQLException;
    }

    /** Runs {@code work} in one transaction that holds Recall's install lock, so installs and removals queue up. */
    private static void inLockedTransaction(Connection sql, SqlWork work) throws SQLException {
        boolean auto = sql.getAutoCommit();
        sql.setAutoCommit(false);
        try (Statement st = sql.createStatement()) {
            st.execute("SELECT pg_catalog.pg_advisory_xact_lock(" + INSTALL_LOCK + ")");
            work.run(st);
            sql.commit();
        } catch (SQLException | RuntimeException e) {
            sql.rollback();
            throw e;
        } finally {
            sql.setAutoCommit(auto);
        }
    }

    /**
     * The catalog state of one relation as the event trigger would record it, read on a connection that need not be
     * a superuser's: the same function, created in the session's temporary schema. Empty for a relation that is gone
     * (or temporary).
     */
    public static Optional<DdlRecord.ObjectState> catalogState(Connection sql, long oid) throws SQLException {
        return temporaryState(sql, "relation_state", oid);
    }

    /**
     * The catalog state of every user-defined type (enum, domain, composite) outside the system schemas and Recall's
     * own, by oid, read with one query through the same function in the session's temporary schema.
     */
    public static java.util.Map<Long, DdlRecord.ObjectState> typeStates(Connection sql) throws SQLException {
        try (Statement st = sql.createStatement()) {
            st.execute(temporaryFunction("type_state"));
        }
        java.util.Map<Long, DdlRecord.ObjectState> out = new java.util.HashMap<>();
        try (PreparedStatement ps = sql.prepareStatement("SELECT t.oid, pg_temp.recall_type_state(t.oid)::text"
                + " FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
                + " WHERE t.typtype IN ('e', 'd', 'c') AND n.nspname NOT IN ('information_schema', ?)"
                + " AND n.nspname NOT LIKE 'pg\\_%'")) {
            ps.setString(1, SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(2) != null) { // a table's row type has no state of its own
                        out.put(rs.getLong(1), DdlRecord.parseState(rs.getString(2)));
                    }
                }
            }
        }
        return out;
    }

    private static Optional<DdlRecord.ObjectState> temporaryState(Connection sql, String function, long oid)
            throws SQLException {
        try (Statement st = sql.createStatement()) {
            st.execute(temporaryFunction(function));
        }
        try (PreparedStatement ps = sql.prepareStatement("SELECT pg_temp.recall_" + function + "(?)::text")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String json = rs.getString(1);
                return json == null ? Optional.empty() : Optional.of(DdlRecord.parseState(json));
            }
        }
    }

    /** {@code _recall.<function>} from the install script, as a function of the session's temporary schema. */
    static String temporaryFunction(String function) {
        String script = script();
        String start = "CREATE OR REPLACE FUNCTION _recall." + function + "(";
        int from = script.indexOf(start);
        int to = script.indexOf("$fn$;", from);
        if (from < 0 || to < 0) {
            throw new IllegalStateException("install.sql no longer defines _recall." + function + " as expected");
        }
        return script.substring(from, to + "$fn$;".length())
                .replace("_recall." + function + "(", "pg_temp.recall_" + function + "(");
    }

    static String script() {
        try (InputStream in = DdlCapture.class.getResourceAsStream("install.sql")) {
            if (in == null) {
                throw new IllegalStateException("install.sql is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
