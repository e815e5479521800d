package io.recall.common.storage;

import io.recall.common.errors.RecallException;

/**
 * No committed blob has the key that was read. Permanent: retrying does not help unless someone writes the key.
 * Not a {@link io.recall.common.errors.NotFoundException}, because a missing blob is Recall's own fault (or lost
 * storage), not a resource a client asked for by name.
 */
public class BlobNotFoundException extends RecallException {

    private final String key;

    public BlobNotFoundException(String key) {
        super("blob " + key + " does not exist");
        this.key = key;
    }

    /** The key that was read, relative to the store. */
    public String key() {
        return key;
    }
}
