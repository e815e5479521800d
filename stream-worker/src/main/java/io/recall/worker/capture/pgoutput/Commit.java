package io.recall.worker.capture.pgoutput;

import io.recall.common.Lsn;
import java.time.Instant;
import java.util.Objects;

/**
 * Commit message ({@code 'C'}): ends a decoded transaction.
 *
 * <p>Wire layout after the type byte: {@code Int8} flags, {@code Int64} commit LSN, {@code Int64} end LSN,
 * {@code Int64} commit timestamp.
 *
 * @param flags the flags byte; unused in protocol version 1 and always 0 (the decoder rejects anything else, as
 *     PostgreSQL's own apply worker does)
 * @param commitLsn the LSN of the commit record (its start); equal to {@link Begin#finalLsn()}
 * @param endLsn the LSN just past the commit record: the position to confirm as flushed once the transaction is
 *     durably handled
 * @param commitTime the commit timestamp (sent as microseconds since 2000-01-01 UTC); the same value as in the Begin
 */
public record Commit(int flags, Lsn commitLsn, Lsn endLsn, Instant commitTime) implements PgOutputMessage {

    public Commit {
        Objects.requireNonNull(commitLsn, "commitLsn");
        Objects.requireNonNull(endLsn, "endLsn");
        Objects.requireNonNull(commitTime, "commitTime");
    }
}
