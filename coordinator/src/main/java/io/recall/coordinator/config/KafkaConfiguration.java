package io.recall.coordinator.config;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.autoconfigure.kafka.ConcurrentKafkaListenerContainerFactoryConfigurer;
import org.springframework.boot.autoconfigure.kafka.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.FixedBackOff;

/**
 * The coordinator's Kafka clients and topics. Topic definitions are identical to the stream worker's, so whichever
 * side starts first creates them ({@code spring.kafka.admin.*} controls the admin client).
 */
@Configuration(proxyBeanMethods = false)
class KafkaConfiguration {

    /** Recall's topics, created when missing by Spring Kafka's admin client (the same definitions everywhere). */
    @Bean
    KafkaAdmin.NewTopics recallTopics(RecallProperties p) {
        return new KafkaAdmin.NewTopics(p.topics().definitions().toArray(NewTopic[]::new));
    }

    /**
     * The producer of {@code recall.sources}: idempotent, acks=all. Its delivery timeout is the publish timeout, so
     * when a request gives up waiting the producer has given up on that record as well: it cannot land on the topic
     * later, behind a newer state of the same source.
     */
    @Bean(destroyMethod = "close")
    Producer<String, byte[]> desiredStateProducer(KafkaProperties kafka, RecallProperties properties) {
        return acknowledgedProducer(
                kafka,
                "recall-coordinator-desired-state",
                "recall.desired-state.publish-timeout",
                properties.desiredState().publishTimeout());
    }

    /**
     * The producer of {@code recall.restore-jobs}, configured like {@link #desiredStateProducer} with
     * {@code recall.restores.publish-timeout}: a request that gave up waiting leaves no command behind that a worker
     * could still run.
     */
    @Bean(destroyMethod = "close")
    Producer<String, byte[]> restoreCommandProducer(KafkaProperties kafka, RecallProperties properties) {
        return acknowledgedProducer(
                kafka,
                "recall-coordinator-restore-commands",
                "recall.restores.publish-timeout",
                properties.restores().publishTimeout());
    }

    /** Idempotent, acks=all, and every wait bounded by {@code timeout} (named by {@code setting} when it is bad). */
    private static Producer<String, byte[]> acknowledgedProducer(
            KafkaProperties kafka, String clientId, String setting, Duration timeout) {
        if (timeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalStateException(setting + " must be at least 1s, not " + timeout);
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        Map<String, Object> config = kafka.buildProducerProperties(null);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // send() blocks for metadata at most this long; the delivery timeout bounds everything after that
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, millis);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, millis);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(500, millis / 2));
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Container factory of the coordinator's listeners (catalog, restore intake, restore events): raw bytes in
     * (decoding is the listener's job, so a malformed record is logged and skipped there), offsets from the earliest
     * record for a new group, and a failure the listener rethrows (a transient metadata-database fault) retried every 2 s without giving up: an event is never skipped
     * because the database was briefly away. Honours {@code spring.kafka.listener.*}.
     */
    @Bean
    @SuppressWarnings({"unchecked", "rawtypes"})
    ConcurrentKafkaListenerContainerFactory<String, byte[]> catalogListenerFactory(
            ConcurrentKafkaListenerContainerFactoryConfigurer configurer, KafkaProperties kafka) {
        Map<String, Object> config = kafka.buildConsumerProperties(null);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        ConsumerFactory<String, byte[]> consumers =
                new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        ConcurrentKafkaListenerContainerFactory<String, byte[]> factory =
                new ConcurrentKafkaListenerContainerFactory<>();
        configurer.configure((ConcurrentKafkaListenerContainerFactory) factory, (ConsumerFactory) consumers);
        factory.setCommonErrorHandler(
                new DefaultErrorHandler(new FixedBackOff(2_000, FixedBackOff.UNLIMITED_ATTEMPTS)));
        return factory;
    }
}
