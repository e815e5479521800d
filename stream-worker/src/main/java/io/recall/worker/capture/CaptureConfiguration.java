package io.recall.worker.capture;

import io.micrometer.core.instrument.MeterRegistry;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.storage.BlobStore;
import io.recall.worker.backup.BaseBackupTaker;
import io.recall.worker.config.WorkerProperties;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.kafka.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the capture role: its producer, its group membership on the sources topic, and its start and stop. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "recall.capture.enabled", havingValue = "true", matchIfMissing = true)
class CaptureConfiguration {

    /** Consumer group of every capture worker on the sources topic. */
    static final String GROUP = "recall-capture";

    @Bean(destroyMethod = "close")
    ChangeProducer changeProducer(KafkaProperties kafka, WorkerProperties properties) {
        Map<String, Object> config = kafka.buildProducerProperties(null);
        // durability before acknowledgement (I1): not configurable
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        // defaults that spring.kafka.producer.properties.* may override: retry for as long as it takes; while Kafka
        // is away, send() blocks and capture stops reading the slot
        config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
        config.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        // zstd's level 1, not Kafka's default 3: compression runs on the capture thread as records are appended, and
        // at level 3 it was two thirds of that thread's CPU on wide TOASTed rows (BenchmarkSuite, wide-toast: worker
        // CPU per 100k rows 5.2 s at level 3, 4.0 s at level 1, 3.6 s uncompressed); segments are compressed again
        // by the sink, so this only sizes Kafka's copy
        config.putIfAbsent(ProducerConfig.COMPRESSION_ZSTD_LEVEL_CONFIG, 1);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_000_000);
        return new ChangeProducer(
                new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer()), properties.topics());
    }

    @Bean
    CaptureRunner captureRunner(
            KafkaProperties kafka,
            WorkerProperties properties,
            SecretCipher cipher,
            ChangeProducer producer,
            BlobStore store,
            BaseBackupTaker backups,
            Clock clock,
            MeterRegistry meters) {
        return new CaptureRunner(() -> {
            Map<String, Object> config = kafka.buildConsumerProperties(null);
            config.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            config.put(ConsumerConfig.CLIENT_ID_CONFIG, "capture-" + workerId(properties));
            return new CaptureManager(
                    new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer()),
                    properties,
                    cipher,
                    producer,
                    store,
                    backups,
                    workerId(properties),
                    clock,
                    meters);
        });
    }

    /** Starts the assignment loop with the application and stops it (releasing every slot) on shutdown. */
    static final class CaptureRunner implements SmartLifecycle {

        private final java.util.function.Supplier<CaptureManager> factory;
        private volatile CaptureManager manager;
        private Thread thread;

        CaptureRunner(java.util.function.Supplier<CaptureManager> factory) {
            this.factory = factory;
        }

        CaptureManager manager() {
            return manager;
        }

        @Override
        public synchronized void start() {
            manager = factory.get();
            thread = Thread.ofPlatform().name("capture-assignment").start(manager);
        }

        @Override
        public synchronized void stop() {
            manager.close();
            try {
                thread.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public boolean isRunning() {
            return thread != null && thread.isAlive();
        }
    }

    static String workerId(WorkerProperties properties) {
        if (properties.workerId() != null && !properties.workerId().isBlank()) {
            return properties.workerId();
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "worker-" + UUID.randomUUID();
        }
    }
}
