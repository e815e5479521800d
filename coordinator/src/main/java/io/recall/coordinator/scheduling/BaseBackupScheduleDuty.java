package io.recall.coordinator.scheduling;

import io.recall.coordinator.config.RecallProperties;
import io.recall.coordinator.source.BaseBackupSchedule;
import io.recall.coordinator.source.SourceService;
import java.time.Clock;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Component;

/**
 * Follows each source's {@code baseBackupSchedule}: every {@code recall.schedules.check-interval}, a source whose
 * next fire time (after the last one handled, or after its creation) has passed gets a base backup requested, the way
 * {@code POST /api/v1/sources/{id}/base-backups} requests one, with reason {@code SCHEDULED}. Fire times missed while
 * no coordinator ran coalesce into one request. Cron expressions are read in {@code recall.schedules.time-zone}.
 *
 * <p>Runs on one coordinator at a time (ShedLock), and {@link SourceService#requestScheduledBaseBackup} handles each
 * fire time at most once even if two runs overlapped (a lock that expired under a stalled run): once per fire time,
 * however many coordinators run this duty. Time comes from the injected {@link Clock}.
 */
@Component
public class BaseBackupScheduleDuty {

    private static final Logger log = LoggerFactory.getLogger(BaseBackupScheduleDuty.class);

    private final SourceService sources;
    private final Clock clock;
    private final ZoneId zone;

    BaseBackupScheduleDuty(SourceService sources, Clock clock, RecallProperties properties) {
        this.sources = sources;
        this.clock = clock;
        this.zone = properties.schedules().timeZone();
    }

    @Scheduled(fixedDelayString = "${recall.schedules.check-interval:30s}")
    @SchedulerLock(name = "base-backup-schedule", lockAtMostFor = "PT10M")
    public void run() {
        ZonedDateTime now = clock.instant().atZone(zone);
        for (BaseBackupSchedule s : sources.baseBackupSchedules()) {
            try (var ignored = MDC.putCloseable("source", s.source().toString())) {
                CronExpression cron = CronExpression.parse(s.cron());
                CronFires.latestDue(cron, s.handledUntil().atZoneSameInstant(zone), now)
                        .ifPresent(fire -> sources.requestScheduledBaseBackup(s.source(), fire.toOffsetDateTime()));
            } catch (RuntimeException e) {
                // one source's failure (a bad expression stored before validation, a database error) does not stop
                // the others; the next run tries it again
                log.error("could not follow the base-backup schedule '{}' of source {}", s.cron(), s.source(), e);
            }
        }
    }
}
