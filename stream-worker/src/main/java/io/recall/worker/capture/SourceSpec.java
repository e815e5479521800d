package io.recall.worker.capture;

import io.recall.common.SourceId;
import io.recall.common.ddl.DdlCapture;
import io.recall.common.pg.ConnectionString;
import java.util.List;

/**
 * A source as a capture worker runs it: the desired state from {@code recall.sources} with the password decrypted.
 * {@link #toString()} never shows the password.
 */
record SourceSpec(
        SourceId id,
        String name,
        long epoch,
        boolean paused,
        ConnectionString connection,
        List<String> tables,
        List<DdlCapture.Pattern> tablePatterns,
        String slotName,
        String publicationName,
        String baseBackupRequestId) {

    SourceSpec {
        tables = List.copyOf(tables);
        tablePatterns = List.copyOf(tablePatterns);
    }

    /**
     * Whether a session running this spec can carry on under {@code other}: only a change of pause, tables or
     * connection needs a restart; a new epoch or a base-backup request does not interrupt the stream.
     */
    boolean sameStream(SourceSpec other) {
        return other != null
                && paused == other.paused
                && tables.equals(other.tables)
                && tablePatterns.equals(other.tablePatterns)
                && connection.equals(other.connection)
                && slotName.equals(other.slotName)
                && publicationName.equals(other.publicationName);
    }

    @Override
    public String toString() {
        return "SourceSpec[" + id + " " + name + " epoch " + epoch + (paused ? " paused" : "") + " "
                + connection.masked() + "]";
    }
}
