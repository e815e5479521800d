package io.recall.coordinator.retention;

import io.recall.coordinator.catalog.CatalogLocks;
import java.time.Clock;
import java.time.Instant;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Applies every source's retention policy ({@link RetentionPolicy}) every {@code recall.retention.interval}, deleting
 * from storage and from the catalog in the same step ({@link RetentionEnforcer}). Sources without a policy keep
 * everything. Runs on one coordinator at a time, and never during a catalog rebuild (ShedLock lock
 * {@link CatalogLocks#MAINTENANCE}). Time comes from the injected {@link Clock}.
 */
@Component
public class RetentionDuty {

    private static final Logger log = LoggerFactory.getLogger(RetentionDuty.class);

    private final RetentionEnforcer enforcer;
    private final Clock clock;

    RetentionDuty(RetentionEnforcer enforcer, Clock clock) {
        this.enforcer = enforcer;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${recall.retention.interval:15m}")
    @SchedulerLock(name = CatalogLocks.MAINTENANCE, lockAtMostFor = "PT6H")
    public void run() {
        Instant now = clock.instant();
        for (RetentionEnforcer.SourceRetention s : enforcer.sources()) {
            try (var ignored = MDC.putCloseable("source", s.source().toString())) {
                enforcer.enforce(s.source(), s.policy(), now);
            } catch (RuntimeException e) {
                // storage or database away: this source waits for the next run, the others go ahead
                log.error("retention of source {} stopped: {}", s.source(), e.toString(), e);
            }
        }
    }
}
