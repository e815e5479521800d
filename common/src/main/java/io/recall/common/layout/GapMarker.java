package io.recall.common.layout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.recall.common.SourceId;
import java.time.Instant;
import java.util.UUID;

/**
 * A gap in a source's stream as storage keeps it, {@code sources/{sourceId}/gaps/{gapId}.json} (JSON, format version
 * {@value #FORMAT_VERSION}). Gaps are known only from {@code GapDetected} events, not from the segments (a sink's
 * watermark runs on across a broken stream), so the coordinator writes one marker per gap: a catalog rebuilt from
 * storage and a restore worker reading storage directly both see the gap (I4).
 *
 * @param fromLsn first commit LSN the stream lost, as PostgreSQL prints LSNs
 * @param toLsn where the stream (a new base backup) resumed; null while the gap is open
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GapMarker(
        int formatVersion,
        String sourceId,
        String id,
        String fromLsn,
        @JsonInclude(JsonInclude.Include.ALWAYS) String toLsn,
        String reason,
        Instant detectedAt) {

    public static final int FORMAT_VERSION = 1;

    /** Where a source's markers are, ending in {@code '/'}. */
    public static String prefix(SourceId source) {
        return "sources/" + source + "/gaps/";
    }

    public static String key(SourceId source, UUID gapId) {
        return prefix(source) + gapId + ".json";
    }
}
