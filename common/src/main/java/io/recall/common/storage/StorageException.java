package io.recall.common.storage;

import io.recall.common.errors.RetriableException;

/**
 * A transient storage fault: the object store is unreachable or answered 5xx / throttled the request, or a local
 * I/O operation failed. The operation had no visible effect, or one that a retry of the same call overwrites (a
 * failed {@link BlobWriter} leaves nothing behind); callers back off and retry.
 *
 * <p>Permanent misconfiguration (access denied, a missing bucket) is reported as a plain
 * {@link io.recall.common.errors.RecallException} instead, so that workers do not retry it forever.
 */
public class StorageException extends RetriableException {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
