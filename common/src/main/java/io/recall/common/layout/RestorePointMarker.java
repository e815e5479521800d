package io.recall.common.layout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.recall.common.SourceId;
import io.recall.common.errors.InvalidRequestException;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * A named restore point as storage keeps it, {@code sources/{sourceId}/restore-points/{name}.json} (JSON, format
 * version {@value #FORMAT_VERSION}): the source's {@code pg_current_wal_lsn()} and clock when it was created. A
 * restore to the point applies every transaction with commit LSN below {@code lsn}. Written by the coordinator next to
 * its catalog row, so that a restore worker (and a rebuilt catalog) can resolve the name from storage alone.
 *
 * @param lsn as PostgreSQL prints LSNs
 * @param time the source's clock at that position
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RestorePointMarker(
        int formatVersion, String sourceId, String name, String lsn, Instant time, Instant createdAt) {

    public static final int FORMAT_VERSION = 1;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    /** Where a source's restore points are, ending in {@code '/'}. */
    public static String prefix(SourceId source) {
        return "sources/" + source + "/restore-points/";
    }

    /**
     * The storage key of a point.
     *
     * @throws InvalidRequestException if the name is not a valid restore point name
     */
    public static String key(SourceId source, String name) {
        return prefix(source) + checkName(name) + ".json";
    }

    /**
     * Checks a restore point name: 1–63 characters, letters, digits, {@code . _ -}, starting with a letter or digit
     * (it becomes part of a storage key).
     *
     * @throws InvalidRequestException otherwise
     */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidRequestException("restore point name '" + name + "' is not valid: use 1-63 letters,"
                    + " digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }
}
