package io.recall.common.segment;

import io.recall.common.errors.RecallException;

/** A file is not a readable Recall segment: not an Avro container, metadata missing or malformed, or too new. */
public class SegmentFormatException extends RecallException {

    public SegmentFormatException(String message) {
        super(message);
    }

    public SegmentFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
