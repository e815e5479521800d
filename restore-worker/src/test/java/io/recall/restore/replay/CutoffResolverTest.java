package io.recall.restore.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class CutoffResolverTest {

    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    /** Commit times are not monotonic in LSN order: 0x300 committed before 0x200 by the clock. */
    private static final List<CommitHeader> HEADERS = List.of(
            header(0x100, 10, 501),
            header(0x200, 30, 502),
            header(0x300, 20, 503),
            header(0x400, 40, 504),
            header(0x500, 50, 505));

    private static final RecoveryWindow WINDOW =
            new RecoveryWindow(new Lsn(0x100), T0, new Lsn(0x600), T0.plusSeconds(60), List.of());

    private static CommitHeader header(long lsn, int second, long xid) {
        return new CommitHeader(new Lsn(lsn), T0.plusSeconds(second), xid);
    }

    private static Cutoff resolve(RestoreTarget t) {
        return CutoffResolver.resolve(t, WINDOW, HEADERS.iterator());
    }

    private static long below(RestoreTarget t) {
        return resolve(t).applyBelow().value();
    }

    @Test
    void lsnTargetsIncludeOrExcludeTheTransactionAtThatLsn() {
        assertThat(below(new RestoreTarget.AtLsn(new Lsn(0x300), true))).isEqualTo(0x301);
        assertThat(below(new RestoreTarget.AtLsn(new Lsn(0x300), false))).isEqualTo(0x300);
        Cutoff c = resolve(new RestoreTarget.AtLsn(new Lsn(0x300), true));
        assertThat(c.includes(new Lsn(0x300))).isTrue();
        assertThat(c.includes(new Lsn(0x301))).isFalse();
        assertThat(resolve(new RestoreTarget.AtLsn(new Lsn(0x300), false)).includes(new Lsn(0x300)))
                .isFalse();
    }

    @Test
    void restorePointAppliesWhatCommittedBeforeItAndLatestEverythingStored() {
        assertThat(below(new RestoreTarget.AtRestorePoint("before-migration", new Lsn(0x350))))
                .isEqualTo(0x350);
        assertThat(below(new RestoreTarget.Latest())).isEqualTo(0x600);
    }

    @Test
    void lsnTargetsOutsideTheWindowAreRefused() {
        assertThatThrownBy(() -> resolve(new RestoreTarget.AtLsn(new Lsn(0x600), true)))
                .isInstanceOf(TargetNotRestorableException.class)
                .hasMessageContaining("past the end of the recovery window")
                .hasMessageContaining("0/600");
        assertThat(below(new RestoreTarget.AtLsn(new Lsn(0x600), false))).isEqualTo(0x600);
        assertThatThrownBy(() -> resolve(new RestoreTarget.AtLsn(new Lsn(0xFF), false)))
                .isInstanceOf(TargetNotRestorableException.class)
                .hasMessageContaining("before the oldest base backup");
        // everything up to 0xFF is in the oldest backup, whose consistent point is 0x100
        assertThat(below(new RestoreTarget.AtLsn(new Lsn(0xFF), true))).isEqualTo(0x100);
    }

    @Test
    void timeTargetStopsBeforeTheFirstTransactionInLsnOrderThatIsLater() {
        // inclusive: stop before the first commit time > target
        assertThat(below(new RestoreTarget.AtTime(T0.plusSeconds(25), true))).isEqualTo(0x200);
        // 0x300 (second 20) is not applied although it is earlier than the target: 0x200 stopped the replay
        assertThat(below(new RestoreTarget.AtTime(T0.plusSeconds(30), true))).isEqualTo(0x400);
        // exclusive: stop before the first commit time >= target
        assertThat(below(new RestoreTarget.AtTime(T0.plusSeconds(30), false))).isEqualTo(0x200);
        assertThat(below(new RestoreTarget.AtTime(T0.plusSeconds(10), true))).isEqualTo(0x200);
        assertThat(below(new RestoreTarget.AtTime(T0.plusSeconds(10), false))).isEqualTo(0x100);
    }

    @Test
    void timeAfterTheLastTransactionButBeforeTheWindowEndTakesEverything() {
        assertThat(below(new RestoreTarget.AtTime(T0.plusSeconds(55), true))).isEqualTo(0x600);
        assertThatThrownBy(() -> resolve(new RestoreTarget.AtTime(T0.plusSeconds(60), true)))
                .isInstanceOf(TargetNotRestorableException.class)
                .hasMessageContaining("not before the end of the recovery window");
        assertThatThrownBy(() -> resolve(new RestoreTarget.AtTime(T0.minusSeconds(1), true)))
                .isInstanceOf(TargetNotRestorableException.class)
                .hasMessageContaining("before the oldest base backup's snapshot");
    }

    @Test
    void repeatedHeadersAndHeadersPastTheWindowAreIgnored() {
        List<CommitHeader> repeated = new java.util.ArrayList<>(HEADERS);
        repeated.addAll(HEADERS.subList(0, 3)); // an overlapping segment
        repeated.add(header(0x700, 1, 777)); // beyond the window's end: not stored yet
        Cutoff c =
                CutoffResolver.resolve(new RestoreTarget.AtTime(T0.plusSeconds(45), true), WINDOW, repeated.iterator());
        assertThat(c.applyBelow().value()).isEqualTo(0x500);
        assertThat(CutoffResolver.resolve(new RestoreTarget.AtXid(503, true), WINDOW, repeated.iterator())
                        .applyBelow()
                        .value())
                .isEqualTo(0x301);
    }

    @Test
    void xidTargetIsInclusiveOrStopsJustBeforeIt() {
        assertThat(below(new RestoreTarget.AtXid(503, true))).isEqualTo(0x301);
        assertThat(below(new RestoreTarget.AtXid(503, false))).isEqualTo(0x300);
    }

    @Test
    void epochQualifiedXid8IsComparedOnItsLow32Bits() {
        long xid8 = (7L << 32) | 504;
        RestoreTarget.AtXid t = new RestoreTarget.AtXid(xid8, true);
        assertThat(t.xid32()).isEqualTo(504);
        assertThat(below(t)).isEqualTo(0x401);
        // pgoutput's xid is 32 bits; a header never carries an epoch, but compare low bits on both sides anyway
        List<CommitHeader> wide = List.of(header(0x100, 1, (3L << 32) | 504));
        assertThat(CutoffResolver.resolve(t, WINDOW, wide.iterator())
                        .applyBelow()
                        .value())
                .isEqualTo(0x101);
    }

    @Test
    void unknownOrAmbiguousXidIsRefused() {
        assertThatThrownBy(() -> resolve(new RestoreTarget.AtXid(999, true)))
                .isInstanceOf(TargetNotRestorableException.class)
                .hasMessageContaining("no committed transaction with xid 999");
        List<CommitHeader> wrapped = List.of(header(0x100, 1, 42), header(0x500, 2, 42));
        assertThatThrownBy(() -> CutoffResolver.resolve(new RestoreTarget.AtXid(42, true), WINDOW, wrapped.iterator()))
                .isInstanceOf(TargetNotRestorableException.class)
                .hasMessageContaining("names 2 transactions")
                .hasMessageContaining("0/500");
    }

    @Test
    void lsnAndLatestTargetsDoNotReadTheHeaders() {
        var untouchable = new java.util.Iterator<CommitHeader>() {
            @Override
            public boolean hasNext() {
                throw new AssertionError("headers read");
            }

            @Override
            public CommitHeader next() {
                throw new AssertionError("headers read");
            }
        };
        assertThat(CutoffResolver.resolve(new RestoreTarget.Latest(), WINDOW, untouchable)
                        .applyBelow())
                .isEqualTo(new Lsn(0x600));
        assertThat(CutoffResolver.resolve(new RestoreTarget.AtLsn(new Lsn(0x200), true), WINDOW, untouchable)
                        .applyBelow())
                .isEqualTo(new Lsn(0x201));
    }

    private static BaseBackupManifest backup(String id, long consistent) {
        return new BaseBackupManifest(
                1,
                "src",
                id,
                new Lsn(consistent).toString(),
                T0,
                "15.18",
                150018,
                "pg_dump 15",
                List.of(),
                List.of(),
                null,
                T0,
                null,
                null);
    }

    @Test
    void choosesTheNewestBaseBackupAtOrBelowTheCutoff() {
        List<BaseBackupManifest> backups = List.of(backup("b", 0x300), backup("a", 0x100), backup("c", 0x500));
        assertThat(choose(0x301, backups).backupId()).isEqualTo("b");
        assertThat(choose(0x300, backups).backupId())
                .as("its dump holds everything below 0x300")
                .isEqualTo("b");
        assertThat(choose(0x2FF, backups).backupId()).isEqualTo("a");
        assertThat(choose(0x600, backups).backupId()).isEqualTo("c");
        assertThatThrownBy(() -> choose(0x0FF, backups))
                .isInstanceOf(TargetNotRestorableException.class)
                .hasMessageContaining("no base backup fits");
    }

    @Test
    void aGapBetweenABackupAndTheCutoffRulesTheBackupOut() {
        List<BaseBackupManifest> backups = List.of(backup("a", 0x100), backup("c", 0x500));
        List<RecoveryWindow.Gap> gaps = List.of(new RecoveryWindow.Gap(new Lsn(0x380), new Lsn(0x480)));
        Cutoff beforeGap = new Cutoff(new Lsn(0x300), new RestoreTarget.Latest());
        Cutoff inGap = new Cutoff(new Lsn(0x400), new RestoreTarget.Latest());
        Cutoff afterGap = new Cutoff(new Lsn(0x600), new RestoreTarget.Latest());
        assertThat(CutoffResolver.chooseBaseBackup(beforeGap, backups, gaps).backupId())
                .isEqualTo("a");
        assertThatThrownBy(() -> CutoffResolver.chooseBaseBackup(inGap, backups, gaps))
                .isInstanceOf(TargetNotRestorableException.class);
        assertThat(CutoffResolver.chooseBaseBackup(afterGap, backups, gaps).backupId())
                .isEqualTo("c");
    }

    private static BaseBackupManifest choose(long applyBelow, List<BaseBackupManifest> backups) {
        return CutoffResolver.chooseBaseBackup(
                new Cutoff(new Lsn(applyBelow), new RestoreTarget.Latest()), backups, Collections.emptyList());
    }
}
