package io.recall.worker.capture.pgoutput;

import io.recall.common.errors.RecallException;
import java.util.Locale;

/**
 * A pgoutput message could not be decoded: it is truncated, carries trailing bytes, has a field value protocol
 * version 1 does not define, or its type byte is unknown (including the streaming and two-phase messages of protocol
 * versions 2 and 3). Not retriable: the same bytes fail the same way.
 *
 * <p>The message names the type byte and the offset of the offending field, counted from the type byte (offset 0).
 */
public class PgOutputProtocolException extends RecallException {

    /** {@link #messageType()} when the buffer was empty. */
    public static final int NO_TYPE = -1;

    private final int messageType;
    private final int offset;

    /**
     * @param messageType the message's type byte (0-255), or {@link #NO_TYPE}
     * @param offset the offset of the offending field from the start of the message
     * @param problem what is wrong there
     */
    public PgOutputProtocolException(int messageType, int offset, String problem) {
        this(messageType, offset, problem, null);
    }

    public PgOutputProtocolException(int messageType, int offset, String problem, Throwable cause) {
        super(describe(messageType) + " at offset " + offset + ": " + problem, cause);
        this.messageType = messageType;
        this.offset = offset;
    }

    /** The message's type byte (0-255), or {@link #NO_TYPE} when there was none. */
    public int messageType() {
        return messageType;
    }

    /** The offset of the offending field, counted from the message's type byte. */
    public int offset() {
        return offset;
    }

    /** {@code 'B' (0x42)} for a printable type byte, {@code 0x07} otherwise. */
    static String typeByte(int value) {
        String hex = String.format(Locale.ROOT, "0x%02X", value);
        return value >= 0x20 && value < 0x7F ? "'" + (char) value + "' (" + hex + ")" : hex;
    }

    private static String describe(int messageType) {
        return messageType == NO_TYPE ? "pgoutput message" : "pgoutput message " + typeByte(messageType);
    }
}
