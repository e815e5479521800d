package io.recall.restore.replay;

import io.recall.common.Lsn;
import java.time.Instant;
import java.util.Objects;

/**
 * A committed transaction as the captured stream lists it: what cut-off rules look at.
 *
 * @param commitLsn pgoutput Begin.final_lsn = Commit.commit_lsn, which identifies the transaction
 * @param xid the 32-bit transaction id pgoutput carries
 */
public record CommitHeader(Lsn commitLsn, Instant commitTime, long xid) {

    public CommitHeader {
        Objects.requireNonNull(commitLsn, "commitLsn");
        Objects.requireNonNull(commitTime, "commitTime");
    }
}
