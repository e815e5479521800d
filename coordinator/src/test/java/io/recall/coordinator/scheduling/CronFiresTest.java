package io.recall.coordinator.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.springframework.scheduling.support.CronExpression;

/** Which fire time of a schedule is due. */
class CronFiresTest {

    private static final ZoneId UTC = ZoneId.of("UTC");
    private static final CronExpression DAILY_AT_3 = CronExpression.parse("0 0 3 * * *");

    private static ZonedDateTime at(String text) {
        return ZonedDateTime.parse(text).withZoneSameInstant(UTC);
    }

    @Test
    void nothingIsDueBeforeTheFirstFireTime() {
        assertThat(CronFires.latestDue(DAILY_AT_3, at("2026-11-20T02:59:00Z"), at("2026-11-20T02:59:59Z")))
                .isEmpty();
    }

    @Test
    void theFireTimeIsDueOnceItHasPassedAndNotAgain() {
        ZonedDateTime fire = at("2026-11-20T03:00:00Z");

        assertThat(CronFires.latestDue(DAILY_AT_3, at("2026-11-20T02:59:00Z"), at("2026-11-20T03:00:00Z")))
                .contains(fire);
        assertThat(CronFires.latestDue(DAILY_AT_3, at("2026-11-20T02:59:00Z"), at("2026-11-20T03:00:29Z")))
                .contains(fire);
        // handled: the next run finds nothing until tomorrow
        assertThat(CronFires.latestDue(DAILY_AT_3, fire, at("2026-11-20T03:00:30Z")))
                .isEmpty();
        assertThat(CronFires.latestDue(DAILY_AT_3, fire, at("2026-11-21T03:00:00Z")))
                .contains(at("2026-11-21T03:00:00Z"));
    }

    @Test
    void missedFireTimesCoalesceIntoTheLatest() {
        assertThat(CronFires.latestDue(DAILY_AT_3, at("2026-11-01T04:00:00Z"), at("2026-11-20T10:00:00Z")))
                .contains(at("2026-11-20T03:00:00Z"));
        // a schedule untouched for two years
        assertThat(CronFires.latestDue(DAILY_AT_3, at("2024-11-01T04:00:00Z"), at("2026-11-20T02:00:00Z")))
                .contains(at("2026-11-19T03:00:00Z"));
    }

    @Test
    void aDenseScheduleLongUnattendedIsFoundQuickly() {
        CronExpression everySecond = CronExpression.parse("* * * * * *");
        long started = System.nanoTime();

        var due = CronFires.latestDue(everySecond, at("2026-10-01T00:00:00Z"), at("2026-11-20T10:00:00.5Z"));

        assertThat(due).contains(at("2026-11-20T10:00:00Z"));
        assertThat(System.nanoTime() - started).isLessThan(1_000_000_000L);
    }

    @Test
    void expressionsAreReadInTheScheduleZone() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        ZonedDateTime after = at("2026-11-20T00:00:00Z").withZoneSameInstant(berlin);

        var due = CronFires.latestDue(
                DAILY_AT_3, after, at("2026-11-20T02:30:00Z").withZoneSameInstant(berlin));

        // 03:00 in Berlin is 02:00 UTC in November
        assertThat(due.map(z -> z.toInstant().toString())).contains("2026-11-20T02:00:00Z");
    }
}
