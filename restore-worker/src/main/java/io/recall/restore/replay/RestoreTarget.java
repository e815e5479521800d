package io.recall.restore.replay;

import io.recall.common.Lsn;
import java.time.Instant;
import java.util.Objects;

/**
 * Where a restore stops, as a request names it (DESIGN.md, "Target semantics"). {@link CutoffResolver} turns each
 * kind into a commit-LSN {@link Cutoff}.
 */
public sealed interface RestoreTarget {

    /** Transactions with commit LSN ≤ {@code lsn} ({@code inclusive}) or &lt; {@code lsn}. */
    record AtLsn(Lsn lsn, boolean inclusive) implements RestoreTarget {
        public AtLsn {
            Objects.requireNonNull(lsn, "lsn");
        }
    }

    /**
     * As PostgreSQL recovery does: stop before the first transaction, in commit-LSN order, whose commit time is after
     * {@code time} ({@code inclusive}) or at or after it.
     */
    record AtTime(Instant time, boolean inclusive) implements RestoreTarget {
        public AtTime {
            Objects.requireNonNull(time, "time");
        }
    }

    /**
     * Up to and including the transaction with this id ({@code inclusive}), or up to just before it. Accepts a 32-bit
     * xid or an epoch-qualified xid8 ({@code pg_current_xact_id()}); only the low 32 bits are compared, since
     * pgoutput carries 32-bit xids.
     */
    record AtXid(long xid, boolean inclusive) implements RestoreTarget {

        /** The 32-bit xid as pgoutput carries it. */
        public long xid32() {
            return xid & 0xFFFF_FFFFL;
        }
    }

    /**
     * A named point recorded from the source's {@code pg_current_wal_lsn()}: every transaction committed before it,
     * that is with commit LSN &lt; {@code lsn}.
     */
    record AtRestorePoint(String name, Lsn lsn) implements RestoreTarget {
        public AtRestorePoint {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(lsn, "lsn");
        }
    }

    /** Everything durable when the job starts (the recovery window's end). */
    record Latest() implements RestoreTarget {}
}
