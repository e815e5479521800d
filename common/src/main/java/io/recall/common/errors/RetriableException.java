package io.recall.common.errors;

/** A transient fault (network, a busy slot, an unavailable broker): the caller backs off and tries again. */
public class RetriableException extends RecallException {

    public RetriableException(String message) {
        super(message);
    }

    public RetriableException(String message, Throwable cause) {
        super(message, cause);
    }
}
