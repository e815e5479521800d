package io.recall.coordinator.catalog;

import static io.recall.coordinator.db.Tables.STREAM_GAPS;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.layout.GapMarker;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobNotFoundException;
import io.recall.common.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.springframework.stereotype.Component;

/**
 * Keeps a copy of each recorded gap in storage, {@code sources/{sourceId}/gaps/{gapId}.json}, next to the backups
 * and segments it concerns. Gaps are known only from {@code GapDetected} events, not from the segments (a sink's
 * watermark runs on across a broken stream), so without these markers a catalog rebuilt from storage alone would show
 * a gap-free window (I4). Thread-safe.
 */
@Component
public class GapMarkers {

    private final DSLContext db;
    private final BlobStore store;
    private final ObjectMapper json;

    GapMarkers(DSLContext db, BlobStore store, ObjectMapper json) {
        this.db = db;
        this.store = store;
        this.json = json;
    }

    /** Where a source's markers are, ending in {@code '/'}. */
    public static String prefix(SourceId source) {
        return GapMarker.prefix(source);
    }

    /**
     * Writes the marker of every gap the catalog holds for the source (each write replaces the marker whole, so a
     * repeated call is harmless).
     *
     * @throws io.recall.common.storage.StorageException when storage is unavailable: call again later
     */
    public void sync(SourceId source) {
        for (var r : db.selectFrom(STREAM_GAPS)
                .where(STREAM_GAPS.SOURCE_ID.eq(source.value()))
                .fetch()) {
            GapMarker marker = new GapMarker(
                    GapMarker.FORMAT_VERSION,
                    source.toString(),
                    r.getId().toString(),
                    new Lsn(r.getFromLsn()).toString(),
                    r.getToLsn() == null ? null : new Lsn(r.getToLsn()).toString(),
                    r.getReason(),
                    r.getDetectedAt().toInstant());
            try {
                store.put(GapMarker.key(source, r.getId()), json.writeValueAsBytes(marker));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot serialise a gap marker", e);
            }
        }
    }

    /** Removes a gap's marker (retention, once the gap is behind every kept backup). */
    public void delete(SourceId source, UUID gapId) {
        store.delete(GapMarker.key(source, gapId));
    }

    /** A source's markers as stored, and the keys of files under the prefix that are not readable markers. */
    record Read(List<GapMarker> markers, List<String> unreadable) {}

    Read read(SourceId source) {
        List<GapMarker> markers = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (BlobInfo info : store.list(prefix(source))) {
            try (InputStream in = store.open(info.key())) {
                GapMarker m = json.readValue(in, GapMarker.class);
                if (!source.toString().equals(m.sourceId()) || m.id() == null || m.fromLsn() == null) {
                    unreadable.add(info.key() + ": not a gap marker of this source");
                } else {
                    markers.add(m);
                }
            } catch (BlobNotFoundException e) {
                // deleted since the listing (retention): nothing to rebuild from it
            } catch (IOException e) {
                unreadable.add(info.key() + ": " + e.getMessage());
            }
        }
        return new Read(markers, unreadable);
    }
}
