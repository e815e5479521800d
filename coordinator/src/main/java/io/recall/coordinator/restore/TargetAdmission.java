package io.recall.coordinator.restore;

import io.recall.common.Lsn;
import io.recall.coordinator.catalog.RecoveryWindow;
import io.recall.coordinator.catalog.RecoveryWindow.ApproximateRange;
import io.recall.coordinator.catalog.RecoveryWindow.Interval;
import io.recall.coordinator.catalog.RecoveryWindow.StreamGap;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Whether a restore target lies in a source's recovery window (I4: no target inside a gap is accepted). Pure logic;
 * thread-safe.
 *
 * <ul>
 *   <li>An LSN (and a restore point's LSN) must be at or after the oldest interval's start and must not fall inside a
 *       gap. Past the last interval's end it is accepted up to the source's durable watermark: what is durable in Kafka
 *       is enough, since the restore worker asks the sinks to seal it and waits.
 *   <li>A time must be at or after the oldest interval's start time, not between an interval's end time and the next
 *       one's start time (a gap), and not later than the latest known time: the durable commit time or the last
 *       interval's end time, whichever is later.
 *   <li>An xid only needs a window: the worker resolves it and fails the job clearly if it names no transaction.
 *   <li>{@code latest} needs a window whose stream is not broken now (an open gap).
 * </ul>
 *
 * <p>An accepted target may still lie in an approximate range (its restore replays across a schema change that
 * fallback DDL capture could not rebuild exactly); the {@code approximation} methods say so, with the same means as the
 * gap checks: an LSN or a restore point's LSN by the range itself; {@code latest} by the position it stands for now,
 * and always while a range is open; a time by the latest archived time before the range and the snapshot time of the
 * backup that ends it (see {@link ApproximateRange#mayCover}); an xid is not judged.
 *
 * @param durableLsn every transaction with commit LSN below it is durable in Kafka; null if unknown
 * @param durableCommitTime the commit time of the latest durable transaction; null if unknown
 */
record TargetAdmission(RecoveryWindow window, Lsn durableLsn, Instant durableCommitTime) {

    /** Why an LSN target is refused, if it is. */
    Optional<String> refuseLsn(Lsn lsn, String what) {
        Optional<String> empty = refuseEmpty();
        if (empty.isPresent()) {
            return empty;
        }
        List<Interval> intervals = window.intervals();
        Interval first = intervals.getFirst();
        if (lsn.isBefore(first.fromLsn())) {
            return Optional.of(what + " " + lsn + " is before the recovery window, which starts at " + first.fromLsn()
                    + " (the consistent point of the oldest retained base backup): choose a target at or after it");
        }
        for (StreamGap gap : window.gaps()) {
            if (gap.covers(lsn)) {
                return Optional.of(what + " " + lsn + " is inside a gap in the source's stream, from " + gap.fromLsn()
                        + (gap.toLsn() == null ? " on (still open)" : " to " + gap.toLsn()) + " (" + gap.reason()
                        + "): nothing in it was captured; choose a target before " + gap.fromLsn()
                        + (gap.toLsn() == null ? "" : " or at or after " + gap.toLsn()));
            }
        }
        if (intervals.stream().anyMatch(i -> !lsn.isBefore(i.fromLsn()) && !lsn.isAfter(i.toLsn()))) {
            return Optional.empty();
        }
        Interval last = intervals.getLast();
        Lsn end = latestLsn();
        if (lsn.isAfter(last.toLsn()) && !lsn.isAfter(end)) {
            return Optional.empty();
        }
        if (lsn.isAfter(end)) {
            return Optional.of(what + " " + lsn + " is past the latest durable position of the source, " + end
                    + ": choose a target at or before it, or {\"latest\": true}");
        }
        return Optional.of(what + " " + lsn + " lies between restorable intervals: choose a target inside one");
    }

    /** Why a time target is refused, if it is. */
    Optional<String> refuseTime(Instant time) {
        Optional<String> empty = refuseEmpty();
        if (empty.isPresent()) {
            return empty;
        }
        List<Interval> intervals = window.intervals();
        Interval first = intervals.getFirst();
        if (time.isBefore(first.fromTime())) {
            return Optional.of("target time " + time + " is before the recovery window, which starts at "
                    + first.fromTime() + " (the snapshot of the oldest retained base backup): choose a later time");
        }
        for (int i = 0; i < intervals.size(); i++) {
            Interval in = intervals.get(i);
            if (!time.isAfter(in.toTime())) {
                if (!time.isBefore(in.fromTime())) {
                    return Optional.empty();
                }
                Interval before = intervals.get(i - 1);
                return Optional.of("target time " + time + " is inside a gap in the source's stream: nothing"
                        + " committed between " + before.toTime() + " and " + in.fromTime() + " was captured; choose a"
                        + " time at or before " + before.toTime() + " or at or after " + in.fromTime());
            }
        }
        Interval last = intervals.getLast();
        Optional<StreamGap> open = openGap();
        if (open.isPresent()) {
            return Optional.of("target time " + time + " is after the source's stream broke at "
                    + open.get().fromLsn()
                    + " (" + open.get().reason() + "): the latest restorable time is " + last.toTime()
                    + " until a new base backup completes");
        }
        Instant latest = durableCommitTime != null && durableCommitTime.isAfter(last.toTime())
                ? durableCommitTime
                : last.toTime();
        if (time.isAfter(latest)) {
            return Optional.of("target time " + time + " is after the latest change known to be captured, committed at "
                    + latest + ": choose a time at or before it, or {\"latest\": true}");
        }
        return Optional.empty();
    }

    /** Why an xid target is refused, if it is: only an empty window refuses it. */
    Optional<String> refuseXid() {
        return refuseEmpty();
    }

    /** Why a latest target is refused, if it is. */
    Optional<String> refuseLatest() {
        Optional<String> empty = refuseEmpty();
        if (empty.isPresent()) {
            return empty;
        }
        return openGap()
                .map(g -> "the source's stream is broken since " + g.fromLsn() + " (" + g.reason() + "): nothing"
                        + " after it is restorable until a new base backup completes; choose a target at or before "
                        + window.intervals().getLast().toLsn());
    }

    /** Whether a restore to {@code lsn} (an accepted target) replays across an approximate range. */
    Approximation approximationAt(Lsn lsn, String what) {
        return approximation(what + " " + lsn, r -> r.covers(lsn));
    }

    /** Whether a restore to {@code time} (an accepted target) may replay across an approximate range. */
    Approximation approximationAt(Instant time) {
        return approximation("target time " + time, r -> r.mayCover(time));
    }

    /** Whether a restore to {@code latest} (an accepted target) replays across an approximate range. */
    Approximation approximationOfLatest() {
        Lsn latest = latestLsn();
        return approximation("the latest position, " + latest + " now,", r -> r.toLsn() == null || r.covers(latest));
    }

    private Approximation approximation(String what, Predicate<ApproximateRange> covers) {
        List<ApproximateRange> ranges =
                window.approximate().stream().filter(covers).toList();
        if (ranges.isEmpty()) {
            return Approximation.EXACT;
        }
        return Approximation.because(what + " lies where the source's schema changed in a way capture could not"
                + " record exactly, so the restore replays across the change only approximately: "
                + ranges.stream().map(TargetAdmission::describe).collect(Collectors.joining("; "))
                + ". A target before the change, or at or after the base backup that followed it, restores exactly");
    }

    private static String describe(ApproximateRange r) {
        return "from " + r.fromLsn()
                + (r.toLsn() == null ? " on (until the next base backup completes)" : " to " + r.toLsn()) + " ("
                + r.reason() + ")";
    }

    /** The position a {@code latest} target stands for now: the durable watermark, or the window's end if later. */
    Lsn latestLsn() {
        Lsn end = window.intervals().getLast().toLsn();
        return durableLsn != null && durableLsn.isAfter(end) ? durableLsn : end;
    }

    private Optional<String> refuseEmpty() {
        if (window.intervals().isEmpty()) {
            return Optional.of("the source has nothing restorable yet: its first base backup has not completed"
                    + " (GET /api/v1/sources/{id}/base-backups shows it)");
        }
        return Optional.empty();
    }

    private Optional<StreamGap> openGap() {
        return window.gaps().stream().filter(g -> g.toLsn() == null).findFirst();
    }
}
