package io.recall.coordinator.catalog;

import static io.recall.coordinator.db.Tables.SCHEMA_CHANGES;
import static io.recall.coordinator.db.Tables.SOURCES;

import com.fasterxml.jackson.core.type.TypeReference;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.NotFoundException;
import io.recall.coordinator.config.JsonColumns;
import io.recall.coordinator.db.tables.records.SchemaChangesRecord;
import java.time.ZoneOffset;
import java.util.List;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.springframework.stereotype.Service;

/** Reads a source's schema history, as capture workers reported it ({@code SchemaChanged}). Thread-safe. */
@Service
public class SchemaHistory {

    private static final TypeReference<List<SchemaHistoryView.ObjectChange>> OBJECTS = new TypeReference<>() {};

    private final DSLContext db;
    private final JsonColumns json;

    SchemaHistory(DSLContext db, JsonColumns json) {
        this.db = db;
        this.json = json;
    }

    /**
     * The schema changes with commit LSN between {@code from} and {@code to}, both inclusive (either null = open), in
     * commit-LSN order, then by ordinal.
     *
     * @throws InvalidRequestException if {@code from} is after {@code to}
     * @throws NotFoundException if the source does not exist
     */
    public SchemaHistoryView of(SourceId source, Lsn from, Lsn to) {
        if (from != null && to != null && from.isAfter(to)) {
            throw new InvalidRequestException("from (" + from + ") is after to (" + to + ")");
        }
        if (!db.fetchExists(SOURCES, SOURCES.ID.eq(source.value()))) {
            throw new NotFoundException("source", source.toString());
        }
        Condition range = SCHEMA_CHANGES.SOURCE_ID.eq(source.value());
        // LSNs stay far below 2^63 (see V1__metadata.sql), so signed comparison is LSN order
        if (from != null) {
            range = range.and(SCHEMA_CHANGES.COMMIT_LSN.ge(from.value()));
        }
        if (to != null) {
            range = range.and(SCHEMA_CHANGES.COMMIT_LSN.le(to.value()));
        }
        List<SchemaHistoryView.Change> changes = db.selectFrom(SCHEMA_CHANGES)
                .where(range)
                .orderBy(SCHEMA_CHANGES.COMMIT_LSN, SCHEMA_CHANGES.ORDINAL)
                .fetch(this::view);
        return new SchemaHistoryView(source.toString(), changes);
    }

    private SchemaHistoryView.Change view(SchemaChangesRecord r) {
        return new SchemaHistoryView.Change(
                new Lsn(r.getCommitLsn()).toString(),
                r.getCommitTime().withOffsetSameInstant(ZoneOffset.UTC),
                r.getXid(),
                r.getOrdinal(),
                r.getCommandTag(),
                json.read(r.getObjects(), OBJECTS),
                r.getApproximate());
    }
}
