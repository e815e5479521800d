package io.recall.worker.capture;

import io.recall.common.SourceId;
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
        String slotName,
        String publicationName,
        String baseBackupRequestId) {

    SourceSpec {
        tables = List.copyOf(tables);
    }

    /** Same source, same work: a restart is needed only when something else changed. */
    boolean sameWork(SourceSpec other) {
        return other != null
                && epoch == other.epoch
                && paused == other.paused
                && tables.equals(other.tables)
                && connection.equals(other.connection)
                && java.util.Objects.equals(baseBackupRequestId, other.baseBackupRequestId);
    }

    @Override
    public String toString() {
        return "SourceSpec[" + id + " " + name + " epoch " + epoch + (paused ? " paused" : "") + " "
                + connection.masked() + "]";
    }
}
