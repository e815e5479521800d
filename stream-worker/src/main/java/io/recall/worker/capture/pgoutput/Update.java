package io.recall.worker.capture.pgoutput;

import java.util.Objects;

/**
 * Update message ({@code 'U'}).
 *
 * <p>Wire layout after the type byte: {@code Int32} relation OID, optionally {@code Byte1('K')} or {@code Byte1('O')}
 * followed by a {@code TupleData} of old values, then {@code Byte1('N')} and the {@code TupleData} new row.
 *
 * @param relationId the OID of the {@link Relation} the row belongs to
 * @param oldKey the old replica identity ({@code 'K'}), or {@code null}. Sent for identity {@code DEFAULT} or
 *     {@code INDEX} when the update changed a key column or the old key holds an out-of-line (TOASTed) value; it has
 *     one value per column of the relation, with non-key columns {@link ColumnValue#NULL}
 * @param oldTuple the whole old row ({@code 'O'}, replica identity {@code FULL}), or {@code null}
 * @param newTuple the new row. A column stored out of line (TOASTed) that the update did not change is
 *     {@link ColumnValue#UNCHANGED_TOAST}: its value is not sent, and it is not NULL
 */
public record Update(int relationId, TupleData oldKey, TupleData oldTuple, TupleData newTuple)
        implements PgOutputMessage {

    public Update {
        Objects.requireNonNull(newTuple, "newTuple");
        if (oldKey != null && oldTuple != null) {
            throw new IllegalArgumentException("an update carries an old key or an old tuple, not both");
        }
    }
}
