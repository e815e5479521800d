package io.recall.common.segment;

import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobWriter;
import io.recall.schemas.segment.SegmentBlock;
import java.io.BufferedInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * A finished segment waiting on local disk to be stored: its metadata is known and its compressed records are in a
 * spool file. {@link #writeTo} and {@link #store} may be called any number of times (a failed upload is retried from
 * the spool) and always produce the same bytes: the file's sync marker is derived from its name, so storing it again
 * overwrites the object with identical content. {@link #delete()} removes the spool file once it is no longer needed.
 * Not thread-safe.
 */
public final class SealedSegment {

    private final SegmentMetadata metadata;
    private final Path spool;
    private final SegmentWriter.Options options;

    SealedSegment(SegmentMetadata metadata, Path spool, SegmentWriter.Options options) {
        this.metadata = metadata;
        this.spool = spool;
        this.options = options;
    }

    public SegmentMetadata metadata() {
        return metadata;
    }

    public SegmentName name() {
        return metadata.name();
    }

    /** The blob key to store it under. */
    public String key() {
        return name().key();
    }

    /** Size of the compressed records on local disk, about the size of the stored file. */
    public long spoolBytes() throws IOException {
        return Files.size(spool);
    }

    /**
     * Writes the complete segment file: header with the metadata, then the compressed blocks copied from the spool.
     * Does not close {@code target}.
     *
     * @return bytes written
     */
    public long writeTo(OutputStream target) throws IOException {
        CountingOutputStream counting = new CountingOutputStream(target);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(spool), 64 * 1024);
                DataFileStream<SegmentBlock> blocks =
                        new DataFileStream<>(in, new SpecificDatumReader<>(SegmentBlock.class));
                DataFileWriter<SegmentBlock> file = options.newFileWriter()) {
            metadata.toMeta().forEach(file::setMeta);
            file.create(SegmentFormat.SCHEMA, counting, syncMarker(key()));
            // same codec on both sides: compressed blocks are copied as they are
            file.appendAllFrom(blocks, false);
        }
        return counting.count;
    }

    /**
     * Stores the segment under {@link #key()}, replacing an object with the same key. The object is durable and
     * visible when this returns.
     *
     * @throws io.recall.common.storage.StorageException if the store failed (retriable: nothing new is visible)
     */
    public BlobInfo store(BlobStore store) throws IOException {
        try (BlobWriter out = store.create(key())) {
            writeTo(out);
            return out.commit();
        }
    }

    /** Deletes the spool file; idempotent. */
    public void delete() throws IOException {
        Files.deleteIfExists(spool);
    }

    /** Avro needs 16 bytes that do not occur in the data; a hash of the name makes them the same on every retry. */
    private static byte[] syncMarker(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return Arrays.copyOf(digest, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    @Override
    public String toString() {
        return "SealedSegment[" + key() + ", " + metadata.recordCount() + " records]";
    }

    /** Counts what passes through and leaves the target open: Avro closes the stream it writes to. */
    private static final class CountingOutputStream extends FilterOutputStream {

        private long count;

        CountingOutputStream(OutputStream target) {
            super(target);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
