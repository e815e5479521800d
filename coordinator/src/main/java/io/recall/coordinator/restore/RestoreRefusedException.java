package io.recall.coordinator.restore;

import io.recall.common.errors.RecallException;
import io.recall.coordinator.catalog.RecoveryWindowView;

/**
 * A well-formed restore request that cannot be carried out as asked; maps to 422. {@link #window()} is set when the
 * target lies outside the source's recovery window, so the client sees what it may choose instead.
 */
public class RestoreRefusedException extends RecallException {

    /** Why a request is refused; each is its own problem type. */
    public enum Reason {
        /** The target lies outside the recovery window or inside a gap of the stream. */
        OUTSIDE_WINDOW,
        /** The named restore point does not exist for the source. */
        UNKNOWN_RESTORE_POINT,
        /** The target database is the source database itself. */
        TARGET_IS_SOURCE
    }

    private final Reason reason;
    private final RecoveryWindowView window;

    RestoreRefusedException(Reason reason, String message, RecoveryWindowView window) {
        super(message);
        this.reason = reason;
        this.window = window;
    }

    public Reason reason() {
        return reason;
    }

    /** The source's recovery window, for {@link Reason#OUTSIDE_WINDOW}; null otherwise. */
    public RecoveryWindowView window() {
        return window;
    }
}
