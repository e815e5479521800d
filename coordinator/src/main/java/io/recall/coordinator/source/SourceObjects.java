package io.recall.coordinator.source;

import io.recall.common.errors.ConflictException;
import io.recall.common.pg.ConnectionString;
import io.recall.common.pg.PgErrors;
import io.recall.common.pg.SqlIdentifiers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Removes what Recall created on a source: its replication slot and its publication. */
@Component
class SourceObjects {

    private static final Logger log = LoggerFactory.getLogger(SourceObjects.class);

    /** SQLSTATE of "replication slot ... is active for PID ...". */
    private static final String OBJECT_IN_USE = "55006";

    /** What a cleanup removed. */
    record Removed(boolean slot, boolean publication) {}

    /**
     * Drops the slot (if it exists) and then the publication (if it exists). A slot still streamed by a connection
     * is not dropped: that is a {@link SlotInUseException}, since the capture must stop first; the publication is
     * then left as it is.
     */
    Removed drop(ConnectionString source, String slotName, String publicationName) {
        try (Connection c = DriverManager.getConnection(source.jdbcUrl(), source.jdbcProperties())) {
            boolean slot = false;
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slotName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        if (rs.getBoolean(1)) {
                            int pid = rs.getInt(2);
                            throw new SlotInUseException(
                                    slotName,
                                    pid,
                                    "replication slot " + slotName + " is still in use by process " + pid);
                        }
                        slot = true;
                    }
                }
            }
            if (slot) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                    ps.setString(1, slotName);
                    ps.execute();
                } catch (SQLException e) {
                    if (OBJECT_IN_USE.equals(e.getSQLState())) {
                        // a capture took the slot between the check above and the drop
                        throw new SlotInUseException(slotName, null, e.getMessage());
                    }
                    throw e;
                }
                log.info("dropped replication slot {} on {}", slotName, source.masked());
            }
            boolean publication;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
                ps.setString(1, publicationName);
                try (ResultSet rs = ps.executeQuery()) {
                    publication = rs.next();
                }
            }
            if (publication) {
                try (Statement st = c.createStatement()) {
                    st.execute("DROP PUBLICATION IF EXISTS " + SqlIdentifiers.quote(publicationName));
                }
                log.info("dropped publication {} on {}", publicationName, source.masked());
            }
            // Recall's DDL capture (event triggers, schema _recall) goes when no Recall publication needs it any more
            if (io.recall.common.ddl.DdlCapture.canInstall(c)) {
                io.recall.common.ddl.DdlCapture.remove(c, publicationName);
            }
            return new Removed(slot, publication);
        } catch (SQLException e) {
            if (e.getSQLState() != null
                    && !e.getSQLState().startsWith("08")
                    && !e.getSQLState().startsWith("28")
                    && !"3D000".equals(e.getSQLState())) {
                throw new ConflictException("could not drop Recall's objects on the source: " + e.getMessage());
            }
            throw PgErrors.connectFailure(source, e);
        }
    }
}
