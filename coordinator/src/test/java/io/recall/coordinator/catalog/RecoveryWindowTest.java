package io.recall.coordinator.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.common.Lsn;
import io.recall.coordinator.catalog.RecoveryWindow.ApproximateRange;
import io.recall.coordinator.catalog.RecoveryWindow.BackupPoint;
import io.recall.coordinator.catalog.RecoveryWindow.Interval;
import io.recall.coordinator.catalog.RecoveryWindow.StreamGap;
import io.recall.coordinator.catalog.RecoveryWindow.Watermark;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The interval arithmetic of {@link RecoveryWindow}. */
class RecoveryWindowTest {

    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    private static Lsn lsn(String text) {
        return Lsn.parse(text);
    }

    private static Instant t(int minutes) {
        return T0.plusSeconds(60L * minutes);
    }

    private static BackupPoint backup(String consistent, int minutes) {
        return new BackupPoint(lsn(consistent), t(minutes));
    }

    private static Watermark archived(String at, int minutes) {
        return new Watermark(lsn(at), t(minutes));
    }

    private static Interval interval(String from, int fromMinutes, String to, int toMinutes) {
        return new Interval(lsn(from), t(fromMinutes), lsn(to), t(toMinutes));
    }

    @Test
    void withoutABaseBackupNothingIsRestorable() {
        RecoveryWindow w = RecoveryWindow.of(List.of(), List.of(), List.of(), archived("0/9000", 50));

        assertThat(w.intervals()).isEmpty();
        assertThat(w.gaps()).isEmpty();
    }

    @Test
    void aBackupWithNothingArchivedYetIsAZeroLengthIntervalAtItsConsistentPoint() {
        RecoveryWindow none = RecoveryWindow.of(List.of(backup("0/1000", 0)), List.of(), List.of(), null);
        // the sink's watermark is not past the backup yet (segments of the stream before it)
        RecoveryWindow behind =
                RecoveryWindow.of(List.of(backup("0/1000", 0)), List.of(), List.of(), archived("0/800", -5));

        assertThat(none.intervals()).containsExactly(interval("0/1000", 0, "0/1000", 0));
        assertThat(behind.intervals()).containsExactly(interval("0/1000", 0, "0/1000", 0));
    }

    @Test
    void anIntervalRunsFromTheBackupToTheArchivedWatermark() {
        RecoveryWindow w =
                RecoveryWindow.of(List.of(backup("0/1000", 0)), List.of(), List.of(), archived("0/9000", 50));

        assertThat(w.intervals()).containsExactly(interval("0/1000", 0, "0/9000", 50));
    }

    @Test
    void severalBackupsOfOneUnbrokenStreamMakeOneIntervalFromTheOldest() {
        RecoveryWindow w = RecoveryWindow.of(
                List.of(backup("0/5000", 30), backup("0/1000", 0), backup("0/7000", 40)),
                List.of(),
                List.of(),
                archived("0/9000", 50));

        assertThat(w.intervals()).containsExactly(interval("0/1000", 0, "0/9000", 50));
    }

    @Test
    void aGapEndsTheIntervalBeforeItAndTheBackupAfterItOpensTheNext() {
        StreamGap gap = new StreamGap(lsn("0/4000"), lsn("0/8000"), "slot lost its WAL", t(20));
        RecoveryWindow w = RecoveryWindow.of(
                List.of(backup("0/1000", 0), backup("0/2000", 10), backup("0/8000", 35)),
                List.of(gap),
                List.of(),
                archived("0/A000", 50));

        assertThat(w.intervals())
                .containsExactly(interval("0/1000", 0, "0/4000", 20), interval("0/8000", 35, "0/A000", 50));
        assertThat(w.gaps()).containsExactly(gap);
    }

    @Test
    void nothingAfterAnOpenGapIsRestorableAndABackupInsideAGapOpensNothing() {
        StreamGap open = new StreamGap(lsn("0/4000"), null, "replication slot disappeared", t(20));
        // an online backup that finished after the stream broke: its consistent point is inside the gap
        RecoveryWindow w = RecoveryWindow.of(
                List.of(backup("0/1000", 0), backup("0/5000", 25)), List.of(open), List.of(), archived("0/6000", 30));

        assertThat(w.intervals()).containsExactly(interval("0/1000", 0, "0/4000", 20));
        assertThat(w.gaps()).containsExactly(open);
    }

    @Test
    void theBackupThatClosesAGapStartsAtItsEnd() {
        StreamGap gap = new StreamGap(lsn("0/4000"), lsn("0/8000"), "slot dropped", t(20));
        RecoveryWindow w =
                RecoveryWindow.of(List.of(backup("0/8000", 35)), List.of(gap), List.of(), archived("0/9000", 40));

        assertThat(w.intervals()).containsExactly(interval("0/8000", 35, "0/9000", 40));
    }

    @Test
    void aSinkBehindANewBackupLeavesItZeroLengthAndApart() {
        RecoveryWindow w = RecoveryWindow.of(
                List.of(backup("0/1000", 0), backup("0/9000", 60)), List.of(), List.of(), archived("0/5000", 30));

        assertThat(w.intervals())
                .containsExactly(interval("0/1000", 0, "0/5000", 30), interval("0/9000", 60, "0/9000", 60));
    }

    @Test
    void aGapPastTheWatermarkDoesNotShortenTheInterval() {
        StreamGap gap = new StreamGap(lsn("0/7000"), null, "slot lost its WAL", t(45));
        RecoveryWindow w =
                RecoveryWindow.of(List.of(backup("0/1000", 0)), List.of(gap), List.of(), archived("0/5000", 30));

        assertThat(w.intervals()).containsExactly(interval("0/1000", 0, "0/5000", 30));
    }

    @Test
    void anIntervalNeverEndsBeforeItStartsInTime() {
        // a transaction committed right after the consistent point can carry a time before the snapshot's
        RecoveryWindow early =
                RecoveryWindow.of(List.of(backup("0/1000", 10)), List.of(), List.of(), archived("0/1100", 9));
        // nothing archived before the gap: no time is known at its start
        RecoveryWindow unknown = RecoveryWindow.of(
                List.of(backup("0/1000", 10)),
                List.of(new StreamGap(lsn("0/1800"), null, "slot dropped", null)),
                List.of(),
                archived("0/2000", 30));

        assertThat(early.intervals()).containsExactly(interval("0/1000", 10, "0/1100", 10));
        assertThat(unknown.intervals()).containsExactly(interval("0/1000", 10, "0/1800", 10));
    }

    @Test
    void lsnsCompareUnsigned() {
        RecoveryWindow w = RecoveryWindow.of(
                List.of(backup("FFFFFFFF/10", 0)), List.of(), List.of(), new Watermark(lsn("FFFFFFFF/F000"), t(5)));

        assertThat(w.intervals()).containsExactly(interval("FFFFFFFF/10", 0, "FFFFFFFF/F000", 5));
    }

    @Test
    void approximateRangesLeaveTheIntervalsAsTheyAreAndAreListedInOrder() {
        ApproximateRange open = new ApproximateRange(lsn("0/7000"), null, "ALTER TABLE u DROP COLUMN d", t(45), null);
        ApproximateRange closed =
                new ApproximateRange(lsn("0/3000"), lsn("0/5000"), "ALTER TABLE t ADD COLUMN c", t(15), t(30));
        RecoveryWindow w = RecoveryWindow.of(
                List.of(backup("0/1000", 0), backup("0/5000", 30)),
                List.of(),
                List.of(open, closed),
                archived("0/9000", 50));

        assertThat(w.intervals()).containsExactly(interval("0/1000", 0, "0/9000", 50));
        assertThat(w.approximate()).containsExactly(closed, open);
        assertThat(closed.covers(lsn("0/2FFF"))).isFalse();
        assertThat(closed.covers(lsn("0/3000"))).isTrue();
        assertThat(closed.covers(lsn("0/5000"))).isFalse();
        assertThat(open.covers(lsn("FFFFFFFF/0"))).isTrue();
    }

    @Test
    void aTimeMayLieInAnApproximateRangeAfterTheArchivedTimeBeforeItAndBeforeTheBackupAfterIt() {
        ApproximateRange closed = new ApproximateRange(lsn("0/3000"), lsn("0/5000"), "r", t(15), t(30));
        // no backup after its end recorded yet, nothing archived before its start: the bounds are unknown
        ApproximateRange unbounded = new ApproximateRange(lsn("0/3000"), lsn("0/5000"), "r", null, null);

        assertThat(closed.mayCover(t(15))).isFalse();
        assertThat(closed.mayCover(t(16))).isTrue();
        assertThat(closed.mayCover(t(29))).isTrue();
        assertThat(closed.mayCover(t(30))).isFalse();
        assertThat(unbounded.mayCover(t(-100))).isTrue();
        assertThat(unbounded.mayCover(t(100))).isTrue();
    }
}
