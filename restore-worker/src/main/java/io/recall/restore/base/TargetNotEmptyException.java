package io.recall.restore.base;

import io.recall.common.errors.ConflictException;

/** The restore target already holds objects, and the request did not ask to overwrite them. Maps to 409. */
public class TargetNotEmptyException extends ConflictException {

    public TargetNotEmptyException(String message) {
        super(message);
    }
}
