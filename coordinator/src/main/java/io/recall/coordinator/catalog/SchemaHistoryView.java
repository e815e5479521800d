package io.recall.coordinator.catalog;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * {@code GET /api/v1/sources/{id}/schema-history}: the source's schema changes in commit-LSN order, then by their
 * position in the transaction. LSNs as PostgreSQL prints them ({@code X/Y}).
 */
public record SchemaHistoryView(String sourceId, List<Change> changes) {

    public SchemaHistoryView {
        changes = List.copyOf(changes);
    }

    /**
     * One DDL command.
     *
     * @param lsn the commit LSN of its transaction
     * @param time the commit time of its transaction
     * @param xid the transaction's 32-bit xid
     * @param ordinal its position among the DDL commands of the transaction, from 0
     * @param commandTag e.g. {@code ALTER TABLE}, {@code CREATE INDEX}
     * @param approximate the change could not be recorded exactly (a gap and a new base backup follow)
     */
    public record Change(
            String lsn,
            OffsetDateTime time,
            long xid,
            int ordinal,
            String commandTag,
            List<ObjectChange> objects,
            boolean approximate) {

        public Change {
            objects = List.copyOf(objects);
        }
    }

    /**
     * One object a command touched; also the form the catalog stores ({@code schema_changes.objects}).
     *
     * @param objectType as {@code pg_event_trigger_ddl_commands()} names it: {@code table}, {@code index}, ...
     * @param identity schema-qualified name after the change (before it, for a drop)
     * @param action {@code CREATE}, {@code ALTER} or {@code DROP}
     * @param replayed whether a restore re-creates this change
     */
    public record ObjectChange(String objectType, String identity, String action, boolean replayed) {}
}
