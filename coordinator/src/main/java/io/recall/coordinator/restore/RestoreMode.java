package io.recall.coordinator.restore;

import io.recall.common.errors.InvalidRequestException;
import java.util.Locale;

/** What a restore does with a target database that is not empty. */
public enum RestoreMode {
    /** Refuse a target that holds anything. */
    EMPTY,
    /** Drop what the target holds first. */
    OVERWRITE;

    /**
     * Parses {@code "empty"} or {@code "overwrite"} in any case; absent means {@link #EMPTY}.
     *
     * @throws InvalidRequestException otherwise
     */
    static RestoreMode parse(String text) {
        if (text == null) {
            return EMPTY;
        }
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("mode '" + text + "' is not one of \"empty\" (refuse a target database"
                    + " that holds anything) or \"overwrite\" (drop what it holds first)");
        }
    }
}
