package io.recall.restore.replay;

import java.util.List;
import java.util.Objects;

/**
 * One row change (or truncate) of a whole transaction, with large values already reassembled.
 *
 * <p>Values are in PostgreSQL's text form, one per {@link SourceRelation#columns() sent column}: a {@link String},
 * {@code null} for SQL NULL, or {@link #UNCHANGED_TOAST} for a TOASTed value an UPDATE did not change (the column
 * keeps its value; it is not NULL). The arrays belong to the receiver, which may modify them.
 *
 * @param newValues the new row (INSERT, UPDATE); null otherwise
 * @param oldValues the old row (DELETE, and UPDATE when pgoutput sent one); null otherwise. When {@code oldIsKey},
 *     only the key columns are meaningful: pgoutput's 'K' tuple lists every column with NULL for non-key ones
 * @param truncated the truncated tables (TRUNCATE only)
 * @param messagePrefix the prefix of a transactional logical message (MESSAGE only; Recall's own DDL records)
 * @param messageContent its content (MESSAGE only)
 */
public record Change(
        Kind kind,
        SourceRelation relation,
        Object[] newValues,
        Object[] oldValues,
        boolean oldIsKey,
        List<SourceRelation> truncated,
        boolean truncateCascade,
        boolean truncateRestartIdentity,
        String messagePrefix,
        byte[] messageContent) {

    /** A TOASTed value that the change left as it was. */
    public static final Object UNCHANGED_TOAST = new Object() {
        @Override
        public String toString() {
            return "<unchanged toast>";
        }
    };

    public enum Kind {
        INSERT,
        UPDATE,
        DELETE,
        TRUNCATE,
        /** A transactional logical message of Recall's DDL capture ({@code recall.ddl*}); other messages are skipped. */
        MESSAGE
    }

    /** A row change or truncate. */
    public Change(
            Kind kind,
            SourceRelation relation,
            Object[] newValues,
            Object[] oldValues,
            boolean oldIsKey,
            List<SourceRelation> truncated,
            boolean truncateCascade,
            boolean truncateRestartIdentity) {
        this(
                kind,
                relation,
                newValues,
                oldValues,
                oldIsKey,
                truncated,
                truncateCascade,
                truncateRestartIdentity,
                null,
                null);
    }

    /** A message of Recall's DDL capture. */
    static Change message(String prefix, byte[] content) {
        return new Change(Kind.MESSAGE, null, null, null, false, null, false, false, prefix, content);
    }

    public Change {
        Objects.requireNonNull(kind, "kind");
        truncated = truncated == null ? List.of() : List.copyOf(truncated);
    }

    /** Whether {@code value} is the {@link #UNCHANGED_TOAST} marker. */
    static boolean isUnchanged(Object value) {
        return value == UNCHANGED_TOAST;
    }
}
