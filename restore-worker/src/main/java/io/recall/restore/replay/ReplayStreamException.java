package io.recall.restore.replay;

import io.recall.common.errors.RecallException;

/**
 * The captured stream cannot be replayed as it is: a transaction is incomplete (a chunk is missing, or the stream
 * ends inside it), its copies disagree, a large value's parts do not add up, or a change cannot be applied to the
 * target the way the source applied it (a row the source changed is not there). Permanent: replaying the same stored
 * stream again fails the same way, and applying anything else would break I2/I3.
 */
public class ReplayStreamException extends RecallException {

    public ReplayStreamException(String message) {
        super(message);
    }

    public ReplayStreamException(String message, Throwable cause) {
        super(message, cause);
    }
}
