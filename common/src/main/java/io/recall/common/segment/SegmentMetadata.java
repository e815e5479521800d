package io.recall.common.segment;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a segment's file header says about it (Avro file metadata, {@code setMeta}), so that a segment can be
 * understood, and the catalog rebuilt, without the catalog. Immutable.
 *
 * <p>Metadata keys and their text form (LSNs as PostgreSQL prints them, {@code 0/16B3748}; times as ISO-8601 instants
 * with microseconds; counts as decimal):
 *
 * <table>
 *   <caption>segment metadata keys</caption>
 *   <tr><td>{@value #FORMAT_VERSION}</td><td>{@link #formatVersion}</td></tr>
 *   <tr><td>{@value #WRITER_VERSION}</td><td>{@link #writerVersion}</td></tr>
 *   <tr><td>{@value #SOURCE_ID}</td><td>{@link #sourceId}</td></tr>
 *   <tr><td>{@value #FIRST_LSN}, {@value #LAST_LSN}</td><td>{@link #firstLsn}, {@link #lastLsn}</td></tr>
 *   <tr><td>{@value #FIRST_COMMIT_TIME}, {@value #LAST_COMMIT_TIME}</td><td>only if the segment holds chunks</td></tr>
 *   <tr><td>{@value #WATERMARK_LSN}, {@value #WATERMARK_TIME}</td><td>{@link #watermarkLsn}, {@link #watermarkTime}
 *       (the time only if there is one)</td></tr>
 *   <tr><td>{@value #RECORD_COUNT}, {@value #TRANSACTION_COUNT}, {@value #CHANGE_COUNT}</td><td>counts</td></tr>
 *   <tr><td>{@value #UNCOMPRESSED_BYTES}</td><td>{@link #uncompressedBytes}</td></tr>
 *   <tr><td>{@value #SCHEMA_FINGERPRINT}</td><td>{@link #schemaFingerprint}</td></tr>
 * </table>
 *
 * @param sourceId the source every record belongs to
 * @param firstLsn the lowest commit LSN of the segment's transaction chunks: the first one's, since a source's records
 *     come in commit-LSN order, unless a capture restart re-sent earlier transactions inside the segment. In a segment
 *     without chunks (only heartbeats and sequence snapshots) the lowest of their LSNs
 * @param lastLsn the highest commit LSN of its chunks (normally the last one's); without chunks the highest heartbeat
 *     or sequence-snapshot LSN
 * @param firstCommitTime commit time of the transaction at {@code firstLsn}, {@code null} if there are no chunks
 * @param lastCommitTime commit time of the transaction at {@code lastLsn}, {@code null} if there are no chunks
 * @param watermarkLsn the archived watermark once this segment is stored: every transaction with commit LSN below it
 *     is in this or an earlier segment of the source. It is the highest of the end LSN of the last complete
 *     transaction, the position of the last heartbeat, and the watermark the writer started from (the previous
 *     segment's); {@link Lsn#INVALID} if none is known (a sink that just started and has seen neither)
 * @param watermarkTime the server time that came with the watermark: the transaction's commit time or the heartbeat's
 *     server time; {@code null} when the watermark is invalid
 * @param recordCount records in the file
 * @param transactionCount transactions whose last chunk is in this segment
 * @param changeCount row changes, truncates and logical messages in its chunks
 * @param uncompressedBytes Avro binary size of the change records (as {@code ChangeEnvelope}s, however the format
 *     stores them)
 * @param schemaFingerprint CRC-64-AVRO fingerprint of the records' schema, 16 upper-case hex digits
 * @param formatVersion {@link SegmentFormat#FORMAT_VERSION} of the writer
 * @param writerVersion the release that wrote the file
 */
public record SegmentMetadata(
        SourceId sourceId,
        Lsn firstLsn,
        Lsn lastLsn,
        Instant firstCommitTime,
        Instant lastCommitTime,
        Lsn watermarkLsn,
        Instant watermarkTime,
        long recordCount,
        long transactionCount,
        long changeCount,
        long uncompressedBytes,
        String schemaFingerprint,
        int formatVersion,
        String writerVersion) {

    public static final String FORMAT_VERSION = "recall.format.version";
    public static final String WRITER_VERSION = "recall.writer.version";
    public static final String SOURCE_ID = "recall.source.id";
    public static final String FIRST_LSN = "recall.first.lsn";
    public static final String LAST_LSN = "recall.last.lsn";
    public static final String FIRST_COMMIT_TIME = "recall.first.commit.time";
    public static final String LAST_COMMIT_TIME = "recall.last.commit.time";
    public static final String WATERMARK_LSN = "recall.watermark.lsn";
    public static final String WATERMARK_TIME = "recall.watermark.time";
    public static final String RECORD_COUNT = "recall.record.count";
    public static final String TRANSACTION_COUNT = "recall.transaction.count";
    public static final String CHANGE_COUNT = "recall.change.count";
    public static final String UNCOMPRESSED_BYTES = "recall.uncompressed.bytes";
    public static final String SCHEMA_FINGERPRINT = "recall.schema.fingerprint";

    public SegmentMetadata {
        Objects.requireNonNull(sourceId, "sourceId");
        Objects.requireNonNull(firstLsn, "firstLsn");
        Objects.requireNonNull(lastLsn, "lastLsn");
        Objects.requireNonNull(watermarkLsn, "watermarkLsn");
        Objects.requireNonNull(schemaFingerprint, "schemaFingerprint");
        Objects.requireNonNull(writerVersion, "writerVersion");
        if ((firstCommitTime == null) != (lastCommitTime == null)) {
            throw new IllegalArgumentException("first and last commit time are both set or both absent");
        }
        if (recordCount < 1 || transactionCount < 0 || changeCount < 0 || uncompressedBytes < 0) {
            throw new IllegalArgumentException("a segment holds at least one record and no negative counts");
        }
    }

    /** The segment's name in storage. */
    public SegmentName name() {
        return new SegmentName(sourceId, firstLsn, lastLsn);
    }

    /** Whether the segment holds transaction chunks (else only heartbeats and sequence snapshots). */
    public boolean hasChunks() {
        return firstCommitTime != null;
    }

    /** The metadata entries to write in a file header, keys as documented on this class. */
    public Map<String, String> toMeta() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(FORMAT_VERSION, Integer.toString(formatVersion));
        meta.put(WRITER_VERSION, writerVersion);
        meta.put(SOURCE_ID, sourceId.toString());
        meta.put(FIRST_LSN, firstLsn.toString());
        meta.put(LAST_LSN, lastLsn.toString());
        if (firstCommitTime != null) {
            meta.put(FIRST_COMMIT_TIME, firstCommitTime.toString());
            meta.put(LAST_COMMIT_TIME, lastCommitTime.toString());
        }
        meta.put(WATERMARK_LSN, watermarkLsn.toString());
        if (watermarkTime != null) {
            meta.put(WATERMARK_TIME, watermarkTime.toString());
        }
        meta.put(RECORD_COUNT, Long.toString(recordCount));
        meta.put(TRANSACTION_COUNT, Long.toString(transactionCount));
        meta.put(CHANGE_COUNT, Long.toString(changeCount));
        meta.put(UNCOMPRESSED_BYTES, Long.toString(uncompressedBytes));
        meta.put(SCHEMA_FINGERPRINT, schemaFingerprint);
        return meta;
    }

    /**
     * Reads the metadata back from a file header.
     *
     * @param meta the header's value for a key, {@code null} if absent
     * @throws SegmentFormatException if a required key is missing or malformed, or the format version is newer than
     *     {@link SegmentFormat#FORMAT_VERSION}
     */
    public static SegmentMetadata fromMeta(Function<String, String> meta) {
        int version = (int) number(meta, FORMAT_VERSION);
        if (version > SegmentFormat.FORMAT_VERSION) {
            throw new SegmentFormatException("segment format version " + version + " is newer than this reader's "
                    + SegmentFormat.FORMAT_VERSION + ": upgrade Recall");
        }
        try {
            return new SegmentMetadata(
                    SourceId.parse(required(meta, SOURCE_ID)),
                    Lsn.parse(required(meta, FIRST_LSN)),
                    Lsn.parse(required(meta, LAST_LSN)),
                    instant(meta, FIRST_COMMIT_TIME),
                    instant(meta, LAST_COMMIT_TIME),
                    Lsn.parse(required(meta, WATERMARK_LSN)),
                    instant(meta, WATERMARK_TIME),
                    number(meta, RECORD_COUNT),
                    number(meta, TRANSACTION_COUNT),
                    number(meta, CHANGE_COUNT),
                    number(meta, UNCOMPRESSED_BYTES),
                    required(meta, SCHEMA_FINGERPRINT),
                    version,
                    required(meta, WRITER_VERSION));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new SegmentFormatException("malformed segment metadata: " + e.getMessage(), e);
        }
    }

    private static String required(Function<String, String> meta, String key) {
        String value = meta.apply(key);
        if (value == null) {
            throw new SegmentFormatException("segment metadata lacks " + key + ": not a Recall segment");
        }
        return value;
    }

    private static long number(Function<String, String> meta, String key) {
        String value = required(meta, key);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new SegmentFormatException("segment metadata " + key + " is not a number: " + value, e);
        }
    }

    private static Instant instant(Function<String, String> meta, String key) {
        String value = meta.apply(key);
        return value == null ? null : Instant.parse(value);
    }
}
