package io.recall.restore.replay;

import java.util.Arrays;

/**
 * Values (text form or null) that identify a row: its replica-identity key, or the whole row for tables without a
 * unique key. Equal when the values are: the stream renders every value with one output function and one set of
 * session settings, so equal text means an equal value. Immutable.
 */
final class RowKey {

    private final Object[] values;
    private final int hash;

    private RowKey(Object[] values) {
        this.values = values;
        this.hash = Arrays.hashCode(values);
    }

    /** The values at {@code indexes}; a copy. */
    static RowKey of(Object[] row, SourceRelation relation) {
        Object[] v = new Object[relation.keyCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = row[relation.keyIndex(i)];
        }
        return new RowKey(v);
    }

    /** The whole row; the array is kept, not copied. */
    static RowKey wholeRow(Object[] row) {
        return new RowKey(row);
    }

    Object[] values() {
        return values;
    }

    Object value(int i) {
        return values[i];
    }

    boolean containsUnchangedToast() {
        for (Object v : values) {
            if (Change.isUnchanged(v)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RowKey k && k.hash == hash && Arrays.equals(k.values, values);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return Arrays.toString(values);
    }
}
