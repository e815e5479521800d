package io.recall.worker.capture.pgoutput;

/**
 * Delete message ({@code 'D'}).
 *
 * <p>Wire layout after the type byte: {@code Int32} relation OID, then {@code Byte1('K')} or {@code Byte1('O')}
 * followed by a {@code TupleData} of old values.
 *
 * @param relationId the OID of the {@link Relation} the row belonged to
 * @param oldKey the deleted row's replica identity ({@code 'K'}, identity {@code DEFAULT} or {@code INDEX}), one value
 *     per column with non-key columns {@link ColumnValue#NULL}; or {@code null}
 * @param oldTuple the whole deleted row ({@code 'O'}, identity {@code FULL}); or {@code null}. Exactly one of
 *     {@code oldKey} and {@code oldTuple} is present
 */
public record Delete(int relationId, TupleData oldKey, TupleData oldTuple) implements PgOutputMessage {

    public Delete {
        if ((oldKey == null) == (oldTuple == null)) {
            throw new IllegalArgumentException("a delete carries exactly one of an old key and an old tuple");
        }
    }
}
