package io.recall.worker.capture.pgoutput;

import io.recall.common.Lsn;
import java.util.Arrays;
import java.util.Objects;

/**
 * Logical decoding message ({@code 'M'}), written by {@code pg_logical_emit_message}; sent only when the slot was
 * started with {@code messages 'true'}.
 *
 * <p>Wire layout after the type byte (protocol version 1, no xid): {@code Int8} flags (1 = transactional),
 * {@code Int64} LSN, {@code String} prefix, {@code Int32} content length, {@code Byte n} content.
 *
 * <p>Equality, hash code and {@code toString} use the content bytes, not the array's identity. The array is copied in
 * and out, so instances are immutable and thread-safe.
 *
 * @param transactional whether the message belongs to the enclosing transaction (sent between its Begin and Commit
 *     if it commits); a non-transactional message arrives on its own, outside any transaction
 * @param lsn the message's LSN: the end of its WAL record, the value {@code pg_logical_emit_message} returned
 * @param prefix the prefix given to {@code pg_logical_emit_message}
 * @param content the message content, as raw bytes
 */
public record LogicalMessage(boolean transactional, Lsn lsn, String prefix, byte[] content) implements PgOutputMessage {

    public LogicalMessage {
        Objects.requireNonNull(lsn, "lsn");
        Objects.requireNonNull(prefix, "prefix");
        content = content.clone();
    }

    /** A copy of the content bytes. */
    @Override
    public byte[] content() {
        return content.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LogicalMessage that
                && transactional == that.transactional
                && lsn.equals(that.lsn)
                && prefix.equals(that.prefix)
                && Arrays.equals(content, that.content);
    }

    @Override
    public int hashCode() {
        return Objects.hash(transactional, lsn, prefix, Arrays.hashCode(content));
    }

    @Override
    public String toString() {
        return "LogicalMessage[transactional=" + transactional + ", lsn=" + lsn + ", prefix=" + prefix + ", content="
                + HexBytes.summary(content) + "]";
    }
}
