package io.recall.common.segment;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.segment.SegmentBlock;
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
 * Collects one source's change records into a segment. Records are gathered into blocks ({@link BlockCodec}), and each
 * block is compressed into a spool file on local disk once its records reach {@link Options#blockBytes()}, so memory
 * stays at one block however large the segment grows. The file header's metadata
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
     * @param blockBytes how many bytes of change records (their Avro binary encoding, as
     *     {@link SegmentWriter#uncompressedBytes()} counts them) a block holds, which is compressed as a whole: larger
     *     blocks compress better and cost about that much memory per open segment
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

        DataFileWriter<SegmentBlock> newFileWriter() {
            DataFileWriter<SegmentBlock> writer = new DataFileWriter<>(new SpecificDatumWriter<>(SegmentFormat.SCHEMA));
            // zstd's frame checksum: a corrupted block fails to decompress instead of yielding wrong changes
            writer.setCodec(CodecFactory.zstandardCodec(zstdLevel, true));
            // Avro preallocates 1.25 x the sync interval per open file, so it must stay near the block size (one open
            // segment per source). Each Avro block still holds exactly one SegmentBlock: Avro ends a block only after
            // an append, when its buffer reached the interval, and the writer syncs after every SegmentBlock anyway.
            writer.setSyncInterval(Math.clamp(blockBytes, MIN_SYNC_INTERVAL, MAX_SYNC_INTERVAL));
            return writer;
        }
    }

    /** The smallest and largest sync intervals Avro allows. */
    private static final int MIN_SYNC_INTERVAL = 32;

    private static final int MAX_SYNC_INTERVAL = 1 << 30;

    /** Avro single-object encoding: the marker bytes, then the schema's fingerprint (little-endian), then the datum. */
    private static final int SINGLE_OBJECT_HEADER = 10;

    private final SourceId source;
    private final Path spool;
    private final Options options;
    private final DataFileWriter<SegmentBlock> out;
    private final SegmentStats stats;
    private final SpecificDatumWriter<ChangeEnvelope> datumWriter =
            new SpecificDatumWriter<>(SegmentFormat.ENVELOPE_SCHEMA);
    private final ByteArrayOutputStream encoded = new ByteArrayOutputStream(4096);
    private BinaryEncoder encoder;
    private BlockCodec.Encoder block;
    private long blockBytes;
    private boolean finished;
    private boolean closed;

    private SegmentWriter(SourceId source, Path spool, Options options, Lsn watermark, Instant watermarkTime)
            throws IOException {
        this.source = source;
        this.spool = spool;
        this.options = options;
        this.stats = new SegmentStats(source, watermark, watermarkTime);
        this.block = new BlockCodec.Encoder(source.toString());
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

    /**
     * Appends a record. A record Avro cannot encode is refused with Avro's exception, and the segment stays as it was.
     *
     * @throws IllegalArgumentException if it is of another source
     */
    public void append(ChangeEnvelope record) throws IOException {
        checkRecord(record);
        // Avro's encoding measures the record, and checks it against the schema before the block holds any of it
        encoded.reset();
        encoder = EncoderFactory.get().directBinaryEncoder(encoded, encoder);
        datumWriter.write(record, encoder);
        encoder.flush();
        appendRecord(record, encoded.size());
    }

    /**
     * Appends a record as it arrived from Kafka, measured by its encoding instead of encoding it again.
     *
     * @param record the decoded record, what the segment stores
     * @param singleObjectEncoding the same record in Avro single-object encoding (as {@code ChangeEnvelope.toByteBuffer}
     *     writes it)
     * @throws IllegalArgumentException if the encoding is not single-object encoding of
     *     {@link SegmentFormat#ENVELOPE_SCHEMA}, or the record is of another source
     */
    public void append(ChangeEnvelope record, byte[] singleObjectEncoding) throws IOException {
        checkRecord(record);
        byte[] b = singleObjectEncoding;
        if (b.length < SINGLE_OBJECT_HEADER || b[0] != (byte) 0xC3 || b[1] != (byte) 0x01) {
            throw new IllegalArgumentException("not Avro single-object encoding");
        }
        long fingerprint =
                ByteBuffer.wrap(b, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (fingerprint != SegmentFormat.ENVELOPE_SCHEMA_FINGERPRINT) {
            throw new IllegalArgumentException("record written with schema fingerprint " + Long.toHexString(fingerprint)
                    + ", segments hold records of "
                    + SegmentFormat.fingerprintHex(SegmentFormat.ENVELOPE_SCHEMA));
        }
        appendRecord(record, b.length - SINGLE_OBJECT_HEADER);
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

    private void appendRecord(ChangeEnvelope record, int size) throws IOException {
        // the block first: it rejects what it cannot store before the metadata counts it
        block.add(record);
        stats.add(record, size);
        blockBytes += size;
        if (blockBytes >= options.blockBytes()) {
            writeBlock();
        }
    }

    /** Compresses the block into the spool file as one Avro block, and starts the next. */
    private void writeBlock() throws IOException {
        if (block.envelopes() == 0) {
            return;
        }
        out.append(block.finish());
        out.sync();
        block = new BlockCodec.Encoder(source.toString());
        blockBytes = 0;
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
        writeBlock();
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
