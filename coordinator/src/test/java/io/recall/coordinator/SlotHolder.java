package io.recall.coordinator;

import io.recall.testsupport.PostgresCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * Streams a logical replication slot, as a capture worker does, so that the slot is {@code active} on the source
 * until {@link #close()}.
 */
final class SlotHolder implements AutoCloseable {

    private final Connection connection;
    private final PGReplicationStream stream;
    private final int pid;

    SlotHolder(PostgresCluster cluster, String database, String slot, String publication) throws SQLException {
        Properties p = new Properties();
        PGProperty.USER.set(p, cluster.superuser());
        PGProperty.PASSWORD.set(p, cluster.superuserPassword());
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
        connection = DriverManager.getConnection(cluster.jdbcUrl(database), p);
        stream = connection
                .unwrap(PGConnection.class)
                .getReplicationAPI()
                .replicationStream()
                .logical()
                .withSlotName(slot)
                .withSlotOption("proto_version", "1")
                .withSlotOption("publication_names", publication)
                .start();
        try (Connection c = cluster.connect(database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT active_pid FROM pg_replication_slots WHERE active AND slot_name = '" + slot + "'")) {
            if (!rs.next()) {
                throw new IllegalStateException("slot " + slot + " is not active after START_REPLICATION");
            }
            pid = rs.getInt(1);
        }
    }

    /** The walsender's process id on the source. */
    int pid() {
        return pid;
    }

    @Override
    public void close() throws SQLException {
        try {
            stream.close();
        } finally {
            connection.close();
        }
    }
}
