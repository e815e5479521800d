package io.recall.restore.job;

import io.recall.common.SourceId;
import io.recall.schemas.source.SourceConnection;
import io.recall.schemas.source.SourceDesiredState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a source is registered: its latest desired state on the compacted {@code recall.sources} topic, read from the
 * one partition its key hashes to (the default partitioner's murmur2), from the beginning to the end offset taken at
 * the start. The fallback of the "is the target the source itself?" check when the target allows neither
 * {@code pg_control_system()} nor IDENTIFY_SYSTEM: it compares host, port and database as the source was registered,
 * so it misses the same server reached under another name. Stateless.
 */
final class SourceAddress {

    private static final Logger log = LoggerFactory.getLogger(SourceAddress.class);

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private SourceAddress() {}

    /** The source's registered connection (no password), or empty when it is not (or no longer) registered. */
    static Optional<SourceConnection> lookup(KafkaConsumer<String, byte[]> consumer, String topic, SourceId source) {
        try (consumer) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, TIMEOUT);
            if (partitions == null || partitions.isEmpty()) {
                return Optional.empty();
            }
            byte[] key = source.toString().getBytes(StandardCharsets.UTF_8);
            TopicPartition tp = new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key)) % partitions.size());
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            Map<TopicPartition, Long> end = consumer.endOffsets(List.of(tp), TIMEOUT);
            long stop = end.getOrDefault(tp, 0L);
            SourceConnection found = null;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(tp, TIMEOUT) < stop && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (source.toString().equals(r.key())) {
                        found = r.value() == null ? null : decode(r.value());
                    }
                }
            }
            return Optional.ofNullable(found);
        } catch (KafkaException e) {
            log.warn("cannot read source {}'s registration from {}: {}", source, topic, e.toString());
            return Optional.empty();
        }
    }

    private static SourceConnection decode(byte[] value) {
        try {
            return SourceDesiredState.fromByteBuffer(ByteBuffer.wrap(value)).getConnection();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
