package io.recall.restore.replay;

import io.recall.common.Lsn;
import java.util.Objects;

/**
 * A restore target turned into a commit-LSN limit: every transaction with commit LSN below {@link #applyBelow} is
 * applied, none at or above it. An exclusive limit makes both inclusive and exclusive targets one comparison, and a
 * base backup with consistent point C fits the cut-off exactly when C ≤ {@code applyBelow} (its dump holds every
 * transaction below C).
 *
 * @param target the request this cut-off was resolved from
 */
public record Cutoff(Lsn applyBelow, RestoreTarget target) {

    public Cutoff {
        Objects.requireNonNull(applyBelow, "applyBelow");
        Objects.requireNonNull(target, "target");
    }

    /** Whether the transaction that committed at {@code commitLsn} is applied. */
    public boolean includes(Lsn commitLsn) {
        return commitLsn.isBefore(applyBelow);
    }
}
