package io.recall.common.segment;

import io.recall.common.storage.BlobStore;
import io.recall.schemas.change.ChangeEnvelope;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.InvalidAvroMagicException;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileConstants;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Reads one segment file: its {@link SegmentMetadata} from the header, then its records in order, resolved from the
 * schema they were written with to this release's {@link ChangeEnvelope}. Streams: memory stays at one block, and
 * reading the metadata alone reads only the header. Single pass; not thread-safe. Close it to release the stream.
 */
public final class SegmentReader implements Iterable<ChangeEnvelope>, Closeable {

    private final DataFileStream<ChangeEnvelope> in;
    private final SegmentMetadata metadata;
    private boolean iterated;

    private SegmentReader(DataFileStream<ChangeEnvelope> in, SegmentMetadata metadata) {
        this.in = in;
        this.metadata = metadata;
    }

    /**
     * Reads the header of a segment; the reader owns and closes {@code input}.
     *
     * @throws SegmentFormatException if it is not a Recall segment
     */
    public static SegmentReader open(InputStream input) throws IOException {
        DataFileStream<ChangeEnvelope> stream;
        try {
            stream = new DataFileStream<>(
                    new BufferedInputStream(input, 64 * 1024), new SpecificDatumReader<>(ChangeEnvelope.class));
        } catch (InvalidAvroMagicException | AvroRuntimeException e) {
            input.close();
            throw new SegmentFormatException("not an Avro container file: " + e.getMessage(), e);
        } catch (IOException e) {
            input.close();
            throw e;
        }
        try {
            return new SegmentReader(stream, SegmentMetadata.fromMeta(stream::getMetaString));
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
     * The records in file order. Single pass: a second call throws {@link IllegalStateException}. A read failure
     * surfaces as {@link AvroRuntimeException} from the iterator.
     */
    @Override
    public Iterator<ChangeEnvelope> iterator() {
        if (iterated) {
            throw new IllegalStateException("a segment reader is read once");
        }
        iterated = true;
        return in;
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
}
