package io.recall.coordinator.catalog;

import static io.recall.coordinator.db.Tables.SEGMENTS;
import static io.recall.coordinator.db.Tables.SOURCES;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.NotFoundException;
import io.recall.coordinator.db.tables.records.SegmentsRecord;
import java.util.ArrayList;
import java.util.List;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.springframework.stereotype.Service;

/** Reads a source's catalog of segments. Thread-safe. */
@Service
public class Segments {

    /** The largest page {@link #page} returns (apart from segments that share a first LSN, see there). */
    public static final int MAX_LIMIT = 1000;

    private final DSLContext db;

    Segments(DSLContext db) {
        this.db = db;
    }

    /**
     * The segments whose first LSN is after {@code after} (all, if null), ordered by first then last LSN, at most
     * {@code limit} of them, except that a page never splits segments sharing a first LSN (duplicates that a sink
     * stored after a crash, rolled at a different point): the page then holds those few more. That is what makes the
     * first LSN a complete cursor.
     *
     * @throws InvalidRequestException if {@code limit} is not between 1 and {@link #MAX_LIMIT}
     * @throws NotFoundException if the source does not exist
     */
    public SegmentPage page(SourceId source, Lsn after, int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidRequestException("limit must be between 1 and " + MAX_LIMIT + ", not " + limit);
        }
        if (!db.fetchExists(SOURCES, SOURCES.ID.eq(source.value()))) {
            throw new NotFoundException("source", source.toString());
        }
        Condition ofSource = SEGMENTS.SOURCE_ID.eq(source.value());
        // LSNs stay far below 2^63 (see V1__metadata.sql), so signed comparison is LSN order
        Condition range = after == null ? ofSource : ofSource.and(SEGMENTS.FIRST_LSN.gt(after.value()));
        List<SegmentsRecord> rows = new ArrayList<>(db.selectFrom(SEGMENTS)
                .where(range)
                .orderBy(SEGMENTS.FIRST_LSN, SEGMENTS.LAST_LSN)
                .limit(limit + 1)
                .fetch());
        String next = null;
        if (rows.size() > limit) {
            rows = new ArrayList<>(rows.subList(0, limit));
            SegmentsRecord last = rows.getLast();
            rows.addAll(db.selectFrom(SEGMENTS)
                    .where(ofSource)
                    .and(SEGMENTS.FIRST_LSN.eq(last.getFirstLsn()))
                    .and(SEGMENTS.LAST_LSN.gt(last.getLastLsn()))
                    .orderBy(SEGMENTS.LAST_LSN)
                    .fetch());
            if (db.fetchExists(SEGMENTS, ofSource.and(SEGMENTS.FIRST_LSN.gt(last.getFirstLsn())))) {
                next = new Lsn(last.getFirstLsn()).toString();
            }
        }
        return new SegmentPage(rows.stream().map(Segments::view).toList(), next);
    }

    private static SegmentView view(SegmentsRecord r) {
        return new SegmentView(
                r.getObjectKey(),
                new Lsn(r.getFirstLsn()).toString(),
                new Lsn(r.getLastLsn()).toString(),
                r.getFirstCommitTime(),
                r.getLastCommitTime(),
                new Lsn(r.getWatermarkLsn()).toString(),
                r.getWatermarkTime(),
                r.getRecordCount(),
                r.getTransactionCount(),
                r.getChangeCount(),
                r.getStoredBytes(),
                r.getUncompressedBytes(),
                r.getSchemaFingerprint(),
                r.getSealedAt());
    }
}
