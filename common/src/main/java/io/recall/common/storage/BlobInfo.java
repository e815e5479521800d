package io.recall.common.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * What a {@link BlobStore} knows about one committed blob.
 *
 * @param key the blob's key, relative to the store (without the deployment-wide prefix)
 * @param size its length in bytes
 * @param lastModified when the backend recorded the write, to the precision it keeps (S3 reports whole seconds in
 *     some responses and milliseconds in listings); informative only, never use it to order writes
 */
public record BlobInfo(String key, long size, Instant lastModified) {

    public BlobInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(lastModified, "lastModified");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
    }
}
