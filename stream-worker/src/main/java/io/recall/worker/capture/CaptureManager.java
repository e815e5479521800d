package io.recall.worker.capture;

import io.micrometer.core.instrument.MeterRegistry;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.ddl.DdlCapture;
import io.recall.common.pg.ConnectionString;
import io.recall.common.storage.BlobStore;
import io.recall.schemas.source.SourceConnection;
import io.recall.schemas.source.SourceDesiredState;
import io.recall.worker.backup.BaseBackupTaker;
import io.recall.worker.config.WorkerProperties;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capture role's assignment: one member of the consumer group on {@code recall.sources}. The partitions this
 * worker owns are the sources it captures. Assigned partitions are read from offset 0 (the topic is state, not a
 * queue); a revoked partition's sessions stop and release their slots before the partition moves on.
 *
 * <p>Threading: {@link #run()} owns the consumer on one platform thread; each source runs on a virtual thread.
 */
public final class CaptureManager implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CaptureManager.class);

    private final Consumer<String, byte[]> consumer;
    private final WorkerProperties properties;
    private final SecretCipher cipher;
    private final ChangeProducer producer;
    private final BlobStore store;
    private final BaseBackupTaker backups;
    private final String workerId;
    private final Clock clock;
    private final MeterRegistry meters;

    private final Map<SourceId, CaptureSession> sessions = new ConcurrentHashMap<>();
    private final Map<SourceId, Integer> partitionOf = new HashMap<>();
    private volatile boolean closed;

    public CaptureManager(
            Consumer<String, byte[]> consumer,
            WorkerProperties properties,
            SecretCipher cipher,
            ChangeProducer producer,
            BlobStore store,
            BaseBackupTaker backups,
            String workerId,
            Clock clock,
            MeterRegistry meters) {
        this.consumer = consumer;
        this.properties = properties;
        this.cipher = cipher;
        this.producer = producer;
        this.store = store;
        this.backups = backups;
        this.workerId = workerId;
        this.clock = clock;
        this.meters = meters;
    }

    /** Sources this worker captures now. */
    public Set<SourceId> capturing() {
        return Set.copyOf(sessions.keySet());
    }

    @Override
    public void run() {
        String topic = properties.topics().sources();
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                stopPartitions(partitions);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                // state, not a queue: rebuild every assigned source from the beginning
                consumer.seekToBeginning(partitions);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                stopPartitions(partitions);
            }
        });
        try {
            while (!closed) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                Map<SourceId, SourceSpec> latest = new HashMap<>();
                Set<SourceId> deleted = new HashSet<>();
                for (ConsumerRecord<String, byte[]> r : records) {
                    try {
                        SourceId id = SourceId.parse(r.key());
                        partitionOf.put(id, r.partition());
                        if (r.value() == null) {
                            deleted.add(id);
                            latest.remove(id);
                        } else {
                            deleted.remove(id);
                            latest.put(id, decode(r.value()));
                        }
                    } catch (RuntimeException e) {
                        // one bad record must not stop every other source: skip it, loudly
                        log.error(
                                "skipping unreadable record at {}-{}@{}: {}",
                                r.topic(),
                                r.partition(),
                                r.offset(),
                                e.toString());
                    }
                }
                deleted.forEach(this::stopSession);
                latest.forEach(this::apply);
            }
        } catch (WakeupException e) {
            if (!closed) {
                throw e;
            }
        } finally {
            sessions.keySet().forEach(this::stopSession);
            // leaving the group lets the others take these sources at once; do not wait long for a gone broker
            consumer.close(Duration.ofSeconds(10));
        }
    }

    private SourceSpec decode(byte[] value) {
        SourceDesiredState s;
        try {
            s = SourceDesiredState.fromByteBuffer(ByteBuffer.wrap(value));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(
                    "unreadable record on " + properties.topics().sources(), e);
        }
        SourceConnection c = s.getConnection();
        String password = c.getPasswordCiphertext() == null ? null : cipher.decrypt(c.getPasswordCiphertext());
        ConnectionString cs =
                new ConnectionString(c.getHost(), c.getPort(), c.getDatabase(), c.getUser(), password, c.getOptions());
        return new SourceSpec(
                SourceId.parse(s.getSourceId()),
                s.getName(),
                s.getEpoch(),
                s.getPaused(),
                cs,
                s.getTables(),
                s.getTablePatterns().stream()
                        .map(p -> new DdlCapture.Pattern(p.getSchema$(), p.getTable(), p.getExclude()))
                        .toList(),
                s.getSlotName(),
                s.getPublicationName(),
                s.getBaseBackupRequestId());
    }

    private void apply(SourceId id, SourceSpec spec) {
        CaptureSession running = sessions.get(id);
        if (running != null && running.spec().epoch() > spec.epoch()) {
            return; // an older state replayed from the topic
        }
        if (running != null && running.spec().sameStream(spec)) {
            if (spec.baseBackupRequestId() != null) {
                running.requestBaseBackup(spec.baseBackupRequestId());
            }
            return;
        }
        stopSession(id);
        CaptureSession session = new CaptureSession(
                spec,
                properties.capture(),
                producer,
                store,
                backups,
                workerId,
                clock,
                new CaptureMetrics(meters, spec, clock));
        sessions.put(id, session);
        Thread.ofVirtual().name("capture-" + spec.name()).start(session);
        log.info("capturing {} ({})", spec.name(), id);
    }

    private void stopPartitions(Collection<TopicPartition> partitions) {
        Set<Integer> numbers = new HashSet<>();
        partitions.forEach(p -> numbers.add(p.partition()));
        for (Map.Entry<SourceId, Integer> e : Map.copyOf(partitionOf).entrySet()) {
            if (numbers.contains(e.getValue())) {
                stopSession(e.getKey());
                partitionOf.remove(e.getKey());
            }
        }
    }

    private void stopSession(SourceId id) {
        CaptureSession session = sessions.remove(id);
        if (session == null) {
            return;
        }
        session.stop();
        try {
            if (!session.awaitStopped(30_000)) {
                log.warn("capture of {} did not stop within 30 s", id);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
    }
}
