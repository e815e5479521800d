package io.recall.common.segment;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a segment is stored: {@code sources/{sourceId}/segments/{firstLsn}-{lastLsn}.avro}, LSNs as 16 zero-padded
 * upper-case hex digits ({@link Lsn#toPaddedHex()}) so that names sort in LSN order.
 *
 * <p>The name depends only on the segment's LSN range, so a sink that stores the same segment again after a crash or a
 * failed upload overwrites the same object. The sink ends segments only at transaction boundaries and never starts
 * one inside a transaction, so two segments of one source with the same range hold the same complete transactions
 * (when capture re-sent transactions after a restart, one the later segment lacks comes again after it in the stream
 * and is stored again): replacing one with the other never loses a transaction. Immutable.
 *
 * @param sourceId the source
 * @param firstLsn see {@link SegmentMetadata#firstLsn()}
 * @param lastLsn see {@link SegmentMetadata#lastLsn()}; not before {@code firstLsn}
 */
public record SegmentName(SourceId sourceId, Lsn firstLsn, Lsn lastLsn) implements Comparable<SegmentName> {

    public static final String SUFFIX = ".avro";

    private static final Pattern KEY = Pattern.compile(
            "sources/([0-9a-fA-F-]{36})/segments/([0-9A-F]{16})-([0-9A-F]{16})" + Pattern.quote(SUFFIX));

    public SegmentName {
        Objects.requireNonNull(sourceId, "sourceId");
        Objects.requireNonNull(firstLsn, "firstLsn");
        Objects.requireNonNull(lastLsn, "lastLsn");
        if (lastLsn.isBefore(firstLsn)) {
            throw new IllegalArgumentException("segment lastLsn " + lastLsn + " is before firstLsn " + firstLsn);
        }
    }

    /** The prefix under which every segment of {@code source} is stored, ending in {@code '/'}. */
    public static String prefix(SourceId source) {
        return "sources/" + source + "/segments/";
    }

    /** The blob key. */
    public String key() {
        return prefix(sourceId) + firstLsn.toPaddedHex() + "-" + lastLsn.toPaddedHex() + SUFFIX;
    }

    /**
     * Parses a blob key written by {@link #key()}.
     *
     * @throws IllegalArgumentException if it is not a segment key
     */
    public static SegmentName parse(String key) {
        return tryParse(key).orElseThrow(() -> new IllegalArgumentException("not a segment key: " + key));
    }

    /** The segment a key names, or empty if it is not a segment key (a listing also returns other files). */
    public static Optional<SegmentName> tryParse(String key) {
        Matcher m = KEY.matcher(Objects.requireNonNull(key, "key"));
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new SegmentName(
                    SourceId.parse(m.group(1)),
                    new Lsn(Long.parseUnsignedLong(m.group(2), 16)),
                    new Lsn(Long.parseUnsignedLong(m.group(3), 16))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Orders by source, then first LSN, then last LSN: the order of {@link #key()}s within a source. */
    @Override
    public int compareTo(SegmentName other) {
        int c = sourceId.toString().compareTo(other.sourceId.toString());
        if (c == 0) {
            c = firstLsn.compareTo(other.firstLsn);
        }
        return c != 0 ? c : lastLsn.compareTo(other.lastLsn);
    }

    @Override
    public String toString() {
        return key();
    }
}
