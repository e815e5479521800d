package io.recall.common.storage;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Streams the content of one blob (from {@link BlobStore#create}). Write the content, then {@link #commit()} to
 * publish it atomically; {@link #close()} without a commit aborts, releasing everything the write used (a temporary
 * file, an incomplete multipart upload) and leaving nothing visible. A committed key that is written again is
 * replaced atomically.
 *
 * <p>Backend failures during {@code write}, {@code flush} or {@code commit} throw the unchecked {@link StorageException}
 * (transient) or {@link io.recall.common.errors.RecallException} (permanent, e.g. access denied) after the writer has
 * aborted itself: retry by writing the blob again with a new writer. {@link IOException} is thrown for writes to a
 * writer that is already committed, aborted or failed.
 *
 * <p>Not thread-safe: one thread writes and commits. Use it in try-with-resources so an exception aborts the write:
 *
 * <pre>{@code
 * try (BlobWriter out = store.create(key)) {
 *     segment.writeTo(out);
 *     out.commit();
 * }
 * }</pre>
 */
public abstract class BlobWriter extends OutputStream {

    /**
     * Publishes the content written so far as the blob; it is durable and visible to every reader when this returns.
     * Afterwards the writer accepts no more content and {@link #close()} does nothing.
     *
     * @return the committed blob
     * @throws IOException if the writer was already aborted or had failed
     * @throws IllegalStateException if it was already committed
     * @throws StorageException if the backend failed; nothing is visible and the writer is aborted
     */
    public abstract BlobInfo commit() throws IOException;

    /** How many bytes have been written so far. */
    public abstract long bytesWritten();

    /** Aborts the write unless it was committed; idempotent. */
    @Override
    public abstract void close();
}
