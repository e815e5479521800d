package io.recall.common.pg;

import io.recall.common.errors.SourceConnectionException;
import io.recall.common.errors.SourceConnectionException.Reason;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/** Classifies connection failures by SQLSTATE class (28 = authentication, 08 = connection) and by root cause. */
public final class PgErrors {

    private PgErrors() {}

    /**
     * Turns a failure to connect to {@code target} into a {@link SourceConnectionException} whose message names the
     * endpoint (never the password) and says what to check.
     */
    public static SourceConnectionException connectFailure(ConnectionString target, SQLException e) {
        String where = target.host() + ":" + target.port() + "/" + target.database();
        String state = e.getSQLState();
        if (state != null && state.startsWith("28")) {
            return new SourceConnectionException(
                    Reason.AUTHENTICATION,
                    state,
                    "authentication failed for user '" + target.user() + "' at " + where
                            + ": check the user and password, and that pg_hba.conf admits this client (SQLSTATE "
                            + state + ")",
                    e);
        }
        if ("3D000".equals(state)) {
            return new SourceConnectionException(
                    Reason.UNKNOWN_DATABASE,
                    state,
                    "database '" + target.database() + "' does not exist at " + target.host() + ":" + target.port(),
                    e);
        }
        Throwable root = rootCause(e);
        if (root instanceof UnknownHostException) {
            return new SourceConnectionException(
                    Reason.UNREACHABLE, state, "host '" + target.host() + "' cannot be resolved", e);
        }
        if (root instanceof ConnectException
                || root instanceof NoRouteToHostException
                || root instanceof SocketTimeoutException) {
            return new SourceConnectionException(
                    Reason.UNREACHABLE,
                    state,
                    "cannot reach " + target.host() + ":" + target.port() + " (" + root.getMessage()
                            + "): check host, port, firewall and that the server accepts TCP connections",
                    e);
        }
        if (root instanceof EOFException || "08P01".equals(state)) {
            return new SourceConnectionException(
                    Reason.PROTOCOL,
                    state,
                    target.host() + ":" + target.port()
                            + " did not answer as a PostgreSQL server: is this the database port, not an HTTP or"
                            + " other service?",
                    e);
        }
        if (state != null && state.startsWith("08")) {
            return new SourceConnectionException(
                    Reason.UNREACHABLE, state, "connection to " + where + " failed: " + e.getMessage(), e);
        }
        return new SourceConnectionException(
                Reason.OTHER, state, "connection to " + where + " failed: " + e.getMessage(), e);
    }

    private static Throwable rootCause(Throwable t) {
        Throwable cur = t;
        while (cur.getCause() != null && cur.getCause() != cur) {
            cur = cur.getCause();
        }
        return cur;
    }
}
