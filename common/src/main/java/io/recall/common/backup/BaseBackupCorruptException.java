package io.recall.common.backup;

import io.recall.common.errors.RecallException;

/**
 * A base backup cannot be used: a file its manifest lists is missing, or its size or SHA-256 differs from the
 * manifest, or the manifest itself is unreadable. Permanent: the job fails with this message.
 */
public class BaseBackupCorruptException extends RecallException {

    public BaseBackupCorruptException(String message) {
        super(message);
    }

    public BaseBackupCorruptException(String message, Throwable cause) {
        super(message, cause);
    }
}
