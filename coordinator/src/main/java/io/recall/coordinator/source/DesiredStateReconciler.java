package io.recall.coordinator.source;

import io.recall.common.SourceId;
import java.util.List;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Republishes every source whose current epoch Kafka has not acknowledged: a request that answered 503, a
 * coordinator that stopped between its database commit and Kafka's acknowledgement, sources from before desired
 * states were published. This is what keeps the metadata database and {@code recall.sources} from disagreeing for
 * longer than one interval after Kafka is reachable. Runs on one coordinator at a time (ShedLock).
 */
@Component
class DesiredStateReconciler {

    private static final Logger log = LoggerFactory.getLogger(DesiredStateReconciler.class);

    private final SourceRepository repository;
    private final DesiredStatePublisher publisher;

    DesiredStateReconciler(SourceRepository repository, DesiredStatePublisher publisher) {
        this.repository = repository;
        this.publisher = publisher;
    }

    @Scheduled(fixedDelayString = "${recall.desired-state.reconcile-interval:30s}")
    @SchedulerLock(name = "desired-state-reconciler", lockAtMostFor = "PT10M")
    public void reconcile() {
        List<SourceId> pending = repository.unpublished();
        if (pending.isEmpty()) {
            return;
        }
        log.info("{} source(s) have a desired state Kafka has not acknowledged; publishing", pending.size());
        for (SourceId id : pending) {
            try (var ignored = MDC.putCloseable("source", id.toString())) {
                publisher.publish(id);
            } catch (KafkaUnavailableException e) {
                // the next sources would wait just as long: try again next time
                log.warn("Kafka is unavailable; {} source(s) wait to be published: {}", pending.size(), e.getMessage());
                return;
            } catch (RuntimeException e) {
                log.error("could not publish the desired state of source {}", id, e);
            }
        }
    }
}
