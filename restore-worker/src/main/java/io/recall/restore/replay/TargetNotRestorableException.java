package io.recall.restore.replay;

import io.recall.common.errors.RecallException;

/**
 * The restore target cannot be reached from what is stored: it lies outside the recovery window or across a gap, it
 * names no transaction in the stream, or no base backup fits it. Permanent (a retry gives the same answer); the
 * message says why and shows the window.
 */
public class TargetNotRestorableException extends RecallException {

    private final RecoveryWindow window;

    public TargetNotRestorableException(String message, RecoveryWindow window) {
        super(window == null ? message : message + " (recovery window " + window + ")");
        this.window = window;
    }

    /** The window the target was checked against; null when the check did not need it. */
    public RecoveryWindow window() {
        return window;
    }
}
