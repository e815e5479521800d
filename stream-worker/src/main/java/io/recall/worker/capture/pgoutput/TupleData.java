package io.recall.worker.capture.pgoutput;

import java.util.List;

/**
 * The column values of one row ({@code TupleData} on the wire: {@code Int16} column count, then one value per
 * column, in the order of the {@link Relation}'s columns).
 *
 * @param values one value per column
 */
public record TupleData(List<ColumnValue> values) {

    public TupleData {
        values = List.copyOf(values);
    }

    /** The number of columns. */
    public int size() {
        return values.size();
    }

    /** The value of the column at {@code index} (0-based, in relation order). */
    public ColumnValue get(int index) {
        return values.get(index);
    }
}
