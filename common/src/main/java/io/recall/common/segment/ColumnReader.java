package io.recall.common.segment;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Reads one {@code bytes} column of a {@link io.recall.schemas.segment.SegmentBlock}, as {@link ColumnWriter} wrote it.
 * A column that ends early or holds a value out of range is a corrupt block: {@link SegmentFormatException}. Not
 * thread-safe.
 */
final class ColumnReader {

    private final String name;
    private final ByteBuffer in;
    private long previous;

    ColumnReader(String name, ByteBuffer column) {
        this.name = name;
        this.in = column.duplicate();
    }

    long next() {
        try {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = in.get();
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return (v >>> 1) ^ -(v & 1);
                }
            }
        } catch (BufferUnderflowException e) {
            throw corrupt("ends early");
        }
        throw corrupt("holds a malformed number");
    }

    /** The value {@link ColumnWriter#putDelta} put. */
    long nextDelta() {
        previous += next();
        return previous;
    }

    int nextInt() {
        long v = next();
        if (v != (int) v) {
            throw corrupt("holds " + v + " where an int belongs");
        }
        return (int) v;
    }

    /** A count, index or length: an int of at least 0 and below {@code limit}. */
    int nextBelow(int limit) {
        long v = next();
        if (v < 0 || v >= limit) {
            throw corrupt("holds " + v + " where a number below " + limit + " belongs");
        }
        return (int) v;
    }

    boolean nextBoolean() {
        return nextBelow(2) == 1;
    }

    byte[] nextRaw(int length) {
        if (length > in.remaining()) {
            throw corrupt("ends early");
        }
        byte[] b = new byte[length];
        in.get(b);
        return b;
    }

    boolean exhausted() {
        return !in.hasRemaining();
    }

    SegmentFormatException corrupt(String what) {
        return new SegmentFormatException("corrupt segment block: column " + name + " " + what);
    }

    /** A text or bytes column: the lengths, and the values back to back. */
    record Text(ColumnReader lengths, ColumnReader data) {

        String nextString() {
            return new String(nextBytes(), StandardCharsets.UTF_8);
        }

        byte[] nextBytes() {
            return data.nextRaw(lengths.nextBelow(Integer.MAX_VALUE));
        }
    }

    /** The {@code bytes} fields of one Avro record of a block, each a column, by field name. */
    static final class Columns implements BlockColumns.Record<ColumnReader, Text> {

        private final IndexedRecord record;
        private final List<ColumnReader> opened = new ArrayList<>();

        Columns(IndexedRecord record) {
            this.record = record;
        }

        @Override
        public ColumnReader column(String field) {
            Schema.Field f = record.getSchema().getField(field);
            if (f == null || f.schema().getType() != Schema.Type.BYTES) {
                throw new IllegalArgumentException("no bytes field " + field);
            }
            ColumnReader c = new ColumnReader(field, (ByteBuffer) record.get(f.pos()));
            opened.add(c);
            return c;
        }

        @Override
        public Text text(String lengthsField, String dataField) {
            return new Text(column(lengthsField), column(dataField));
        }

        /** @throws SegmentFormatException if a column holds more than was read: the block does not add up */
        void requireExhausted() {
            for (ColumnReader c : opened) {
                if (!c.exhausted()) {
                    throw c.corrupt("holds more values than its block's envelopes use");
                }
            }
        }
    }
}
