package io.recall.common.errors;

/**
 * A source (or restore target) database could not be used over its connection string. {@link Reason} says why, so
 * callers can tell a permanent fault (bad credentials) from a transient one (host unreachable).
 */
public class SourceConnectionException extends RecallException {

    /** Why the connection failed; derived from the SQLSTATE class where the server sent one. */
    public enum Reason {
        /** SQLSTATE class 28: wrong password, unknown role, pg_hba.conf rejects the client. Permanent. */
        AUTHENTICATION,
        /** SQLSTATE class 08 or a socket error: host unreachable, refused, timed out. Usually transient. */
        UNREACHABLE,
        /** SQLSTATE 3D000: the database named in the connection string does not exist. */
        UNKNOWN_DATABASE,
        /** The endpoint answered, but not as a PostgreSQL server would (e.g. an HTTP server, a pooler). */
        PROTOCOL,
        /** Any other server error while connecting. */
        OTHER
    }

    private final Reason reason;
    private final String sqlState;

    public SourceConnectionException(Reason reason, String sqlState, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.sqlState = sqlState;
    }

    public Reason reason() {
        return reason;
    }

    /** The SQLSTATE the server sent, or {@code null} when the failure happened below the protocol. */
    public String sqlState() {
        return sqlState;
    }

    public boolean isRetriable() {
        return reason == Reason.UNREACHABLE;
    }
}
