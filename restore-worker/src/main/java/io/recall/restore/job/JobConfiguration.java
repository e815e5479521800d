package io.recall.restore.job;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.recall.common.storage.BlobStore;
import io.recall.restore.base.BaseRestorer;
import io.recall.restore.config.RestoreWorkerProperties;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.kafka.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the job intake: the group consumers on {@code recall.restore-jobs}, the per-job cancel watchers, the producer
 * of restore events and seal requests, and the {@link JobRunner} that starts and stops with the application.
 */
@Configuration(proxyBeanMethods = false)
class JobConfiguration {

    @Bean(destroyMethod = "close")
    Producer<String, byte[]> restoreEventProducer(KafkaProperties kafka, RestoreWorkerProperties properties) {
        Map<String, Object> config = kafka.buildProducerProperties(null);
        // a job's end must be durable before its offset is committed: not configurable
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "restore-events-" + properties.workerName());
        config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    @Bean
    JobRunner jobRunner(
            KafkaProperties kafka,
            RestoreWorkerProperties properties,
            BlobStore store,
            BaseRestorer restorer,
            Producer<String, byte[]> restoreEventProducer,
            Clock clock,
            ObjectProvider<MeterRegistry> meters) {
        String worker = properties.workerName();
        JobServices services = new JobServices(
                store,
                restorer,
                properties.secrets().cipherOrNull(),
                restoreEventProducer,
                properties.topics(),
                clock,
                worker,
                properties.restore(),
                () -> watcherConsumer(kafka, worker),
                meters.getIfAvailable(SimpleMeterRegistry::new));
        JobRunner runner = new JobRunner(
                properties.restore().concurrency(),
                () -> groupConsumer(kafka, worker),
                () -> watcherConsumer(kafka, worker),
                properties.topics().restoreJobs(),
                services);
        meters.ifAvailable(registry -> Gauge.builder("recall.restore.jobs.running", runner, JobRunner::runningJobs)
                .description("Restore jobs running in this worker")
                .register(registry));
        return runner;
    }

    private static KafkaConsumer<String, byte[]> groupConsumer(KafkaProperties kafka, String worker) {
        Map<String, Object> config = kafka.buildConsumerProperties(null);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, JobRunner.GROUP);
        // one job at a time per consumer, committed by hand only once its end is reported: not configurable
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.putIfAbsent(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int)
                Duration.ofMinutes(5).toMillis());
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "restore-jobs-" + worker + "-" + UUID.randomUUID());
        // a rebalance then revokes only partitions that move, so running jobs elsewhere in the group are not stopped
        config.putIfAbsent(
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static KafkaConsumer<String, byte[]> watcherConsumer(KafkaProperties kafka, String worker) {
        Map<String, Object> config = kafka.buildConsumerProperties(null);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG); // assigned one partition, no group, nothing committed
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "restore-cancel-" + worker + "-" + UUID.randomUUID());
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }
}
