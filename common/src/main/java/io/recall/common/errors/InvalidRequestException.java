package io.recall.common.errors;

/** The caller sent something malformed; the message says what and how to fix it. Maps to 400. */
public class InvalidRequestException extends RecallException {

    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
