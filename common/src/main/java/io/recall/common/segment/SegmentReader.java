package io.recall.common.segment;

import io.recall.common.storage.BlobStore;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.segment.SegmentBlock;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.InvalidAvroMagicException;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileConstants;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Reads one segment file: its {@link SegmentMetadata} from the header, then its change records in order, resolved from
 * the schema they were written with to this release's {@link ChangeEnvelope}. Reads every format version up to
 * {@link SegmentFormat#FORMAT_VERSION}: version 1 files hold the records themselves, version 2 files blocks of them.
 * Streams: memory stays at one block, and reading the metadata alone reads only the header. Single pass; not
 * thread-safe. Close it to release the stream.
 */
public final class SegmentReader implements Iterable<ChangeEnvelope>, Closeable {

    private final DataFileStream<Object> in;
    private final SegmentMetadata metadata;
    private boolean iterated;

    private SegmentReader(DataFileStream<Object> in, SegmentMetadata metadata) {
        this.in = in;
        this.metadata = metadata;
    }

    /**
     * Reads the header of a segment; the reader owns and closes {@code input}.
     *
     * @throws SegmentFormatException if it is not a Recall segment, or one of a format version this reader does not
     *     know
     */
    public static SegmentReader open(InputStream input) throws IOException {
        DataFileStream<Object> stream;
        // the schema records are read into is known once the header tells the format version
        SpecificDatumReader<Object> records = new SpecificDatumReader<>(SpecificData.getForClass(SegmentBlock.class));
        try {
            stream = new DataFileStream<>(new BufferedInputStream(input, 64 * 1024), records);
        } catch (InvalidAvroMagicException | AvroRuntimeException e) {
            input.close();
            throw new SegmentFormatException("not an Avro container file: " + e.getMessage(), e);
        } catch (IOException e) {
            input.close();
            throw e;
        }
        try {
            SegmentMetadata metadata = SegmentMetadata.fromMeta(stream::getMetaString);
            Schema expected = switch (metadata.formatVersion()) {
                case 1 -> SegmentFormat.ENVELOPE_SCHEMA;
                case 2 -> SegmentFormat.SCHEMA;
                default ->
                    throw new SegmentFormatException("unknown segment format version " + metadata.formatVersion());
            };
            if (!expected.getFullName().equals(stream.getSchema().getFullName())) {
                throw new SegmentFormatException(
                        "a segment of format version " + metadata.formatVersion() + " holds " + expected.getFullName()
                                + " records, not " + stream.getSchema().getFullName());
            }
            records.setExpected(expected);
            return new SegmentReader(stream, metadata);
        } catch (RuntimeException e) {
            stream.close();
            throw e;
        }
    }

    /**
     * Opens a stored segment.
     *
     * @throws io.recall.common.storage.BlobNotFoundException if there is no such object
     */
    public static SegmentReader open(BlobStore store, String key) throws IOException {
        return open(store.open(key));
    }

    /** Reads only the header of a stored segment: what a catalog rebuild needs. */
    public static SegmentMetadata readMetadata(BlobStore store, String key) throws IOException {
        try (SegmentReader reader = open(store, key)) {
            return reader.metadata();
        }
    }

    public SegmentMetadata metadata() {
        return metadata;
    }

    /** The schema the records were written with. */
    public Schema writerSchema() {
        return in.getSchema();
    }

    /** The compression codec's Avro name, {@value SegmentFormat#CODEC} for every segment Recall writes. */
    public String codec() {
        String codec = in.getMetaString(DataFileConstants.CODEC);
        return codec == null ? DataFileConstants.NULL_CODEC : codec;
    }

    /**
     * The change records in file order. Single pass: a second call throws {@link IllegalStateException}. A read
     * failure surfaces from the iterator as {@link AvroRuntimeException}, or {@link SegmentFormatException} for a
     * block that does not add up.
     */
    @Override
    @SuppressWarnings("unchecked") // the records' schema is the one the expected class was generated from
    public Iterator<ChangeEnvelope> iterator() {
        if (iterated) {
            throw new IllegalStateException("a segment reader is read once");
        }
        iterated = true;
        Iterator<?> records = in;
        return metadata.formatVersion() == 1 ? (Iterator<ChangeEnvelope>) records : new Blocks();
    }

    /** Reads every record into memory: for tests and small segments. */
    public List<ChangeEnvelope> readAll() {
        List<ChangeEnvelope> records = new ArrayList<>();
        iterator().forEachRemaining(records::add);
        return records;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** The change records of the blocks in file order, decoding one block at a time. */
    private final class Blocks implements Iterator<ChangeEnvelope> {

        private Iterator<ChangeEnvelope> block = Collections.emptyIterator();

        @Override
        public boolean hasNext() {
            while (!block.hasNext() && in.hasNext()) {
                block = new BlockCodec.Decoder((SegmentBlock) in.next());
            }
            return block.hasNext();
        }

        @Override
        public ChangeEnvelope next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return block.next();
        }
    }
}
