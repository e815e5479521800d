package io.recall.restore.replay;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Turns a {@link RestoreTarget} into a commit-LSN {@link Cutoff}, then picks the base backup to start from. Pure
 * logic, no I/O; thread-safe (stateless).
 *
 * <p>Order matters for time targets (DESIGN.md): commit timestamps are not monotonic in commit-LSN order, so the time
 * is first turned into an LSN by scanning the whole window's transactions in commit-LSN order, as PostgreSQL recovery
 * would, and only then is the base backup chosen. Starting the scan at a later backup could stop later than a
 * restore from an earlier backup would, and the answer must not depend on which backup exists.
 */
public final class CutoffResolver {

    private CutoffResolver() {}

    /**
     * Resolves {@code target} against the window.
     *
     * @param headers the window's transactions in commit-LSN order from {@code window.start()} on; duplicates (the
     *     same commit LSN again, as overlapping segments repeat it) are ignored, and anything at or past
     *     {@code window.end()} is not looked at. Only time and xid targets read it; an xid target reads it to the end
     *     to make sure the 32-bit xid names exactly one transaction.
     * @throws TargetNotRestorableException if the target lies outside the window or names no transaction
     */
    public static Cutoff resolve(RestoreTarget target, RecoveryWindow window, Iterator<CommitHeader> headers) {
        Cutoff cutoff = switch (target) {
            case RestoreTarget.AtLsn t -> {
                Lsn below = t.inclusive() ? next(t.lsn(), window) : t.lsn();
                yield new Cutoff(below, t);
            }
            case RestoreTarget.AtRestorePoint p -> new Cutoff(p.lsn(), p);
            case RestoreTarget.Latest l -> new Cutoff(window.end(), l);
            case RestoreTarget.AtTime t -> time(t, window, headers);
            case RestoreTarget.AtXid x -> xid(x, window, headers);
        };
        if (cutoff.applyBelow().isAfter(window.end())) {
            throw new TargetNotRestorableException(
                    "target " + describe(target) + " is past the end of the recovery window: transactions from "
                            + window.end() + " on are not stored yet",
                    window);
        }
        if (cutoff.applyBelow().isBefore(window.start())) {
            throw new TargetNotRestorableException(
                    "target " + describe(target) + " is before the oldest base backup's consistent point "
                            + window.start(),
                    window);
        }
        return cutoff;
    }

    /**
     * The newest base backup whose consistent point C is ≤ the cut-off with no gap in [C, cut-off): its dump holds
     * every transaction below C and replay brings the rest.
     *
     * @throws TargetNotRestorableException if none fits
     */
    public static BaseBackupManifest chooseBaseBackup(
            Cutoff cutoff, List<BaseBackupManifest> backups, List<RecoveryWindow.Gap> gaps) {
        BaseBackupManifest best = null;
        for (BaseBackupManifest b : backups) {
            Lsn c = b.consistentPoint();
            if (c.isAfter(cutoff.applyBelow())) {
                continue;
            }
            if (gaps.stream().anyMatch(g -> g.overlaps(c, cutoff.applyBelow()))) {
                continue;
            }
            if (best == null || c.isAfter(best.consistentPoint())) {
                best = b;
            }
        }
        if (best == null) {
            throw new TargetNotRestorableException(
                    "no base backup fits target " + describe(cutoff.target()) + " (cut-off below " + cutoff.applyBelow()
                            + "): every backup's consistent point is later, or a gap lies between it and the target",
                    null);
        }
        return best;
    }

    private static Lsn next(Lsn lsn, RecoveryWindow window) {
        if (lsn.value() == -1L) {
            throw new TargetNotRestorableException("LSN " + lsn + " is past any recovery window", window);
        }
        return new Lsn(lsn.value() + 1);
    }

    private static Cutoff time(RestoreTarget.AtTime t, RecoveryWindow window, Iterator<CommitHeader> headers) {
        if (t.time().isBefore(window.startTime())) {
            throw new TargetNotRestorableException(
                    "time " + t.time() + " is before the oldest base backup's snapshot (" + window.startTime() + ")",
                    window);
        }
        Lsn last = null;
        while (headers.hasNext()) {
            CommitHeader h = headers.next();
            if (!inWindow(h, window) || (last != null && !h.commitLsn().isAfter(last))) {
                continue;
            }
            last = h.commitLsn();
            Instant at = h.commitTime();
            if (t.inclusive() ? at.isAfter(t.time()) : !at.isBefore(t.time())) {
                return new Cutoff(h.commitLsn(), t);
            }
        }
        // No stored transaction stops the replay. The window's end was reached at endTime on the source's clock: a
        // transaction committing at or before the target time would have its commit record below that position.
        if (t.time().isBefore(window.endTime())) {
            return new Cutoff(window.end(), t);
        }
        throw new TargetNotRestorableException(
                "time " + t.time() + " is not before the end of the recovery window (" + window.endTime()
                        + "): later transactions may not be stored yet",
                window);
    }

    private static Cutoff xid(RestoreTarget.AtXid x, RecoveryWindow window, Iterator<CommitHeader> headers) {
        List<CommitHeader> matches = new ArrayList<>(1);
        Lsn last = null;
        while (headers.hasNext()) {
            CommitHeader h = headers.next();
            if (!inWindow(h, window) || (last != null && !h.commitLsn().isAfter(last))) {
                continue;
            }
            last = h.commitLsn();
            if ((h.xid() & 0xFFFF_FFFFL) == x.xid32()) {
                matches.add(h);
            }
        }
        if (matches.isEmpty()) {
            throw new TargetNotRestorableException(
                    "no committed transaction with xid " + x.xid32() + " in the recovery window (an aborted"
                            + " transaction, or one that changed no captured table, is not in the stream)",
                    window);
        }
        if (matches.size() > 1) {
            throw new TargetNotRestorableException(
                    "xid " + x.xid32() + " names " + matches.size() + " transactions in the window (xid wraparound),"
                            + " committed at "
                            + matches.stream()
                                    .map(m -> m.commitLsn().toString())
                                    .toList()
                            + ": give an LSN target instead",
                    window);
        }
        Lsn at = matches.get(0).commitLsn();
        return new Cutoff(x.inclusive() ? new Lsn(at.value() + 1) : at, x);
    }

    private static boolean inWindow(CommitHeader h, RecoveryWindow window) {
        return !h.commitLsn().isBefore(window.start()) && h.commitLsn().isBefore(window.end());
    }

    static String describe(RestoreTarget target) {
        return switch (target) {
            case RestoreTarget.AtLsn t -> "lsn " + t.lsn() + (t.inclusive() ? " (inclusive)" : " (exclusive)");
            case RestoreTarget.AtTime t -> "time " + t.time() + (t.inclusive() ? " (inclusive)" : " (exclusive)");
            case RestoreTarget.AtXid x -> "xid " + x.xid() + (x.inclusive() ? " (inclusive)" : " (exclusive)");
            case RestoreTarget.AtRestorePoint p -> "restore point '" + p.name() + "' at " + p.lsn();
            case RestoreTarget.Latest l -> "latest";
        };
    }
}
