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
 */
final class PgOutputReader {

    private final ByteBuffer buffer;
    private final int type;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

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
        require(1, "Int8 " + field);
        return Byte.toUnsignedInt(buffer.get());
    }

    int int16(String field) {
        require(2, "Int16 " + field);
        return buffer.getShort();
    }

    int int32(String field) {
        require(4, "Int32 " + field);
        return buffer.getInt();
    }

    long int64(String field) {
        require(8, "Int64 " + field);
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
        String value = utf8(start, end - start, "String " + field);
        buffer.position(end + 1);
        return value;
    }

    /** {@code length} bytes decoded as UTF-8. */
    String text(int length, String field) {
        int start = buffer.position();
        require(length, field);
        String value = utf8(start, length, field);
        buffer.position(start + length);
        return value;
    }

    /** {@code length} raw bytes. */
    byte[] bytes(int length, String field) {
        require(length, field);
        byte[] value = new byte[length];
        buffer.get(value);
        return value;
    }

    /** Fails unless at least {@code count} more bytes follow. */
    void require(long count, String field) {
        if (count > buffer.remaining()) {
            throw malformed(
                    buffer.position(),
                    "truncated " + field + ": needs " + count + " bytes, " + buffer.remaining() + " remain");
        }
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

    private String utf8(int start, int length, String field) {
        try {
            return utf8.decode(buffer.slice(start, length)).toString();
        } catch (CharacterCodingException e) {
            throw new PgOutputProtocolException(type, start, field + " is not valid UTF-8", e);
        }
    }
}
