package io.recall.worker.capture.pgoutput;

import io.recall.common.Lsn;
import java.time.Instant;
import java.util.Objects;

/**
 * Begin message ({@code 'B'}): starts a decoded transaction.
 *
 * <p>Wire layout after the type byte: {@code Int64} final LSN, {@code Int64} commit timestamp, {@code Int32} xid.
 *
 * @param finalLsn the LSN of the transaction's commit record; equal to {@link Commit#commitLsn()} of the matching
 *     Commit
 * @param commitTime the commit timestamp (sent as microseconds since 2000-01-01 UTC). For a transaction replayed under
 *     a replication origin ({@code pg_replication_origin_xact_setup}) PostgreSQL sends the origin's commit timestamp
 *     here, not the local one
 * @param xid the top-level transaction id, an unsigned 32-bit value (0 to 4294967295)
 */
public record Begin(Lsn finalLsn, Instant commitTime, long xid) implements PgOutputMessage {

    public Begin {
        Objects.requireNonNull(finalLsn, "finalLsn");
        Objects.requireNonNull(commitTime, "commitTime");
        if (xid < 0 || xid > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("xid out of unsigned 32-bit range: " + xid);
        }
    }
}
