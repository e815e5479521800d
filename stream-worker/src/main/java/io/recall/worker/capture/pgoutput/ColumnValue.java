package io.recall.worker.capture.pgoutput;

import java.util.Arrays;
import java.util.Objects;

/**
 * One column's value inside a {@link TupleData}. On the wire a {@code Byte1} kind, followed for {@code 't'} and
 * {@code 'b'} by an {@code Int32} length and that many bytes.
 *
 * <p>{@link UnchangedToast} and {@link Null} are different things: the first means "not sent, keep the value you
 * have", the second means SQL NULL. All implementations are immutable and thread-safe.
 */
public sealed interface ColumnValue
        permits ColumnValue.Null, ColumnValue.UnchangedToast, ColumnValue.Text, ColumnValue.Binary {

    /** The shared {@link Null} instance. */
    Null NULL = new Null();

    /** The shared {@link UnchangedToast} instance. */
    UnchangedToast UNCHANGED_TOAST = new UnchangedToast();

    /** Kind {@code 'n'}: SQL NULL. */
    record Null() implements ColumnValue {

        @Override
        public String toString() {
            return "NULL";
        }
    }

    /**
     * Kind {@code 'u'}: a value stored out of line (TOASTed) that an UPDATE left unchanged, so the server did not send
     * it. The column keeps its previous value; it is not NULL.
     */
    record UnchangedToast() implements ColumnValue {

        @Override
        public String toString() {
            return "UNCHANGED_TOAST";
        }
    }

    /**
     * Kind {@code 't'}: the value in the type's text output format, decoded from UTF-8 (the replication connection's
     * client encoding).
     *
     * @param value the text, as the type's output function printed it
     */
    record Text(String value) implements ColumnValue {

        public Text {
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * Kind {@code 'b'}: the value in the type's binary send format (sent when the slot was started with
     * {@code binary 'true'}, PostgreSQL 14 and later). Equality, hash code and {@code toString} use the bytes; the
     * array is copied in and out.
     *
     * @param value the bytes the type's send function produced
     */
    record Binary(byte[] value) implements ColumnValue {

        public Binary {
            value = value.clone();
        }

        /** A copy of the bytes. */
        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Binary that && Arrays.equals(value, that.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Binary[" + HexBytes.summary(value) + "]";
        }
    }
}
