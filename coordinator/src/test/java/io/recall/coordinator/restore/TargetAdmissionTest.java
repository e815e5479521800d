package io.recall.coordinator.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.common.Lsn;
import io.recall.coordinator.catalog.RecoveryWindow;
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
        TargetAdmission empty = new TargetAdmission(new RecoveryWindow(List.of(), List.of(), List.of()), lsn("0/5000"), t(1));
        assertThat(empty.refuseLsn(lsn("0/1000"), "target LSN")).isPresent();
        assertThat(empty.refuseTime(t(0))).isPresent();
        assertThat(empty.refuseXid()).hasValueSatisfying(m -> assertThat(m).contains("nothing restorable yet"));
        assertThat(empty.refuseLatest()).isPresent();
        assertThat(ADMISSION.refuseXid()).isEmpty();
        assertThat(ADMISSION.refuseLatest()).isEmpty();
    }
}
