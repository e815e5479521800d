package io.recall.common.segment;

import io.recall.schemas.change.LargeValueRef;
import io.recall.schemas.change.UnchangedToast;
import io.recall.schemas.segment.ValueColumn;
import java.nio.ByteBuffer;

/**
 * The values of one relation's column in a block ({@link ValueColumn}): each value one of {@code RowChange.newValues}'
 * union branches.
 */
final class ValueColumns {

    // ValueColumn.kinds
    private static final int NULL = 0;
    private static final int TEXT = 1;
    private static final int BYTES = 2;
    private static final int UNCHANGED_TOAST = 3;
    private static final int LARGE_VALUE_REF = 4;

    private ValueColumns() {}

    /** Whether {@code value} is of a type a column value can have. */
    static boolean isValue(Object value) {
        return value == null
                || value instanceof CharSequence
                || value instanceof ByteBuffer
                || value instanceof UnchangedToast
                || value instanceof LargeValueRef;
    }

    /** Collects one column's values. Not thread-safe. */
    static final class Writer {

        private final int relation;
        private final int position;
        private final ColumnWriter.Columns columns = new ColumnWriter.Columns(ValueColumn.getClassSchema());
        private final ColumnWriter kinds = columns.column("kinds");
        private final ColumnWriter.Text texts = columns.text("textLengths", "texts");
        private final ColumnWriter.Text bytes = columns.text("bytesLengths", "bytes");
        private final ColumnWriter largeValueParts = columns.column("largeValueParts");
        private final ColumnWriter largeValueLengths = columns.column("largeValueLengths");

        Writer(int relation, int position) {
            this.relation = relation;
            this.position = position;
        }

        /** @param value a value for which {@link #isValue} holds */
        void add(Object value) {
            switch (value) {
                case null -> kinds.put(NULL);
                case CharSequence s -> {
                    kinds.put(TEXT);
                    texts.put(s.toString());
                }
                case ByteBuffer b -> {
                    kinds.put(BYTES);
                    bytes.put(b);
                }
                case UnchangedToast t -> kinds.put(UNCHANGED_TOAST);
                case LargeValueRef r -> {
                    kinds.put(LARGE_VALUE_REF);
                    largeValueParts.put(r.getParts());
                    largeValueLengths.put(r.getLength());
                }
                default -> throw new IllegalArgumentException("not a column value: " + value.getClass());
            }
        }

        ValueColumn finish() {
            ValueColumn c = columns.fill(new ValueColumn());
            c.setRelation(relation);
            c.setPosition(position);
            return c;
        }
    }

    /** Gives back one column's values in the order they were added. Not thread-safe. */
    static final class Reader {

        private final ColumnReader.Columns columns;
        private final ColumnReader kinds;
        private final ColumnReader.Text texts;
        private final ColumnReader.Text bytes;
        private final ColumnReader largeValueParts;
        private final ColumnReader largeValueLengths;

        Reader(ValueColumn column) {
            columns = new ColumnReader.Columns(column);
            kinds = columns.column("kinds");
            texts = columns.text("textLengths", "texts");
            bytes = columns.text("bytesLengths", "bytes");
            largeValueParts = columns.column("largeValueParts");
            largeValueLengths = columns.column("largeValueLengths");
        }

        Object next() {
            return switch (kinds.nextBelow(LARGE_VALUE_REF + 1)) {
                case NULL -> null;
                case TEXT -> texts.nextString();
                case BYTES -> ByteBuffer.wrap(bytes.nextBytes());
                case UNCHANGED_TOAST -> new UnchangedToast();
                default -> new LargeValueRef(largeValueParts.nextInt(), largeValueLengths.next());
            };
        }

        void requireExhausted() {
            columns.requireExhausted();
        }
    }
}
