package io.recall.coordinator.source.probe;

/** Outcome of one capability check; a report's outcome is its worst check. */
public enum CheckStatus {
    /** Fine (or purely informational). */
    PASS,
    /** Recall can protect the source, with a caveat the operator should read. */
    WARN,
    /** Blocks registration until fixed. */
    FAIL;

    CheckStatus worst(CheckStatus other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
