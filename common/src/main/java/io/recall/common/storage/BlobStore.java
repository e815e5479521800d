package io.recall.common.storage;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A flat namespace of immutable blobs, addressed by key: the one storage SPI every Recall backend family (local file
 * system, S3 and S3-compatible stores) implements. Obtain one from {@link BlobStores#open}.
 *
 * <h2>Keys</h2>
 *
 * Keys are {@code '/'}-separated relative paths such as {@code sources/7/segments/00000000016B3748-00000000016B9F00.avro}:
 * not empty, no leading or trailing {@code '/'}, no empty, {@code "."} or {@code ".."} segments, no backslash or
 * control characters, and no segment starting with {@code ".recall-"} (reserved for a backend's
 * own temporary files). Any other key is rejected with an {@link IllegalArgumentException} before the backend is
 * touched, so a key valid on one backend is valid on all. The deployment-wide prefix from {@link StorageSettings#prefix}
 * is applied by the implementation: keys passed in and returned never include it.
 *
 * <p>On a local file system a key is a file path, so one key cannot be both a blob and a directory of other blobs
 * ({@code a} and {@code a/b}); Recall's storage layout never does that. Writing such a key fails with a
 * {@link io.recall.common.errors.RecallException}.
 *
 * <h2>Atomicity</h2>
 *
 * A blob becomes visible only complete: {@link #put} and {@link BlobWriter#commit} publish the whole content at once,
 * and a write that fails or is abandoned leaves no trace. Writing an existing key replaces it atomically: every read
 * sees either the old content or the whole new one, never a mix, so a retried write of the same key (same
 * deterministic name, same content) is safe. When two writers commit the same key concurrently, one of them wins
 * whole.
 *
 * <h2>Ordering and visibility</h2>
 *
 * Once {@link #put}, {@link BlobWriter#commit} or {@link #delete} returns, the change is durable (fsync on a local
 * file system; acknowledged by the object store) and every later call on any store over the same storage, in any
 * thread or process, sees it: {@link #stat}, {@link #exists}, {@link #open} and {@link #list} are strongly consistent
 * after the write returns. There is no ordering between writes still in flight: a caller that needs blob A to be
 * visible before blob B (segments before the manifest that names them) commits A, waits for it to return, then writes
 * B. A {@link #list} concurrent with writes may or may not include them. Each stream returned by {@link #open} reads
 * one version of the blob; a later {@code open} may see a newer one.
 *
 * <h2>Errors</h2>
 *
 * Reading a missing key throws {@link BlobNotFoundException}. Transient backend faults (an unreachable endpoint, 5xx
 * or throttling answers, local I/O errors) throw {@link StorageException}, a
 * {@link io.recall.common.errors.RetriableException}: the caller backs off and retries. Permanent misconfiguration
 * (access denied, a missing bucket) throws a plain {@link io.recall.common.errors.RecallException}. Reading from a
 * stream returned by {@link #open} may throw {@link java.io.IOException}, as streams do.
 *
 * <h2>Threads</h2>
 *
 * Implementations are thread-safe: one store is shared by all threads of a process. The {@link BlobWriter}s and
 * streams it returns are not: each is used by one thread at a time. After {@link #close} every method throws
 * {@link IllegalStateException}.
 */
public interface BlobStore extends AutoCloseable {

    /**
     * Starts writing {@code key} with content of unknown length. Nothing is visible until {@link BlobWriter#commit};
     * closing the writer without committing aborts the write. Memory use is bounded (at most one upload part), and
     * large content is streamed to the backend while it is written.
     */
    BlobWriter create(String key);

    /** Writes a small blob in one atomic step, replacing any blob with the same key. */
    BlobInfo put(String key, byte[] content);

    /**
     * Opens the whole blob for reading. The caller closes the stream.
     *
     * @throws BlobNotFoundException if no blob has this key
     */
    InputStream open(String key);

    /**
     * Opens {@code length} bytes of the blob starting at byte {@code offset}. A range that runs past the end is cut
     * at the end; one that starts at or after the end reads nothing. The caller closes the stream.
     *
     * @throws BlobNotFoundException if no blob has this key
     * @throws IllegalArgumentException if {@code offset} or {@code length} is negative
     */
    InputStream open(String key, long offset, long length);

    /** The blob's size and modification time, or empty if no blob has this key. */
    Optional<BlobInfo> stat(String key);

    /** Whether a committed blob has this key. */
    boolean exists(String key);

    /**
     * Every committed blob whose key starts with {@code prefix} (a plain string prefix: {@code "seg"} matches
     * {@code "seg/a"} and {@code "segx"}), sorted by key ({@link String#compareTo}). The empty prefix lists the
     * whole store. There is no limit on the number of results (the S3 backend follows pagination).
     */
    List<BlobInfo> list(String prefix);

    /** Deletes the blob if it exists; deleting a missing key does nothing. */
    void delete(String key);

    /** Releases the backend's resources (connections). Idempotent. */
    @Override
    void close();
}
