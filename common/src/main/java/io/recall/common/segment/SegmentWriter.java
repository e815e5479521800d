package io.recall.common.segment;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.schemas.change.ChangeEnvelope;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Collects one source's change records into a segment. Records are compressed as they arrive into a spool file on
 * local disk, so memory stays at one compression block however large the segment grows. The file header's metadata
 * can only be written once the records are known, so {@link #finish()} yields a {@link SealedSegment} that writes the
 * final file, header first, by copying the compressed blocks from the spool without recompressing them.
 *
 * <p>A writer that is closed without {@link #finish()} deletes its spool file. Not thread-safe.
 */
public final class SegmentWriter implements Closeable {

    /**
     * How segments are compressed.
     *
     * @param zstdLevel zstd compression level, 1 (fastest) to 22
     * @param blockBytes uncompressed size of a compression block (Avro's sync interval): larger blocks compress better
     *     and cost that much memory per open segment
     */
    public record Options(int zstdLevel, int blockBytes) {

        public static final Options DEFAULT = new Options(3, 1024 * 1024);

        public Options {
            if (zstdLevel < 1 || zstdLevel > 22) {
                throw new IllegalArgumentException("zstd level must be between 1 and 22, was " + zstdLevel);
            }
            if (blockBytes < 32 * 1024 || blockBytes > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("block size must be between 32 KiB and 64 MiB, was " + blockBytes);
            }
        }

        DataFileWriter<ChangeEnvelope> newFileWriter() {
            DataFileWriter<ChangeEnvelope> writer =
                    new DataFileWriter<>(new SpecificDatumWriter<>(SegmentFormat.SCHEMA));
            // zstd's frame checksum: a corrupted block fails to decompress instead of yielding wrong changes
            writer.setCodec(CodecFactory.zstandardCodec(zstdLevel, true));
            writer.setSyncInterval(blockBytes);
            return writer;
        }
    }

    /** Avro single-object encoding: the marker bytes, then the schema's fingerprint (little-endian), then the datum. */
    private static final int SINGLE_OBJECT_HEADER = 10;

    private final SourceId source;
    private final Path spool;
    private final Options options;
    private final DataFileWriter<ChangeEnvelope> out;
    private final SegmentStats stats;
    private final SpecificDatumWriter<ChangeEnvelope> datumWriter = new SpecificDatumWriter<>(SegmentFormat.SCHEMA);
    private final ByteArrayOutputStream encoded = new ByteArrayOutputStream(4096);
    private BinaryEncoder encoder;
    private boolean finished;
    private boolean closed;

    private SegmentWriter(SourceId source, Path spool, Options options, Lsn watermark, Instant watermarkTime)
            throws IOException {
        this.source = source;
        this.spool = spool;
        this.options = options;
        this.stats = new SegmentStats(source, watermark, watermarkTime);
        OutputStream file = new BufferedOutputStream(Files.newOutputStream(spool), 64 * 1024);
        try {
            this.out = options.newFileWriter().create(SegmentFormat.SCHEMA, file);
        } catch (IOException | RuntimeException e) {
            file.close();
            Files.deleteIfExists(spool);
            throw e;
        }
    }

    /**
     * Starts a segment of {@code source}, spooled to a new file in {@code spoolDir}.
     *
     * @param watermark the source's archived watermark before this segment (the previous segment's
     *     {@link SegmentMetadata#watermarkLsn()}), or {@link Lsn#INVALID} if unknown; the segment's own watermark never
     *     goes below it
     * @param watermarkTime the time that came with {@code watermark}
     */
    public static SegmentWriter create(
            SourceId source, Path spoolDir, Options options, Lsn watermark, Instant watermarkTime) throws IOException {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(watermark, "watermark");
        Files.createDirectories(spoolDir);
        Path spool = Files.createTempFile(spoolDir, "segment-" + source.objectSuffix() + "-", ".avro.spool");
        return new SegmentWriter(source, spool, options, watermark, watermarkTime);
    }

    /** Appends a record, encoding it. */
    public void append(ChangeEnvelope record) throws IOException {
        checkRecord(record);
        encoded.reset();
        encoder = EncoderFactory.get().directBinaryEncoder(encoded, encoder);
        datumWriter.write(record, encoder);
        encoder.flush();
        appendDatum(record, ByteBuffer.wrap(encoded.toByteArray()));
    }

    /**
     * Appends a record as it arrived from Kafka, copying its Avro body instead of encoding it again.
     *
     * @param record the decoded record, for the metadata
     * @param singleObjectEncoding the same record in Avro single-object encoding (as {@code ChangeEnvelope.toByteBuffer}
     *     writes it)
     * @throws IllegalArgumentException if the encoding is not single-object encoding of {@link SegmentFormat#SCHEMA}
     */
    public void append(ChangeEnvelope record, byte[] singleObjectEncoding) throws IOException {
        checkRecord(record);
        byte[] b = singleObjectEncoding;
        if (b.length < SINGLE_OBJECT_HEADER || b[0] != (byte) 0xC3 || b[1] != (byte) 0x01) {
            throw new IllegalArgumentException("not Avro single-object encoding");
        }
        long fingerprint =
                ByteBuffer.wrap(b, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (fingerprint != SegmentFormat.SCHEMA_FINGERPRINT) {
            throw new IllegalArgumentException("record written with schema fingerprint " + Long.toHexString(fingerprint)
                    + ", segments are written with " + SegmentFormat.SCHEMA_FINGERPRINT_HEX);
        }
        appendDatum(record, ByteBuffer.wrap(b, SINGLE_OBJECT_HEADER, b.length - SINGLE_OBJECT_HEADER));
    }

    private void checkRecord(ChangeEnvelope record) {
        if (finished || closed) {
            throw new IllegalStateException("segment writer is " + (finished ? "finished" : "closed"));
        }
        if (!source.toString().equals(record.getSourceId())) {
            throw new IllegalArgumentException(
                    "record of source " + record.getSourceId() + " in a segment of source " + source);
        }
    }

    private void appendDatum(ChangeEnvelope record, ByteBuffer datum) throws IOException {
        int size = datum.remaining();
        // metadata first: it rejects an unknown body before the file holds it
        stats.add(record, size);
        out.appendEncoded(datum);
    }

    /** The source whose records this segment holds. */
    public SourceId source() {
        return source;
    }

    /** Records appended so far. */
    public long recordCount() {
        return stats.records();
    }

    /** Avro binary size of the records appended so far: the size the segment's limit is measured in. */
    public long uncompressedBytes() {
        return stats.bytes();
    }

    /**
     * Whether the last record is a chunk of a transaction whose last chunk has not come yet: a segment that ends here
     * would split the transaction.
     */
    public boolean inTransaction() {
        return stats.inTransaction();
    }

    /** The watermark the segment would have if it were finished now. */
    public Lsn watermark() {
        return stats.watermark();
    }

    /** The time that came with {@link #watermark()}. */
    public Instant watermarkTime() {
        return stats.watermarkTime();
    }

    /**
     * Completes the spool file. The writer accepts no more records; the returned segment owns the spool file.
     *
     * @throws IllegalStateException if no record was appended
     */
    public SealedSegment finish() throws IOException {
        if (finished || closed) {
            throw new IllegalStateException("segment writer is " + (finished ? "finished" : "closed"));
        }
        SegmentMetadata metadata = stats.metadata();
        out.close();
        finished = true;
        return new SealedSegment(metadata, spool, options);
    }

    /** Discards the segment unless it was finished: the spool file is deleted. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed || finished) {
            closed = true;
            return;
        }
        closed = true;
        try {
            out.close();
        } finally {
            Files.deleteIfExists(spool);
        }
    }
}
