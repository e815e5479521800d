package io.recall.coordinator.restore;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code recall.restores} (Prometheus: {@code recall_restores_total}), tagged {@code status}: how many restore jobs
 * entered each status here. Each job's request and each worker event is handled by one coordinator (the listeners
 * share their consumer groups), so the sum over coordinators counts each transition once. Thread-safe.
 */
@Component
class RestoreMetrics {

    private final Map<RestoreStatus, Counter> entered = new EnumMap<>(RestoreStatus.class);

    RestoreMetrics(MeterRegistry registry) {
        for (RestoreStatus s : RestoreStatus.values()) {
            entered.put(
                    s,
                    Counter.builder("recall.restores")
                            .description("Restore jobs that entered a status")
                            .tag("status", s.name())
                            .register(registry));
        }
    }

    void entered(RestoreStatus status) {
        entered.get(status).increment();
    }
}
