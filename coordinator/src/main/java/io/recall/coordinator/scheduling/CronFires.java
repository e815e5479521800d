package io.recall.coordinator.scheduling;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import org.springframework.scheduling.support.CronExpression;

/** Fire-time arithmetic of a cron schedule. Pure logic; thread-safe. */
final class CronFires {

    /**
     * Windows searched backwards from now for the latest fire time, smallest first, so that a schedule that fires
     * every second but was not looked at for a day costs a few dozen steps, not 86,400.
     */
    private static final List<Duration> WINDOWS = List.of(
            Duration.ofMinutes(1),
            Duration.ofHours(1),
            Duration.ofDays(1),
            Duration.ofDays(32),
            Duration.ofDays(367),
            Duration.ofDays(5 * 366));

    private CronFires() {}

    /**
     * The latest fire time after {@code after} and not after {@code now}, or empty if there is none. Fire times
     * missed in between (a coordinator that was down, a slow check) are not returned: they coalesce into the latest
     * one, so one base backup is taken, not one per missed fire time.
     */
    static Optional<ZonedDateTime> latestDue(CronExpression cron, ZonedDateTime after, ZonedDateTime now) {
        ZonedDateTime first = cron.next(after);
        if (first == null || first.isAfter(now)) {
            return Optional.empty();
        }
        ZonedDateTime from = after;
        for (Duration window : WINDOWS) {
            ZonedDateTime start = now.minus(window);
            if (!start.isAfter(after)) {
                break;
            }
            ZonedDateTime fire = cron.next(start);
            if (fire != null && !fire.isAfter(now)) {
                from = start;
                break;
            }
        }
        ZonedDateTime latest = cron.next(from);
        for (ZonedDateTime next = cron.next(latest); next != null && !next.isAfter(now); next = cron.next(next)) {
            latest = next;
        }
        return Optional.of(latest);
    }
}
