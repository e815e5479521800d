package io.recall.common.storage;

import java.util.Objects;

/** The key rules of {@link BlobStore}, checked in one place so that every backend accepts exactly the same keys. */
final class BlobKeys {

    /** Segments starting with this are reserved for a backend's own files (the local store's temporary files). */
    static final String RESERVED_SEGMENT_PREFIX = ".recall-";

    private BlobKeys() {}

    /** Returns {@code key} if it is a valid blob key, else throws {@link IllegalArgumentException} saying why. */
    static String requireKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("blob key must not be empty");
        }
        checkSegments(key, key, false, "blob key");
        return key;
    }

    /**
     * Returns {@code prefix} if it is a valid listing prefix: empty, or a string whose complete segments (all but the
     * part after the last {@code '/'}) are valid key segments, and whose last part has no forbidden characters.
     */
    static String requirePrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (prefix.isEmpty()) {
            return prefix;
        }
        checkSegments(prefix, prefix, true, "listing prefix");
        return prefix;
    }

    /** Checks the arguments of a ranged read. */
    static void requireRange(long offset, long length) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must not be negative: " + length);
        }
    }

    /**
     * Normalises the deployment-wide prefix: leading and trailing {@code '/'} removed, {@code null} as empty; the rest
     * must be a valid key.
     */
    static String normalizeDeploymentPrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        int start = 0;
        int end = prefix.length();
        while (start < end && prefix.charAt(start) == '/') {
            start++;
        }
        while (end > start && prefix.charAt(end - 1) == '/') {
            end--;
        }
        return prefix.substring(start, end);
    }

    private static void checkSegments(String text, String shown, boolean lastMayBePartial, String what) {
        if (text.charAt(0) == '/') {
            throw new IllegalArgumentException(what + " must be relative (no leading '/'): " + quote(shown));
        }
        int start = 0;
        while (true) {
            int slash = text.indexOf('/', start);
            boolean last = slash < 0;
            String segment = last ? text.substring(start) : text.substring(start, slash);
            if (last && lastMayBePartial) {
                checkCharacters(segment, shown, what);
                return;
            }
            checkSegment(segment, shown, what);
            if (last) {
                return;
            }
            start = slash + 1;
            if (start == text.length() && !lastMayBePartial) {
                throw new IllegalArgumentException(what + " must not end with '/': " + quote(shown));
            }
        }
    }

    private static void checkSegment(String segment, String shown, String what) {
        if (segment.isEmpty()) {
            throw new IllegalArgumentException(what + " has an empty segment: " + quote(shown));
        }
        if (segment.equals(".") || segment.equals("..")) {
            throw new IllegalArgumentException(what + " must not contain '.' or '..' segments: " + quote(shown));
        }
        if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) {
            throw new IllegalArgumentException(what + " segments must not start with '" + RESERVED_SEGMENT_PREFIX
                    + "' (reserved): " + quote(shown));
        }
        checkCharacters(segment, shown, what);
    }

    private static void checkCharacters(String segment, String shown, String what) {
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                throw new IllegalArgumentException(
                        what + " must not contain control characters or '\\': " + quote(shown));
            }
        }
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
