package io.recall.coordinator.catalog;

import io.recall.common.Lsn;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What a source can be restored to: the restorable intervals and the gaps of its stream (I4). Pure logic over what the
 * catalog holds; immutable.
 *
 * <p>A point {@code p} (an LSN: the state holding every transaction whose commit LSN is below {@code p}) is restorable
 * when a retained successful base backup has its consistent point {@code C <= p} and every transaction with commit LSN
 * in {@code [C, p)} is archived, with no gap between {@code C} and {@code p}. Hence:
 *
 * <ul>
 *   <li>Each successful base backup opens an interval at its consistent point {@code C}, at its snapshot time. A backup
 *       whose consistent point lies inside a gap ({@code from <= C < to}) opens none: no restore target inside a gap
 *       is accepted.
 *   <li>The interval ends at the archived watermark (every transaction below it is in a stored segment), at the
 *       watermark's server time, or, if a gap starts after {@code C} and before the watermark, at the start of that
 *       gap. The time at a gap's start was never recorded, so the interval then ends at the latest archived time at or
 *       before it (the highest segment watermark time not past it, or the last commit time of a segment that ends
 *       before it): a lower bound, so a time target is never accepted past what is known.
 *   <li>It never ends before it starts. With nothing archived past {@code C} yet (no segments, or a sink still behind a
 *       new backup) the interval is zero-length, {@code [C, C]} at the snapshot time: the base backup alone restores
 *       to its own consistent point. An empty window would hide that; a zero-length one says exactly what is there.
 *   <li>{@code toTime} is never before {@code fromTime}: the snapshot time is read just after the slot's consistent
 *       point is taken, so a transaction committed right after {@code C} can carry an earlier time; the interval's time
 *       bounds stay the conservative ones.
 *   <li>Intervals that overlap or touch are merged: a later backup in the same unbroken stretch of the stream is a
 *       faster starting point for a restore, not a new restorable point.
 * </ul>
 *
 * <p>Gaps are listed as recorded, oldest first: {@code [fromLsn, toLsn)}, with {@code toLsn} null while open (no backup
 * with a new slot has followed yet), in which case nothing after {@code fromLsn} is restorable until one does.
 *
 * <p>Approximate ranges are listed the same way. They leave the intervals as they are: a target inside one is
 * restorable, but the restore replays across a schema change that fallback DDL capture could not rebuild exactly.
 *
 * @param intervals disjoint, in LSN order
 * @param gaps in order of their start
 * @param approximate in order of their start
 */
public record RecoveryWindow(List<Interval> intervals, List<StreamGap> gaps, List<ApproximateRange> approximate) {

    public RecoveryWindow {
        intervals = List.copyOf(intervals);
        gaps = List.copyOf(gaps);
        approximate = List.copyOf(approximate);
    }

    /** Restorable points from {@code fromLsn} to {@code toLsn}, both included. */
    public record Interval(Lsn fromLsn, Instant fromTime, Lsn toLsn, Instant toTime) {
        public Interval {
            Objects.requireNonNull(fromLsn, "fromLsn");
            Objects.requireNonNull(fromTime, "fromTime");
            Objects.requireNonNull(toLsn, "toLsn");
            Objects.requireNonNull(toTime, "toTime");
        }
    }

    /** A successful, retained base backup. */
    public record BackupPoint(Lsn consistentLsn, Instant snapshotTime) {
        public BackupPoint {
            Objects.requireNonNull(consistentLsn, "consistentLsn");
            Objects.requireNonNull(snapshotTime, "snapshotTime");
        }
    }

    /** A stretch of the stream the catalog marks, {@code [fromLsn, toLsn)}, open-ended while {@code toLsn} is null. */
    public sealed interface MarkedRange permits StreamGap, ApproximateRange {
        Lsn fromLsn();

        /** Null while open. */
        Lsn toLsn();

        String reason();

        /** Whether {@code lsn} lies in the range, {@code [fromLsn, toLsn)}. */
        default boolean covers(Lsn lsn) {
            return !lsn.isBefore(fromLsn()) && (toLsn() == null || lsn.isBefore(toLsn()));
        }
    }

    /**
     * A break in the stream: no restore target in {@code [fromLsn, toLsn)}.
     *
     * @param toLsn null while open
     * @param archivedTimeBefore the latest archived time at or before {@code fromLsn} (see the class comment), null if
     *     nothing before it is archived; not part of the API's view of the gap
     */
    public record StreamGap(Lsn fromLsn, Lsn toLsn, String reason, Instant archivedTimeBefore) implements MarkedRange {
        public StreamGap {
            Objects.requireNonNull(fromLsn, "fromLsn");
        }
    }

    /**
     * A schema change that fallback DDL capture could not rebuild exactly: a restore to a target in
     * {@code [fromLsn, toLsn)} is accepted but replays across it only approximately. The range ends where a base
     * backup that holds the change begins.
     *
     * @param toLsn null while open (no base backup past {@code fromLsn} has completed since)
     * @param archivedTimeBefore the latest archived time at or before {@code fromLsn}, as for a gap; null if nothing
     *     before it is archived
     * @param exactFrom the earliest snapshot time of a retained base backup at or after {@code toLsn}: every
     *     transaction before {@code toLsn} committed before it. Null while the range is open or no such backup is
     *     recorded. Neither time is part of the API's view of the range
     */
    public record ApproximateRange(Lsn fromLsn, Lsn toLsn, String reason, Instant archivedTimeBefore, Instant exactFrom)
            implements MarkedRange {
        public ApproximateRange {
            Objects.requireNonNull(fromLsn, "fromLsn");
        }

        /**
         * Whether a time target may lie in the range: it is after {@code archivedTimeBefore} and before
         * {@code exactFrom}. The bounds are the ones a gap's time check uses, so the answer errs towards "may": a time
         * target is never said to be exact when its restore could replay across the change.
         */
        public boolean mayCover(Instant time) {
            return (archivedTimeBefore == null || time.isAfter(archivedTimeBefore))
                    && (exactFrom == null || time.isBefore(exactFrom));
        }
    }

    /** The archived watermark: every transaction with commit LSN below {@code lsn} is in a stored segment. */
    public record Watermark(Lsn lsn, Instant time) {
        public Watermark {
            Objects.requireNonNull(lsn, "lsn");
        }
    }

    private static final Comparator<Lsn> LSN_ORDER = Comparator.naturalOrder();

    /**
     * Applies the rule of the class comment.
     *
     * @param backups the successful, retained base backups, in any order
     * @param gaps the recorded gaps, in any order
     * @param approximate the recorded approximate ranges, in any order
     * @param archived the archived watermark, null if nothing is archived yet
     */
    public static RecoveryWindow of(
            List<BackupPoint> backups, List<StreamGap> gaps, List<ApproximateRange> approximate, Watermark archived) {
        List<StreamGap> sortedGaps = gaps.stream()
                .sorted(Comparator.comparing(StreamGap::fromLsn, LSN_ORDER))
                .toList();
        List<Interval> opened = new ArrayList<>();
        for (BackupPoint b : backups.stream()
                .sorted(Comparator.comparing(BackupPoint::consistentLsn, LSN_ORDER)
                        .thenComparing(BackupPoint::snapshotTime))
                .toList()) {
            Lsn from = b.consistentLsn();
            if (sortedGaps.stream().anyMatch(g -> g.covers(from))) {
                continue;
            }
            Lsn to = from;
            Instant toTime = b.snapshotTime();
            if (archived != null && archived.lsn().isAfter(from)) {
                to = archived.lsn();
                toTime = archived.time();
            }
            for (StreamGap g : sortedGaps) {
                if (g.fromLsn().isAfter(from)) {
                    if (g.fromLsn().isBefore(to)) {
                        to = g.fromLsn();
                        toTime = g.archivedTimeBefore();
                    }
                    break;
                }
            }
            if (toTime == null || toTime.isBefore(b.snapshotTime())) {
                toTime = b.snapshotTime();
            }
            opened.add(new Interval(from, b.snapshotTime(), to, toTime));
        }
        List<Interval> merged = new ArrayList<>();
        for (Interval i : opened) {
            Interval last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && !i.fromLsn().isAfter(last.toLsn())) {
                if (i.toLsn().isAfter(last.toLsn())) {
                    merged.set(
                            merged.size() - 1,
                            new Interval(
                                    last.fromLsn(), last.fromTime(), i.toLsn(), latest(last.toTime(), i.toTime())));
                }
            } else {
                merged.add(i);
            }
        }
        return new RecoveryWindow(
                merged,
                sortedGaps,
                approximate.stream()
                        .sorted(Comparator.comparing(ApproximateRange::fromLsn, LSN_ORDER))
                        .toList());
    }

    private static Instant latest(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
