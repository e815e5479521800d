package io.recall.coordinator.catalog;

import static io.recall.coordinator.db.Tables.PURGED_SOURCES;

import io.recall.common.SourceId;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Deletes everything stored for a source ({@code sources/{id}/}: base backups, segments, gap markers, capture state)
 * when it is deleted with {@code ?purge=true}, and keeps it deleted: the source is remembered as purged first, so that
 * a segment sealed afterwards from changes still in Kafka, or a base backup that was running, is deleted when it is
 * announced ({@link #purgeAgainIfPurged}). Thread-safe.
 */
@Component
public class SourcePurger {

    private static final Logger log = LoggerFactory.getLogger(SourcePurger.class);

    private final DSLContext db;
    private final BlobStore store;

    SourcePurger(DSLContext db, BlobStore store) {
        this.db = db;
        this.store = store;
    }

    /**
     * Remembers the source as purged, then deletes its objects.
     *
     * @return how many objects were deleted
     * @throws io.recall.common.storage.StorageException if storage is unavailable (purge again: it resumes)
     */
    public long purge(SourceId source) {
        db.insertInto(PURGED_SOURCES)
                .set(PURGED_SOURCES.ID, source.value())
                .set(PURGED_SOURCES.PURGED_AT, OffsetDateTime.now(ZoneOffset.UTC))
                .onConflictDoNothing()
                .execute();
        long deleted = deleteObjects(source);
        log.info("purged source {}: deleted {} stored object(s) under {}", source, deleted, prefix(source));
        return deleted;
    }

    /** Deletes what is stored for the source again if it was purged; does nothing otherwise. */
    void purgeAgainIfPurged(SourceId source) {
        if (db.fetchExists(PURGED_SOURCES, PURGED_SOURCES.ID.eq(source.value()))) {
            long deleted = deleteObjects(source);
            if (deleted > 0) {
                log.info("deleted {} object(s) stored for purged source {} after it was purged", deleted, source);
            }
        }
    }

    private long deleteObjects(SourceId source) {
        long deleted = 0;
        for (BlobInfo blob : store.list(prefix(source))) {
            store.delete(blob.key());
            deleted++;
        }
        return deleted;
    }

    static String prefix(SourceId source) {
        return "sources/" + source + "/";
    }
}
