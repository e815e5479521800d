package io.recall.worker.sink;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.recall.common.segment.SegmentWriter;
import io.recall.common.storage.BlobStore;
import io.recall.schemas.RecallTopics;
import io.recall.worker.config.WorkerProperties;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.kafka.KafkaProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the sink role: its consumer group on {@code recall.changes}, the control topic it reads seal requests from,
 * its catalog producer, and its start and stop with the application.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "recall.sink.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(SinkProperties.class)
class SinkConfiguration {

    /** Consumer group of every sink on the changes topic. */
    static final String GROUP = "recall-sink";

    /** The topic seal requests ({@code SealRequest}) travel on: {@code <prefix>sink-control}. */
    static String controlTopic(RecallTopics topics) {
        return topics.sinkControl();
    }

    @Bean
    NewTopic sinkControlTopic(WorkerProperties p) {
        return p.topics().sinkControlDefinition();
    }

    @Bean(destroyMethod = "close")
    CatalogPublisher sinkCatalogPublisher(KafkaProperties kafka, WorkerProperties properties, Clock clock) {
        Map<String, Object> config = kafka.buildProducerProperties(null);
        // the event must be durable before offsets are committed past the segment (I1): not configurable
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "sink-catalog-" + workerId(properties));
        config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        return new CatalogPublisher(
                new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer()),
                properties.topics().catalog(),
                workerId(properties),
                clock,
                Duration.ofSeconds(15));
    }

    @Bean
    SinkRunner sinkRunner(
            KafkaProperties kafka,
            WorkerProperties properties,
            SinkProperties sink,
            BlobStore store,
            CatalogPublisher publisher,
            Clock clock,
            ObjectProvider<MeterRegistry> meters) {
        String workerId = workerId(properties);
        SegmentWriter.Options options = new SegmentWriter.Options(
                sink.zstdLevel(), (int) sink.blockBytes().toBytes());
        SinkRunner runner = new SinkRunner(
                context -> new SinkLoop(
                        changesConsumer(kafka, workerId),
                        controlConsumer(kafka, workerId),
                        new OpenSegments(
                                context.spoolDir(),
                                options,
                                sink.maxSegmentBytes().toBytes(),
                                sink.maxSegmentAge(),
                                clock),
                        store,
                        publisher,
                        sink,
                        properties.topics().changes(),
                        controlTopic(properties.topics()),
                        context.sealRequests(),
                        context.status()),
                sink.spoolRoot(),
                sink.retryBackoff());
        meters.ifAvailable(registry -> registerMetrics(registry, runner.status()));
        return runner;
    }

    private static KafkaConsumer<String, byte[]> changesConsumer(KafkaProperties kafka, String workerId) {
        Map<String, Object> config = kafka.buildConsumerProperties(null);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        // offsets are committed only behind stored segments (I1): not configurable
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "sink-" + workerId);
        // a rebalance then revokes only the partitions that move, so other open segments survive it
        config.putIfAbsent(
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static KafkaConsumer<String, byte[]> controlConsumer(KafkaProperties kafka, String workerId) {
        Map<String, Object> config = kafka.buildConsumerProperties(null);
        // every sink reads every request (assigned, no group)
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "sink-control-" + workerId + "-" + UUID.randomUUID());
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static void registerMetrics(MeterRegistry registry, SinkStatus status) {
        Gauge.builder("recall.sink.segments.open", status, SinkStatus::openSegments)
                .description("Segments being written")
                .register(registry);
        Gauge.builder("recall.sink.segments.waiting", status, SinkStatus::waitingSegments)
                .description("Sealed segments not yet stored and announced (grows while storage is down)")
                .register(registry);
        Gauge.builder("recall.sink.segments.waiting.bytes", status, SinkStatus::waitingBytes)
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("recall.sink.segments.stored", status, SinkStatus::storedSegments)
                .description("Segments stored and announced since start")
                .register(registry);
        Gauge.builder("recall.sink.store.failures", status, SinkStatus::failedAttempts)
                .description("Failed attempts to store or announce a segment since start")
                .register(registry);
    }

    static String workerId(WorkerProperties properties) {
        if (properties.workerId() != null && !properties.workerId().isBlank()) {
            return properties.workerId();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "worker-" + UUID.randomUUID();
        }
    }
}
