package io.recall.common.segment;

import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.segment.SegmentBlock;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/** Constants of the segment file format. */
public final class SegmentFormat {

    /**
     * Version of the layout of a segment (what the records and metadata keys mean). A reader refuses a file with a
     * higher version than it knows. Version 1: the records are {@link ChangeEnvelope}s. Version 2: the records are
     * {@link SegmentBlock}s, each holding a run of change records column by column.
     */
    public static final int FORMAT_VERSION = 2;

    /** The schema of a segment's records: blocks of change records ({@code SegmentBlock.avsc}). */
    public static final Schema SCHEMA = SegmentBlock.getClassSchema();

    /** CRC-64-AVRO fingerprint of {@link #SCHEMA}'s parsing canonical form. */
    public static final long SCHEMA_FINGERPRINT = SchemaNormalization.parsingFingerprint64(SCHEMA);

    /** {@link #SCHEMA_FINGERPRINT} as 16 upper-case hex digits, as {@link SegmentMetadata#schemaFingerprint()}. */
    public static final String SCHEMA_FINGERPRINT_HEX = fingerprintHex(SCHEMA);

    /** The schema of the change records a segment holds: the change-stream record, as capture publishes it. */
    public static final Schema ENVELOPE_SCHEMA = ChangeEnvelope.getClassSchema();

    /**
     * CRC-64-AVRO fingerprint of {@link #ENVELOPE_SCHEMA}'s parsing canonical form: the one single-object encoding
     * carries.
     */
    public static final long ENVELOPE_SCHEMA_FINGERPRINT = SchemaNormalization.parsingFingerprint64(ENVELOPE_SCHEMA);

    /** Avro's name of the codec segments are compressed with. */
    public static final String CODEC = "zstandard";

    /** Names the release that wrote a segment, e.g. {@code recall/0.1.0}. */
    public static final String WRITER_VERSION = "recall/" + releaseVersion();

    private SegmentFormat() {}

    /** CRC-64-AVRO fingerprint of a schema's parsing canonical form, as 16 upper-case hex digits. */
    public static String fingerprintHex(Schema schema) {
        return HexFormat.of().withUpperCase().toHexDigits(SchemaNormalization.parsingFingerprint64(schema));
    }

    private static String releaseVersion() {
        try (InputStream in = SegmentFormat.class.getResourceAsStream("segment-writer.properties")) {
            if (in == null) {
                throw new IllegalStateException("segment-writer.properties is missing from the classpath");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
