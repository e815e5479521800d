package io.recall.common.errors;

/** The request conflicts with the current state (a duplicate name, a transition that is not allowed). Maps to 409. */
public class ConflictException extends RecallException {

    public ConflictException(String message) {
        super(message);
    }
}
