package io.recall.common.storage;

import io.recall.common.errors.RecallException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Streams one blob to S3 with the multipart upload API, holding at most one part in memory.
 *
 * <p>Bytes collect in a buffer that grows up to the part size. When it is full, the first time a multipart upload is
 * created (with the store's server-side encryption), and the part is uploaded (with Content-MD5) before writing goes
 * on. {@link #commit()} uploads the remaining bytes as the last part and completes the upload, which makes the object
 * appear atomically; content that never filled a part is sent as one PutObject instead. An abandoned or failed write
 * aborts the upload so that no incomplete upload (and its storage cost) is left behind.
 *
 * <p>Parts are uploaded sequentially by the writing thread: the writer is not thread-safe, and its throughput is
 * one connection's. Several writers run in parallel against one store.
 */
final class S3BlobWriter extends BlobWriter {

    private static final Logger log = LoggerFactory.getLogger(S3BlobWriter.class);

    /** S3's limit; at the default 16 MiB part size a blob can reach 156 GiB. */
    static final int MAX_PARTS = 10_000;

    private static final int INITIAL_BUFFER_BYTES = 256 * 1024;

    private final S3BlobStore store;
    private final String key;
    private final String objectKey;
    private final int partSize;
    private final List<CompletedPart> parts = new ArrayList<>();
    private byte[] buffer;
    private int buffered;
    private long written;
    private String uploadId;
    private State state = State.OPEN;

    private enum State {
        OPEN,
        COMMITTED,
        ABORTED
    }

    S3BlobWriter(S3BlobStore store, String key, String objectKey, int partSize) {
        this.store = store;
        this.key = key;
        this.objectKey = objectKey;
        this.partSize = partSize;
        this.buffer = new byte[Math.min(partSize, INITIAL_BUFFER_BYTES)];
    }

    @Override
    public void write(int b) throws IOException {
        ensureWritable();
        if (buffered == buffer.length) {
            makeRoom();
        }
        buffer[buffered++] = (byte) b;
        written++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        ensureWritable();
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int from = offset;
        int left = length;
        while (left > 0) {
            if (buffered == buffer.length) {
                makeRoom();
            }
            int n = Math.min(left, buffer.length - buffered);
            System.arraycopy(bytes, from, buffer, buffered, n);
            buffered += n;
            from += n;
            left -= n;
            written += n;
        }
    }

    /** Grows the buffer towards the part size, or uploads it as a part once it has reached it. */
    private void makeRoom() {
        if (buffer.length < partSize) {
            buffer = Arrays.copyOf(buffer, (int) Math.min(partSize, 2L * buffer.length));
        } else {
            uploadBufferedPart();
        }
    }

    /** Nothing to flush: bytes are sent when a part fills up or on commit. */
    @Override
    public void flush() throws IOException {
        ensureWritable();
    }

    @Override
    public BlobInfo commit() throws IOException {
        if (state == State.COMMITTED) {
            throw new IllegalStateException("blob " + key + " is already committed");
        }
        ensureWritable();
        BlobInfo info;
        if (uploadId == null) {
            try {
                info = store.putObject(key, buffer, buffered);
            } catch (RuntimeException e) {
                abort(e);
                throw e;
            }
        } else {
            if (buffered > 0) {
                uploadBufferedPart();
            }
            try {
                var response = store.client()
                        .completeMultipartUpload(b -> b.bucket(store.bucket())
                                .key(objectKey)
                                .uploadId(uploadId)
                                .multipartUpload(m -> m.parts(parts)));
                info = new BlobInfo(key, written, S3BlobStore.responseTime(response));
            } catch (SdkException e) {
                throw failed("complete the multipart upload of", e);
            }
        }
        state = State.COMMITTED;
        buffer = null;
        return info;
    }

    @Override
    public long bytesWritten() {
        return written;
    }

    @Override
    public void close() {
        if (state == State.OPEN) {
            abort(null);
        }
    }

    private void uploadBufferedPart() {
        if (uploadId == null) {
            try {
                uploadId = store.client()
                        .createMultipartUpload(b -> b.bucket(store.bucket())
                                .key(objectKey)
                                .contentType("application/octet-stream")
                                .serverSideEncryption(store.sdkSse())
                                .ssekmsKeyId(store.settings().kmsKeyId()))
                        .uploadId();
            } catch (SdkException e) {
                throw failed("start a multipart upload of", e);
            }
        }
        int partNumber = parts.size() + 1;
        if (partNumber > MAX_PARTS) {
            RecallException tooBig = new RecallException("blob " + key + " needs more than " + MAX_PARTS + " parts of "
                    + partSize + " bytes; raise storage.part-size-bytes");
            abort(tooBig);
            throw tooBig;
        }
        String md5 = S3BlobStore.md5(buffer, buffered);
        try {
            var response = store.client()
                    .uploadPart(
                            b -> b.bucket(store.bucket())
                                    .key(objectKey)
                                    .uploadId(uploadId)
                                    .partNumber(partNumber)
                                    .contentLength((long) buffered)
                                    .contentMD5(md5),
                            S3BlobStore.body(buffer, buffered));
            parts.add(CompletedPart.builder()
                    .partNumber(partNumber)
                    .eTag(response.eTag())
                    .build());
        } catch (SdkException e) {
            throw failed("upload part " + partNumber + " of", e);
        }
        buffered = 0;
    }

    private RuntimeException failed(String what, SdkException e) {
        RuntimeException translated = store.translate(what, key, false, e);
        abort(translated);
        return translated;
    }

    /** Drops the buffer and aborts the multipart upload, if one was started; failures are only logged. */
    private void abort(Exception failure) {
        state = State.ABORTED;
        buffer = null;
        if (uploadId == null) {
            return;
        }
        String abandoned = uploadId;
        uploadId = null;
        try {
            store.client()
                    .abortMultipartUpload(
                            b -> b.bucket(store.bucket()).key(objectKey).uploadId(abandoned));
        } catch (SdkException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            }
            // The incomplete upload costs storage until a bucket lifecycle rule removes it; it is never visible.
            log.warn(
                    "cannot abort multipart upload {} of s3://{}/{}; add a lifecycle rule that aborts incomplete uploads",
                    abandoned,
                    store.bucket(),
                    objectKey,
                    e);
        }
    }

    private void ensureWritable() throws IOException {
        if (state != State.OPEN) {
            throw new IOException(
                    "writer for blob " + key + " is " + state.name().toLowerCase(Locale.ROOT));
        }
    }
}
