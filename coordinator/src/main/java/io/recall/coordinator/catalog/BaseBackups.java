package io.recall.coordinator.catalog;

import static io.recall.coordinator.db.Tables.BASE_BACKUPS;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.springframework.stereotype.Service;

/** A source's base backups in the metadata database: requests, and what workers reported. Thread-safe. */
@Service
public class BaseBackups {

    private final DSLContext db;

    BaseBackups(DSLContext db) {
        this.db = db;
    }

    /**
     * Records a request as a {@code REQUESTED} row named by the request id. A worker that reports the backup under that
     * id completes this row; any other id makes a row of its own. Recording the same request id again changes nothing.
     *
     * @param reason {@code REQUESTED} (an operator asked) or {@code SCHEDULED} (the source's schedule fired)
     */
    public void recordRequest(SourceId source, UUID requestId, String reason, OffsetDateTime at) {
        db.insertInto(BASE_BACKUPS)
                .set(BASE_BACKUPS.ID, requestId)
                .set(BASE_BACKUPS.SOURCE_ID, source.value())
                .set(BASE_BACKUPS.STATUS, BaseBackupStatus.REQUESTED.name())
                .set(BASE_BACKUPS.REASON, reason)
                .set(BASE_BACKUPS.REQUESTED_AT, at)
                .onConflictDoNothing()
                .execute();
    }

    /** Newest first. */
    public List<BaseBackupView> list(SourceId source) {
        return db.selectFrom(BASE_BACKUPS)
                .where(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                .orderBy(BASE_BACKUPS.REQUESTED_AT.desc(), BASE_BACKUPS.ID)
                .fetch(r -> new BaseBackupView(
                        r.getId().toString(),
                        r.getStatus(),
                        r.getReason(),
                        r.getConsistentLsn() == null ? null : new Lsn(r.getConsistentLsn()).toString(),
                        r.getSnapshotTime(),
                        r.getServerVersion(),
                        r.getTotalBytes(),
                        r.getStoragePrefix(),
                        r.getManifestSha256(),
                        r.getError(),
                        r.getRequestedAt(),
                        r.getFinishedAt()));
    }
}
