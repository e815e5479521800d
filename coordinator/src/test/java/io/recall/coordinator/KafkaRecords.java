package io.recall.coordinator;

import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.source.SourceDesiredState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Reads and writes Recall's topics with plain Kafka clients, as a worker (or an operator's tool) would. */
final class KafkaRecords {

    private KafkaRecords() {}

    /** Every record with this key in the topic, in offset order (one key lives in one partition), from offset 0. */
    static List<ConsumerRecord<String, byte[]>> read(String bootstrap, String topic, String key) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end within 30 s");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key())) {
                        out.add(r);
                    }
                }
            }
            return out;
        }
    }

    /** Reads until the records with this key satisfy {@code done}, for up to 30 s. */
    static List<ConsumerRecord<String, byte[]>> await(
            String bootstrap, String topic, String key, Predicate<List<ConsumerRecord<String, byte[]>>> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<ConsumerRecord<String, byte[]>> records = read(bootstrap, topic, key);
            if (done.test(records)) {
                return records;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("records with key " + key + " on " + topic + " never matched; got "
                        + records.stream().map(KafkaRecords::describe).toList());
            }
            sleep(200);
        }
    }

    /** The desired states (null for a tombstone) written for this source, in order. */
    static List<SourceDesiredState> desiredStates(String bootstrap, String sourceId) {
        return read(bootstrap, CoordinatorIT.SOURCES_TOPIC, sourceId).stream()
                .map(r -> r.value() == null ? null : desiredState(r.value()))
                .toList();
    }

    /** Waits for a desired state of this source that satisfies {@code done} and returns the last such record. */
    static SourceDesiredState awaitDesiredState(String bootstrap, String sourceId, Predicate<SourceDesiredState> done) {
        List<ConsumerRecord<String, byte[]>> records = await(
                bootstrap,
                CoordinatorIT.SOURCES_TOPIC,
                sourceId,
                rs -> rs.stream().anyMatch(r -> r.value() != null && done.test(desiredState(r.value()))));
        return records.stream()
                .filter(r -> r.value() != null)
                .map(r -> desiredState(r.value()))
                .filter(done)
                .reduce((a, b) -> b)
                .orElseThrow();
    }

    static SourceDesiredState desiredState(byte[] value) {
        try {
            return SourceDesiredState.fromByteBuffer(ByteBuffer.wrap(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes one catalog event for the source, as a stream worker reports it. */
    static void sendCatalog(String bootstrap, String sourceId, Object body) {
        CatalogEvent event = CatalogEvent.newBuilder()
                .setSourceId(sourceId)
                .setAt(Instant.now())
                .setWorker("test-worker")
                .setBody(body)
                .build();
        try {
            ByteBuffer b = event.toByteBuffer();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            send(bootstrap, CoordinatorIT.CATALOG_TOPIC, sourceId, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes raw bytes (or a tombstone) and waits for the broker's acknowledgement. */
    static void send(String bootstrap, String topic, String key, byte[] value) {
        Map<String, Object> config =
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all");
        try (var producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("could not write to " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String describe(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return "tombstone@" + r.offset();
        }
        try {
            SourceDesiredState s = desiredState(r.value());
            return "epoch " + s.getEpoch() + (s.getPaused() ? " paused" : "") + "@" + r.offset();
        } catch (RuntimeException e) {
            return r.value().length + " bytes@" + r.offset();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
