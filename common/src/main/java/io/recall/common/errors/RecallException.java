package io.recall.common.errors;

/**
 * Root of Recall's unchecked exceptions. Subtypes carry the context a caller or an operator needs; the REST layer
 * maps them to RFC 9457 problem details.
 */
public class RecallException extends RuntimeException {

    public RecallException(String message) {
        super(message);
    }

    public RecallException(String message, Throwable cause) {
        super(message, cause);
    }
}
