package io.recall.coordinator.catalog;

import static io.recall.coordinator.db.Tables.APPROXIMATE_RANGES;
import static io.recall.coordinator.db.Tables.BASE_BACKUPS;
import static io.recall.coordinator.db.Tables.SEGMENTS;
import static io.recall.coordinator.db.Tables.SOURCES;
import static io.recall.coordinator.db.Tables.STREAM_GAPS;
import static org.jooq.impl.DSL.greatest;
import static org.jooq.impl.DSL.max;
import static org.jooq.impl.DSL.select;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.errors.NotFoundException;
import io.recall.coordinator.catalog.RecoveryWindow.ApproximateRange;
import io.recall.coordinator.catalog.RecoveryWindow.BackupPoint;
import io.recall.coordinator.catalog.RecoveryWindow.StreamGap;
import io.recall.coordinator.catalog.RecoveryWindow.Watermark;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;
import org.jooq.DSLContext;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Computes a source's {@link RecoveryWindow} from the catalog. Thread-safe. */
@Service
public class RecoveryWindows {

    private final DSLContext db;

    RecoveryWindows(DSLContext db) {
        this.db = db;
    }

    /**
     * The window as the catalog holds it now. Read in one repeatable-read transaction, so that backups, gaps,
     * approximate ranges and the watermark are one consistent picture.
     *
     * @throws NotFoundException if the source does not exist
     */
    @Transactional(readOnly = true, isolation = org.springframework.transaction.annotation.Isolation.REPEATABLE_READ)
    public RecoveryWindow of(SourceId source) {
        var archived = db.select(SOURCES.ARCHIVED_LSN, SOURCES.ARCHIVED_TIME)
                .from(SOURCES)
                .where(SOURCES.ID.eq(source.value()))
                .fetchOptional()
                .orElseThrow(() -> new NotFoundException("source", source.toString()));
        List<BackupPoint> backups = db.select(BASE_BACKUPS.CONSISTENT_LSN, BASE_BACKUPS.SNAPSHOT_TIME)
                .from(BASE_BACKUPS)
                .where(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                .and(BASE_BACKUPS.STATUS.eq(BaseBackupStatus.SUCCEEDED.name()))
                .and(BASE_BACKUPS.CONSISTENT_LSN.isNotNull())
                .and(BASE_BACKUPS.SNAPSHOT_TIME.isNotNull())
                .fetch(r -> new BackupPoint(new Lsn(r.value1()), r.value2().toInstant()));
        List<StreamGap> gaps = db.select(STREAM_GAPS.FROM_LSN, STREAM_GAPS.TO_LSN, STREAM_GAPS.REASON)
                .from(STREAM_GAPS)
                .where(STREAM_GAPS.SOURCE_ID.eq(source.value()))
                .orderBy(STREAM_GAPS.FROM_LSN)
                .fetch(r -> new StreamGap(
                        new Lsn(r.value1()),
                        r.value2() == null ? null : new Lsn(r.value2()),
                        r.value3(),
                        archivedTimeBefore(source, r.value1())));
        List<ApproximateRange> approximate = db.select(
                        APPROXIMATE_RANGES.FROM_LSN, APPROXIMATE_RANGES.TO_LSN, APPROXIMATE_RANGES.REASON)
                .from(APPROXIMATE_RANGES)
                .where(APPROXIMATE_RANGES.SOURCE_ID.eq(source.value()))
                .orderBy(APPROXIMATE_RANGES.FROM_LSN)
                .fetch(r -> {
                    Lsn to = r.value2() == null ? null : new Lsn(r.value2());
                    return new ApproximateRange(
                            new Lsn(r.value1()),
                            to,
                            r.value3(),
                            archivedTimeBefore(source, r.value1()),
                            to == null ? null : snapshotAtOrAfter(backups, to));
                });
        Watermark watermark = archived.value1() == null
                ? null
                : new Watermark(
                        new Lsn(archived.value1()),
                        archived.value2() == null ? null : archived.value2().toInstant());
        return RecoveryWindow.of(backups, gaps, approximate, watermark);
    }

    /**
     * The earliest snapshot time of the {@code backups} whose consistent point is at or after {@code lsn}: every
     * transaction committed below {@code lsn} committed before it. Null if there is none.
     */
    private static Instant snapshotAtOrAfter(List<BackupPoint> backups, Lsn lsn) {
        return backups.stream()
                .filter(b -> !b.consistentLsn().isBefore(lsn))
                .map(BackupPoint::snapshotTime)
                .min(Comparator.naturalOrder())
                .orElse(null);
    }

    /**
     * The latest archived server time at or before {@code lsn}: the highest watermark time of a segment whose watermark
     * is not past it, or the last commit time of a segment that ends before it. Null if there is none.
     */
    private Instant archivedTimeBefore(SourceId source, long lsn) {
        OffsetDateTime time = db.select(greatest(
                        select(max(SEGMENTS.WATERMARK_TIME))
                                .from(SEGMENTS)
                                .where(SEGMENTS.SOURCE_ID.eq(source.value()))
                                .and(SEGMENTS.WATERMARK_LSN.le(lsn))
                                .asField(),
                        select(max(SEGMENTS.LAST_COMMIT_TIME))
                                .from(SEGMENTS)
                                .where(SEGMENTS.SOURCE_ID.eq(source.value()))
                                .and(SEGMENTS.LAST_LSN.lt(lsn))
                                .asField()))
                .fetchOne(0, OffsetDateTime.class);
        return time == null ? null : time.toInstant();
    }
}
