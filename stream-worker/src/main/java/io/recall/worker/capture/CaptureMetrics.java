package io.recall.worker.capture;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One source's capture meters, tagged {@code source} (id) and {@code name}: changes and bytes published (rates come
 * from the counters), slot lag in bytes, the age of the durable watermark in seconds (how long since Kafka last
 * acknowledged anything for the source — heartbeats keep it small on an idle, healthy source; it grows when Kafka or
 * the source stalls, which is the RPO at risk), and reconnects. Thread-safe; removed from the registry on
 * {@link #close()}.
 */
final class CaptureMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final Clock clock;
    private final List<Meter> meters = new ArrayList<>();
    private final Counter changes;
    private final Counter bytes;
    private final Counter transactions;
    private final Counter reconnects;
    private final AtomicLong slotLagBytes = new AtomicLong(-1);
    private final AtomicLong lastDurableAdvanceMillis;

    CaptureMetrics(MeterRegistry registry, SourceSpec spec, Clock clock) {
        this.registry = registry;
        this.clock = clock;
        this.lastDurableAdvanceMillis = new AtomicLong(clock.millis());
        Tags tags = Tags.of("source", spec.id().toString(), "name", spec.name());
        changes = add(Counter.builder("recall.capture.changes")
                .description("row changes published to Kafka")
                .tags(tags)
                .register(registry));
        bytes = add(Counter.builder("recall.capture.bytes")
                .description("approximate payload bytes published to Kafka")
                .baseUnit("bytes")
                .tags(tags)
                .register(registry));
        transactions = add(Counter.builder("recall.capture.transactions")
                .description("transactions acknowledged by Kafka")
                .tags(tags)
                .register(registry));
        reconnects = add(Counter.builder("recall.capture.reconnects")
                .description("capture sessions restarted after a failure")
                .tags(tags)
                .register(registry));
        add(Gauge.builder("recall.capture.slot.lag", slotLagBytes, AtomicLong::get)
                .description("WAL bytes between the server's position and the slot's confirmed position (-1 unknown)")
                .baseUnit("bytes")
                .tags(tags)
                .register(registry));
        add(Gauge.builder("recall.capture.durable.age", this, m -> m.durableAgeSeconds())
                .description("seconds since Kafka last acknowledged a record of this source")
                .baseUnit("seconds")
                .tags(tags)
                .register(registry));
    }

    private <T extends Meter> T add(T meter) {
        meters.add(meter);
        return meter;
    }

    void published(int changeCount, int approximateBytes) {
        changes.increment(changeCount);
        bytes.increment(approximateBytes);
    }

    void acknowledged(boolean transactionEnd) {
        lastDurableAdvanceMillis.set(clock.millis());
        if (transactionEnd) {
            transactions.increment();
        }
    }

    void reconnected() {
        reconnects.increment();
    }

    void slotLag(Long lag) {
        slotLagBytes.set(lag == null ? -1 : lag);
    }

    double durableAgeSeconds() {
        return (clock.millis() - lastDurableAdvanceMillis.get()) / 1000.0;
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
