package io.recall.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaBrokerIT {

    private final KafkaBroker broker = KafkaBroker.shared();

    @Test
    void producedRecordIsConsumed() throws Exception {
        String topic = "recall-it-" + UUID.randomUUID();
        broker.createTopic(topic, 3, Map.of("cleanup.policy", "compact"));

        RecordMetadata written;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new StringSerializer(),
                new StringSerializer())) {
            written = producer.send(new ProducerRecord<>(topic, "key-1", "value-1"))
                    .get();
        }

        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        "false"),
                new StringDeserializer(),
                new StringDeserializer())) {
            assertThat(consumer.partitionsFor(topic)).hasSize(3);
            List<TopicPartition> partitions = IntStream.range(0, 3)
                    .mapToObj(partition -> new TopicPartition(topic, partition))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);

            List<ConsumerRecord<String, String>> received = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
            }

            assertThat(received).hasSize(1);
            ConsumerRecord<String, String> record = received.getFirst();
            assertThat(record.key()).isEqualTo("key-1");
            assertThat(record.value()).isEqualTo("value-1");
            assertThat(record.partition()).isEqualTo(written.partition());
            assertThat(record.offset()).isEqualTo(written.offset());
        }
    }

    @Test
    void creatingAnExistingTopicFails() {
        String topic = "recall-it-" + UUID.randomUUID();
        broker.createTopic(topic, 1, Map.of());

        assertThatThrownBy(() -> broker.createTopic(topic, 1, Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(topic);
        assertThatThrownBy(broker::close).isInstanceOf(IllegalStateException.class);
    }
}
