package io.recall.worker.capture.pgoutput;

import java.util.Objects;

/**
 * Insert message ({@code 'I'}).
 *
 * <p>Wire layout after the type byte: {@code Int32} relation OID, {@code Byte1('N')}, {@code TupleData} new row.
 *
 * @param relationId the OID of the {@link Relation} the row belongs to
 * @param newTuple the inserted row, one value per column of the relation
 */
public record Insert(int relationId, TupleData newTuple) implements PgOutputMessage {

    public Insert {
        Objects.requireNonNull(newTuple, "newTuple");
    }
}
