package io.recall.common.segment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * One {@code bytes} column of a {@link io.recall.schemas.segment.SegmentBlock} being written: Avro longs (zig-zag
 * varints) or raw bytes back to back. Not thread-safe.
 */
final class ColumnWriter {

    private byte[] bytes = new byte[16];
    private int size;
    private long previous;

    /** Appends a value as an Avro long. */
    void put(long value) {
        ensure(10);
        long v = (value << 1) ^ (value >> 63);
        while ((v & ~0x7FL) != 0) {
            bytes[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        bytes[size++] = (byte) v;
    }

    void put(boolean value) {
        put(value ? 1 : 0);
    }

    /** Appends the difference to the value put before by this method (0 for the first). */
    void putDelta(long value) {
        put(value - previous);
        previous = value;
    }

    void putRaw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, bytes, size, b.length);
        size += b.length;
    }

    void putRaw(ByteBuffer b) {
        int n = b.remaining();
        ensure(n);
        b.duplicate().get(bytes, size, n);
        size += n;
    }

    ByteBuffer toByteBuffer() {
        return ByteBuffer.wrap(bytes, 0, size);
    }

    private void ensure(int more) {
        if (bytes.length - size < more) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }

    /** A text or bytes column: the lengths, and the values back to back. */
    record Text(ColumnWriter lengths, ColumnWriter data) {

        void put(String value) {
            byte[] b = value.getBytes(StandardCharsets.UTF_8);
            lengths.put(b.length);
            data.putRaw(b);
        }

        void put(ByteBuffer value) {
            lengths.put(value.remaining());
            data.putRaw(value);
        }
    }

    /** The {@code bytes} fields of one Avro record of a block, each a column, by field name. */
    static final class Columns implements BlockColumns.Record<ColumnWriter, Text> {

        private final Map<String, ColumnWriter> columns = new LinkedHashMap<>();

        Columns(Schema record) {
            for (Schema.Field f : record.getFields()) {
                if (f.schema().getType() == Schema.Type.BYTES) {
                    columns.put(f.name(), new ColumnWriter());
                }
            }
        }

        @Override
        public ColumnWriter column(String field) {
            ColumnWriter c = columns.get(field);
            if (c == null) {
                throw new IllegalArgumentException("no bytes field " + field);
            }
            return c;
        }

        @Override
        public Text text(String lengthsField, String dataField) {
            return new Text(column(lengthsField), column(dataField));
        }

        /** Sets every column's field of {@code record}, whose schema is the one these columns were made from. */
        <R extends IndexedRecord> R fill(R record) {
            columns.forEach((name, column) ->
                    record.put(record.getSchema().getField(name).pos(), column.toByteBuffer()));
            return record;
        }
    }
}
