package io.recall.common;

import java.util.Locale;
import java.util.Objects;

/**
 * A PostgreSQL write-ahead-log position (an {@code pg_lsn}).
 *
 * <p>Parsed from and printed in PostgreSQL's {@code "16/3002D50"} form. Ordering is unsigned, as in the server.
 * Immutable and thread-safe.
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** The invalid LSN {@code 0/0}, which PostgreSQL uses for "no position". */
    public static final Lsn INVALID = new Lsn(0);

    /** Parses {@code "X/Y"} (hexadecimal halves, as {@code pg_lsn} prints them). */
    public static Lsn parse(String text) {
        Objects.requireNonNull(text, "lsn");
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("not an LSN (expected e.g. 0/16B3748): " + text);
        }
        try {
            long high = Long.parseUnsignedLong(text.substring(0, slash), 16);
            long low = Long.parseUnsignedLong(text.substring(slash + 1), 16);
            if (high > 0xFFFF_FFFFL || low > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("LSN half out of range: " + text);
            }
            return new Lsn(high << 32 | low);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN (expected e.g. 0/16B3748): " + text, e);
        }
    }

    public boolean isValid() {
        return value != 0;
    }

    /** Sixteen zero-padded upper-case hex digits, so that names sort in LSN order. */
    public String toPaddedHex() {
        return String.format(Locale.ROOT, "%016X", value);
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    public boolean isBefore(Lsn other) {
        return compareTo(other) < 0;
    }

    public boolean isAfter(Lsn other) {
        return compareTo(other) > 0;
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase(Locale.ROOT)
                + "/"
                + Long.toHexString(value & 0xFFFF_FFFFL).toUpperCase(Locale.ROOT);
    }
}
