package io.recall.worker.capture.pgoutput;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A cursor over one message's bytes that reads the protocol's primitive types (big-endian {@code IntN}, NUL-terminated
 * UTF-8 {@code String}) and turns every shortfall into a {@link PgOutputProtocolException} naming the field. One
 * instance per {@code decode} call; not thread-safe.
 *
 * <p>This is capture's hot path (every column value of every change goes through it), so it allocates only the values
 * it returns: a field's name is put into words only when the field is malformed (the {@code column} overloads take the
 * column's number instead of a name built per call), and ASCII text — most text — is turned into a {@code String}
 * without a {@link CharsetDecoder}, which is made only for text that has other bytes, and then validates strictly.
 */
final class PgOutputReader {

    private final ByteBuffer buffer;
    private final int type;
    private CharsetDecoder utf8;

    /** Starts at the message's type byte; leaves {@code source}'s position, limit and byte order alone. */
    PgOutputReader(ByteBuffer source) {
        this.buffer = source.slice().order(ByteOrder.BIG_ENDIAN);
        if (!buffer.hasRemaining()) {
            throw new PgOutputProtocolException(PgOutputProtocolException.NO_TYPE, 0, "empty buffer, no type byte");
        }
        this.type = Byte.toUnsignedInt(buffer.get());
    }

    /** The type byte, 0-255. */
    int type() {
        return type;
    }

    /** The offset of the next field, from the type byte. */
    int offset() {
        return buffer.position();
    }

    /** {@code Int8} or {@code Byte1}, unsigned. */
    int int8(String field) {
        if (buffer.remaining() < 1) {
            throw truncated(1, "Int8 " + field);
        }
        return Byte.toUnsignedInt(buffer.get());
    }

    /** {@code Int8} named "{@code what} of column {@code column}". */
    int int8(String what, int column) {
        if (buffer.remaining() < 1) {
            throw truncated(1, "Int8 " + what + " of column " + column);
        }
        return Byte.toUnsignedInt(buffer.get());
    }

    int int16(String field) {
        if (buffer.remaining() < 2) {
            throw truncated(2, "Int16 " + field);
        }
        return buffer.getShort();
    }

    int int32(String field) {
        if (buffer.remaining() < 4) {
            throw truncated(4, "Int32 " + field);
        }
        return buffer.getInt();
    }

    /** {@code Int32} named "{@code what} of column {@code column}". */
    int int32(String what, int column) {
        if (buffer.remaining() < 4) {
            throw truncated(4, "Int32 " + what + " of column " + column);
        }
        return buffer.getInt();
    }

    long int64(String field) {
        if (buffer.remaining() < 8) {
            throw truncated(8, "Int64 " + field);
        }
        return buffer.getLong();
    }

    /** A NUL-terminated UTF-8 {@code String}; the terminator is consumed. */
    String string(String field) {
        int start = buffer.position();
        int end = start;
        while (end < buffer.limit() && buffer.get(end) != 0) {
            end++;
        }
        if (end == buffer.limit()) {
            throw malformed(start, "String " + field + " has no NUL terminator before the end of the message");
        }
        String value = textAt(end - start, "String ", field, -2);
        buffer.position(end + 1);
        return value;
    }

    /** {@code length} bytes decoded as UTF-8. */
    String text(int length, String field) {
        if (length > buffer.remaining()) {
            throw truncated(length, field);
        }
        return textAt(length, null, field, -1);
    }

    /** {@code length} bytes decoded as UTF-8, named "text of column {@code column}". */
    String columnText(int length, int column) {
        if (length > buffer.remaining()) {
            throw truncated(length, "text of column " + column);
        }
        return textAt(length, "text of column ", null, column);
    }

    private String textAt(int length, String what, String field, int column) {
        int start = buffer.position();
        String value;
        if (buffer.hasArray() && isAscii(buffer.array(), buffer.arrayOffset() + start, length)) {
            // every byte below 0x80: the bytes are the characters (Latin-1 is the JDK's compact string form)
            value = new String(buffer.array(), buffer.arrayOffset() + start, length, StandardCharsets.ISO_8859_1);
        } else {
            value = utf8(start, length, what, field, column);
        }
        buffer.position(start + length);
        return value;
    }

    private static boolean isAscii(byte[] bytes, int from, int length) {
        for (int i = from, end = from + length; i < end; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code length} raw bytes. */
    byte[] bytes(int length, String field) {
        require(length, field);
        byte[] value = new byte[length];
        buffer.get(value);
        return value;
    }

    /** {@code length} raw bytes, named "bytes of column {@code column}". */
    byte[] columnBytes(int length, int column) {
        if (length > buffer.remaining()) {
            throw truncated(length, "bytes of column " + column);
        }
        byte[] value = new byte[length];
        buffer.get(value);
        return value;
    }

    /** Fails unless at least {@code count} more bytes follow. */
    void require(long count, String field) {
        if (count > buffer.remaining()) {
            throw truncated(count, field);
        }
    }

    private PgOutputProtocolException truncated(long count, String field) {
        return malformed(
                buffer.position(),
                "truncated " + field + ": needs " + count + " bytes, " + buffer.remaining() + " remain");
    }

    /** Fails if bytes follow the last field: one payload holds exactly one message. */
    void requireEnd() {
        if (buffer.hasRemaining()) {
            throw malformed(buffer.position(), buffer.remaining() + " unexpected bytes after the end of the message");
        }
    }

    PgOutputProtocolException malformed(int at, String problem) {
        return new PgOutputProtocolException(type, at, problem);
    }

    /** Strict UTF-8 (malformed input is an error); the field is named {@code what + column} or {@code what + field}. */
    private String utf8(int start, int length, String what, String field, int column) {
        if (utf8 == null) {
            utf8 = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        try {
            return utf8.decode(buffer.slice(start, length)).toString();
        } catch (CharacterCodingException e) {
            String name = what == null ? field : column >= 0 ? what + column : what + field;
            throw new PgOutputProtocolException(type, start, name + " is not valid UTF-8", e);
        }
    }
}
