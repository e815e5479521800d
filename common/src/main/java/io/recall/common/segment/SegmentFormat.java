package io.recall.common.segment;

import io.recall.schemas.change.ChangeEnvelope;
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
     * higher version than it knows.
     */
    public static final int FORMAT_VERSION = 1;

    /** The schema segments are written with: the change-stream record, so Kafka records are stored as they came. */
    public static final Schema SCHEMA = ChangeEnvelope.getClassSchema();

    /** CRC-64-AVRO fingerprint of {@link #SCHEMA}'s parsing canonical form: the one single-object encoding carries. */
    public static final long SCHEMA_FINGERPRINT = SchemaNormalization.parsingFingerprint64(SCHEMA);

    /** {@link #SCHEMA_FINGERPRINT} as 16 upper-case hex digits, as {@link SegmentMetadata#schemaFingerprint()}. */
    public static final String SCHEMA_FINGERPRINT_HEX = fingerprintHex(SCHEMA);

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
