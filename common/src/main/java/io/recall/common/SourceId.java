package io.recall.common;

import java.util.Objects;
import java.util.UUID;

/** Identifies a registered source database. Immutable. */
public record SourceId(UUID value) {

    public SourceId {
        Objects.requireNonNull(value, "source id");
    }

    public static SourceId random() {
        return new SourceId(UUID.randomUUID());
    }

    /** Parses the canonical UUID form; throws {@link IllegalArgumentException} otherwise. */
    public static SourceId parse(String text) {
        return new SourceId(UUID.fromString(text));
    }

    /**
     * A short suffix for names Recall creates on the source (slot, publication): PostgreSQL identifiers are limited
     * to 63 bytes and slot names to lower-case letters, digits and underscores.
     */
    public String objectSuffix() {
        return value.toString().replace("-", "").substring(0, 16);
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
