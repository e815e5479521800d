package io.recall.coordinator.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.common.Lsn;
import io.recall.coordinator.catalog.RecoveryWindow;
import io.recall.coordinator.catalog.RecoveryWindow.ApproximateRange;
import io.recall.coordinator.catalog.RecoveryWindow.Interval;
import io.recall.coordinator.catalog.RecoveryWindow.StreamGap;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetAdmissionTest {

    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    private static Instant t(int minutes) {
        return T0.plusSeconds(60L * minutes);
    }

    private static Lsn lsn(String text) {
        return Lsn.parse(text);
    }

    /** Two intervals, 0/1000@0..0/3000@2 and 0/8000@10..0/9100@12, with the closed gap 0/3000..0/8000 between. */
    private static final RecoveryWindow BROKEN_ONCE = new RecoveryWindow(
            List.of(
                    new Interval(lsn("0/1000"), t(0), lsn("0/3000"), t(2)),
                    new Interval(lsn("0/8000"), t(10), lsn("0/9100"), t(12))),
            List.of(new StreamGap(lsn("0/3000"), lsn("0/8000"), "slot lost", t(2))),
            List.of());

    private static final TargetAdmission ADMISSION = new TargetAdmission(BROKEN_ONCE, lsn("0/9800"), t(13));

    @Test
    void lsnTargetsInsideAnIntervalOrUpToTheDurableWatermarkAreAccepted() {
        for (String ok : List.of("0/1000", "0/2000", "0/2FFF", "0/8000", "0/9100", "0/9500", "0/9800")) {
            assertThat(ADMISSION.refuseLsn(lsn(ok), "target LSN")).as(ok).isEmpty();
        }
    }

    @Test
    void lsnTargetsBeforeTheWindowInsideTheGapOrPastDurableAreRefusedSayingWhy() {
        assertThat(ADMISSION.refuseLsn(lsn("0/FFF"), "target LSN"))
                .hasValueSatisfying(m -> assertThat(m).contains("before the recovery window", "0/1000"));
        for (String inGap : List.of("0/3000", "0/5000", "0/7FFF")) {
            assertThat(ADMISSION.refuseLsn(lsn(inGap), "target LSN"))
                    .as(inGap)
                    .hasValueSatisfying(m -> assertThat(m).contains("inside a gap", "slot lost", "0/8000"));
        }
        assertThat(ADMISSION.refuseLsn(lsn("0/9801"), "target LSN"))
                .hasValueSatisfying(m -> assertThat(m).contains("past the latest durable position", "0/9800"));
    }

    @Test
    void withoutADurableWatermarkTheWindowsEndIsTheLimit() {
        TargetAdmission noDurable = new TargetAdmission(BROKEN_ONCE, null, null);
        assertThat(noDurable.refuseLsn(lsn("0/9100"), "target LSN")).isEmpty();
        assertThat(noDurable.refuseLsn(lsn("0/9101"), "target LSN")).isPresent();
        assertThat(noDurable.latestLsn()).isEqualTo(lsn("0/9100"));
        assertThat(ADMISSION.latestLsn()).isEqualTo(lsn("0/9800"));
    }

    @Test
    void timeTargetsFollowTheIntervalsTimesAndTheLatestKnownCommitTime() {
        for (Instant ok : List.of(t(0), t(1), t(2), t(10), t(12), t(13))) {
            assertThat(ADMISSION.refuseTime(ok)).as(ok.toString()).isEmpty();
        }
        assertThat(ADMISSION.refuseTime(t(-1)))
                .hasValueSatisfying(m -> assertThat(m).contains("before the recovery window"));
        assertThat(ADMISSION.refuseTime(t(5)))
                .hasValueSatisfying(m -> assertThat(m).contains("inside a gap", t(2).toString(), t(10).toString()));
        assertThat(ADMISSION.refuseTime(t(14)))
                .hasValueSatisfying(m -> assertThat(m).contains("after the latest change", t(13).toString()));
        // the durable commit time only widens the window
        assertThat(new TargetAdmission(BROKEN_ONCE, null, t(11)).refuseTime(t(12)))
                .isEmpty();
    }

    @Test
    void anOpenGapRefusesEverythingAfterIt() {
        RecoveryWindow open = new RecoveryWindow(
                List.of(new Interval(lsn("0/1000"), t(0), lsn("0/3000"), t(2))),
                List.of(new StreamGap(lsn("0/3000"), null, "WAL removed", t(2))),
                List.of());
        TargetAdmission admission = new TargetAdmission(open, lsn("0/9000"), t(20));
        assertThat(admission.refuseLsn(lsn("0/2FFF"), "target LSN")).isEmpty();
        assertThat(admission.refuseLsn(lsn("0/5000"), "target LSN"))
                .hasValueSatisfying(m -> assertThat(m).contains("inside a gap", "still open"));
        assertThat(admission.refuseTime(t(2))).isEmpty();
        assertThat(admission.refuseTime(t(3)))
                .hasValueSatisfying(m -> assertThat(m).contains("stream broke", "WAL removed"));
        assertThat(admission.refuseLatest())
                .hasValueSatisfying(m -> assertThat(m).contains("broken since 0/3000", "0/3000"));
        assertThat(admission.refuseXid()).isEmpty();
    }

    @Test
    void anEmptyWindowRefusesEveryKindOfTarget() {
        TargetAdmission empty =
                new TargetAdmission(new RecoveryWindow(List.of(), List.of(), List.of()), lsn("0/5000"), t(1));
        assertThat(empty.refuseLsn(lsn("0/1000"), "target LSN")).isPresent();
        assertThat(empty.refuseTime(t(0))).isPresent();
        assertThat(empty.refuseXid()).hasValueSatisfying(m -> assertThat(m).contains("nothing restorable yet"));
        assertThat(empty.refuseLatest()).isPresent();
        assertThat(ADMISSION.refuseXid()).isEmpty();
        assertThat(ADMISSION.refuseLatest()).isEmpty();
    }

    /**
     * One interval 0/1000@0..0/9000@30, with the approximate range 0/4000..0/6000 (archived up to t(10) before it, a
     * backup at 0/6000 taken at t(20)) and the open one from 0/8000 (archived up to t(25) before it).
     */
    private static final RecoveryWindow APPROXIMATE = new RecoveryWindow(
            List.of(new Interval(lsn("0/1000"), t(0), lsn("0/9000"), t(30))),
            List.of(),
            List.of(
                    new ApproximateRange(lsn("0/4000"), lsn("0/6000"), "ALTER TABLE t ADD COLUMN c", t(10), t(20)),
                    new ApproximateRange(lsn("0/8000"), null, "ALTER TABLE u DROP COLUMN d", t(25), null)));

    @Test
    void lsnTargetsInsideAnApproximateRangeAreAcceptedAndSaySo() {
        TargetAdmission admission = new TargetAdmission(APPROXIMATE, lsn("0/9800"), t(31));
        for (String lsn : List.of("0/1000", "0/3FFF", "0/6000", "0/7FFF")) {
            assertThat(admission.refuseLsn(lsn(lsn), "target LSN")).as(lsn).isEmpty();
            assertThat(admission.approximationAt(lsn(lsn), "target LSN"))
                    .as(lsn)
                    .isEqualTo(Approximation.EXACT);
        }
        for (String lsn : List.of("0/4000", "0/5000", "0/5FFF")) {
            assertThat(admission.refuseLsn(lsn(lsn), "target LSN")).as(lsn).isEmpty();
            Approximation a = admission.approximationAt(lsn(lsn), "target LSN");
            assertThat(a.approximate()).as(lsn).isTrue();
            assertThat(a.reason())
                    .contains("target LSN " + lsn, "from 0/4000 to 0/6000 (ALTER TABLE t ADD COLUMN c)")
                    .doesNotContain("DROP COLUMN");
        }
        for (String lsn : List.of("0/8000", "0/9800")) {
            assertThat(admission.refuseLsn(lsn(lsn), "target LSN")).as(lsn).isEmpty();
            assertThat(admission
                            .approximationAt(lsn(lsn), "restore point 'p' at")
                            .reason())
                    .as(lsn)
                    .contains("restore point 'p' at " + lsn, "from 0/8000 on", "ALTER TABLE u DROP COLUMN d");
        }
    }

    @Test
    void timeTargetsAreApproximateBetweenTheArchivedTimeBeforeARangeAndTheBackupAfterIt() {
        TargetAdmission admission = new TargetAdmission(APPROXIMATE, lsn("0/9800"), t(31));
        for (Instant exact : List.of(t(0), t(10), t(20), t(25))) {
            assertThat(admission.refuseTime(exact)).as(exact.toString()).isEmpty();
            assertThat(admission.approximationAt(exact)).as(exact.toString()).isEqualTo(Approximation.EXACT);
        }
        for (Instant inside : List.of(t(11), t(19))) {
            assertThat(admission.refuseTime(inside)).as(inside.toString()).isEmpty();
            assertThat(admission.approximationAt(inside).reason())
                    .contains("target time " + inside, "ALTER TABLE t ADD COLUMN c");
        }
        assertThat(admission.approximationAt(t(26)).reason()).contains("ALTER TABLE u DROP COLUMN d");
    }

    @Test
    void latestIsApproximateWhileARangeIsOpenOrCoversItsPosition() {
        assertThat(new TargetAdmission(APPROXIMATE, lsn("0/9800"), t(31))
                        .approximationOfLatest()
                        .reason())
                .contains("0/9800", "from 0/8000 on");
        RecoveryWindow closed = new RecoveryWindow(
                APPROXIMATE.intervals(),
                List.of(),
                List.of(new ApproximateRange(lsn("0/4000"), lsn("0/A000"), "ALTER TABLE t ADD COLUMN c", t(10), null)));
        assertThat(new TargetAdmission(closed, lsn("0/9800"), t(31))
                        .approximationOfLatest()
                        .approximate())
                .isTrue();
        assertThat(new TargetAdmission(closed, lsn("0/A000"), t(31)).approximationOfLatest())
                .isEqualTo(Approximation.EXACT);
        assertThat(ADMISSION.approximationOfLatest()).isEqualTo(Approximation.EXACT);
    }
}
