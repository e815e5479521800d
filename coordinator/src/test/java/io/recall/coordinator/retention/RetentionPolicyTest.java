package io.recall.coordinator.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.coordinator.retention.RetentionPolicy.Backup;
import io.recall.coordinator.retention.RetentionPolicy.Plan;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a retention policy keeps, on a fake clock. */
class RetentionPolicyTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);

    /** A backup taken {@code daysAgo} days before the clock's now, at a consistent point growing with it. */
    private static Backup backup(int daysAgo) {
        return new Backup(
                UUID.nameUUIDFromBytes(("backup-" + daysAgo).getBytes()),
                new Lsn(0x1_0000_0000L - daysAgo * 0x100_0000L),
                CLOCK.instant().minus(Duration.ofDays(daysAgo)));
    }

    private static final List<Backup> BACKUPS = List.of(backup(1), backup(20), backup(5), backup(10));

    private static Plan plan(Map<String, Object> retention) {
        return RetentionPolicy.of(retention).orElseThrow().plan(BACKUPS, CLOCK.instant(), Set.of());
    }

    @Test
    void aCountKeepsTheNewestBackups() {
        Plan plan = plan(Map.of("baseBackups", 2));

        assertThat(plan.oldestKept()).contains(backup(5));
        assertThat(plan.delete()).containsExactly(backup(20), backup(10));
    }

    @Test
    void daysKeepEveryBackupInsideTheWindowAndTheOneAtItsStart() {
        Plan plan = plan(Map.of("days", 7));

        // restoring to seven days ago starts from the backup of ten days ago
        assertThat(plan.oldestKept()).contains(backup(10));
        assertThat(plan.delete()).containsExactly(backup(20));
    }

    @Test
    void aBackupExactlyAtTheCutOffStartsTheWindow() {
        Plan plan = plan(Map.of("days", 5));

        assertThat(plan.oldestKept()).contains(backup(5));
        assertThat(plan.delete()).containsExactly(backup(20), backup(10));
    }

    @Test
    void bothRulesKeepWhatEitherKeeps() {
        assertThat(plan(Map.of("days", 7, "baseBackups", 4)).delete()).isEmpty();
        assertThat(plan(Map.of("days", 7, "baseBackups", 1)).delete()).containsExactly(backup(20));
        assertThat(plan(Map.of("days", 2, "baseBackups", 3)).delete()).containsExactly(backup(20));
    }

    @Test
    void theNewestBackupIsAlwaysKept() {
        Plan plan = RetentionPolicy.of(Map.of("days", 1))
                .orElseThrow()
                .plan(List.of(backup(20), backup(10)), CLOCK.instant(), Set.of());

        assertThat(plan.oldestKept()).contains(backup(10));
        assertThat(plan.delete()).containsExactly(backup(20));
    }

    @Test
    void aWindowYoungerThanEveryBackupKeepsThemAll() {
        Plan plan = RetentionPolicy.of(Map.of("days", 30)).orElseThrow().plan(BACKUPS, CLOCK.instant(), Set.of());

        assertThat(plan.oldestKept()).contains(backup(20));
        assertThat(plan.delete()).isEmpty();
    }

    @Test
    void aBackupARestoreUsesIsKeptWithEverythingAfterIt() {
        Plan plan = RetentionPolicy.of(Map.of("baseBackups", 1))
                .orElseThrow()
                .plan(BACKUPS, CLOCK.instant(), Set.of(backup(10).id()));

        assertThat(plan.oldestKept()).contains(backup(10));
        assertThat(plan.delete()).containsExactly(backup(20));
    }

    @Test
    void timePassingMovesTheWindow() {
        RetentionPolicy week = RetentionPolicy.of(Map.of("days", 7)).orElseThrow();
        Instant fourDaysLater = CLOCK.instant().plus(Duration.ofDays(4));

        assertThat(week.plan(BACKUPS, fourDaysLater, Set.of()).delete()).containsExactly(backup(20), backup(10));
    }

    @Test
    void withoutBackupsOrPolicyNothingIsDeleted() {
        Plan none =
                RetentionPolicy.of(Map.of("baseBackups", 1)).orElseThrow().plan(List.of(), CLOCK.instant(), Set.of());

        assertThat(none.oldestKept()).isEmpty();
        assertThat(none.delete()).isEmpty();
        assertThat(RetentionPolicy.of(null)).isEmpty();
        assertThat(RetentionPolicy.of(Map.of())).isEmpty();
    }

    @Test
    void onlyWholePositiveNumbersArePolicies() {
        assertThatThrownBy(() -> RetentionPolicy.of(Map.of("days", 1.5))).hasMessageContaining("days");
        assertThatThrownBy(() -> RetentionPolicy.of(Map.of("baseBackups", 0))).hasMessageContaining("positive");
    }
}
