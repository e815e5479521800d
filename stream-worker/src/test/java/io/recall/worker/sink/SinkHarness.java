package io.recall.worker.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.segment.SegmentName;
import io.recall.common.segment.SegmentReader;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageSettings;
import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.sink.SealRequest;
import io.recall.testsupport.KafkaBroker;
import io.recall.testsupport.S3Endpoint;
import io.recall.worker.StreamWorkerApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real Kafka broker, real storage (a local directory or S3Proxy) and stream workers running only the sink role,
 * driven with change records built by {@link ChangeStream} instead of a capture. Reads back what the sink produced:
 * stored segments, {@code SegmentSealed} events, committed offsets of its group. Not thread-safe.
 */
final class SinkHarness implements AutoCloseable {

    static final String CHANGES = "recall.changes";
    static final String CATALOG = "recall.catalog";
    static final String CONTROL = "recall.sink-control";

    /** The keyring's only key (id {@code k1}): source passwords in desired states are encrypted with it. */
    static final String KEY = SecretCipher.generateKey();

    /** A change record as sent, with where Kafka put it. */
    record Sent(ChangeEnvelope envelope, int partition, long offset) {}

    /** A catalog event as read, with where it was. */
    record Announced(SegmentSealed event, SourceId source, int partition, long offset) {}

    final KafkaBroker kafka;
    final int partitions;
    final BlobStore store;
    private final StorageSettings settings;
    private final String bucket;
    private final List<String> storageArgs;
    private final Path spool;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> catalog;
    private final Admin admin;
    private final List<ConfigurableApplicationContext> sinks = new ArrayList<>();
    final List<Announced> announced = new CopyOnWriteArrayList<>();
    final List<CatalogEvent> catalogEvents = new CopyOnWriteArrayList<>();

    private SinkHarness(int partitions, StorageSettings settings, List<String> storageArgs) {
        this.partitions = partitions;
        this.settings = settings;
        this.bucket = settings.bucket();
        this.store = BlobStores.open(settings);
        this.storageArgs = storageArgs;
        this.kafka = KafkaBroker.start(partitions);
        kafka.createTopic(CHANGES, partitions, Map.of());
        kafka.createTopic(CATALOG, partitions, Map.of());
        kafka.createTopic(CONTROL, 1, Map.of());
        try {
            spool = Files.createTempDirectory("recall-sink-spool");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        catalog = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        catalog.subscribe(List.of(CATALOG));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    /** Storage in a local temporary directory. */
    static SinkHarness local(int partitions) {
        try {
            Path root = Files.createTempDirectory("recall-sink-storage");
            return new SinkHarness(
                    partitions,
                    StorageSettings.local(root),
                    List.of("--recall.storage.type=local", "--recall.storage.local-root=" + root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Storage in a fresh bucket of an S3 API (S3Proxy), under a deployment prefix. */
    static SinkHarness s3(int partitions, S3Endpoint endpoint) {
        String bucket = "recall-sink-" + UUID.randomUUID().toString().substring(0, 8);
        endpoint.createBucket(bucket);
        StorageSettings settings = StorageSettings.s3(bucket)
                .prefix("deployment-1")
                .endpoint(endpoint.endpoint())
                .region(endpoint.region())
                .pathStyle(true)
                .credentials(endpoint.accessKey(), endpoint.secretKey())
                .partSizeBytes(StorageSettings.MIN_PART_SIZE_BYTES)
                .build();
        return new SinkHarness(
                partitions,
                settings,
                List.of(
                        "--recall.storage.type=s3",
                        "--recall.storage.bucket=" + bucket,
                        "--recall.storage.prefix=deployment-1",
                        "--recall.storage.endpoint=" + endpoint.endpoint(),
                        "--recall.storage.region=" + endpoint.region(),
                        "--recall.storage.path-style=true",
                        "--recall.storage.access-key=" + endpoint.accessKey(),
                        "--recall.storage.secret-key=" + endpoint.secretKey(),
                        "--recall.storage.part-size-bytes=" + StorageSettings.MIN_PART_SIZE_BYTES));
    }

    /** Starts a stream worker with only the sink role; later arguments win. */
    ConfigurableApplicationContext startSink(String... extra) {
        return startSink(null, extra);
    }

    /** Starts a sink with an initializer, e.g. one that registers a primary {@link BlobStore} to inject faults. */
    ConfigurableApplicationContext startSink(
            ApplicationContextInitializer<ConfigurableApplicationContext> initializer, String... extra) {
        return startWorker(initializer, false, extra);
    }

    /** Starts a stream worker with the sink role and, if {@code capture}, the capture role (fast status intervals). */
    ConfigurableApplicationContext startWorker(
            ApplicationContextInitializer<ConfigurableApplicationContext> initializer,
            boolean capture,
            String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--spring.kafka.consumer.properties.session.timeout.ms=6000",
                "--spring.kafka.consumer.properties.heartbeat.interval.ms=1000",
                "--recall.secrets.keys.k1=" + KEY,
                "--recall.secrets.active-key-id=k1",
                "--recall.capture.enabled=" + capture,
                "--recall.capture.max-chunk-bytes=16384",
                "--recall.capture.status-interval=1s",
                "--recall.capture.heartbeat-interval=1s",
                "--recall.capture.sequence-interval=2s",
                "--recall.capture.slot-retry=1s",
                "--recall.topics.changes-partitions=" + partitions,
                "--recall.topics.sources-partitions=1",
                "--recall.sink.poll-timeout=100ms",
                "--recall.sink.retry-backoff=200ms",
                "--recall.sink.max-retry-backoff=1s",
                "--recall.sink.spool-dir=" + spool,
                "--server.port=0",
                "--recall.worker-id=sink-it-" + sinks.size()));
        args.addAll(storageArgs);
        args.addAll(List.of(extra));
        SpringApplicationBuilder builder = new SpringApplicationBuilder(StreamWorkerApplication.class);
        if (initializer != null) {
            builder.initializers(initializer);
        }
        ConfigurableApplicationContext ctx = builder.run(args.toArray(String[]::new));
        sinks.add(ctx);
        return ctx;
    }

    /** The S3 bucket, or null for local storage. */
    String bucket() {
        return bucket;
    }

    /** Another store over the same storage, e.g. to wrap in a fault-injecting one. */
    BlobStore openStore() {
        return BlobStores.open(settings);
    }

    static SinkRunner runner(ConfigurableApplicationContext sink) {
        return sink.getBean(SinkRunner.class);
    }

    Sent send(ChangeEnvelope e) {
        return send(null, e);
    }

    /** Sends to a given partition ({@code null}: by key, as capture does). */
    Sent send(Integer partition, ChangeEnvelope e) {
        try {
            RecordMetadata m = producer.send(
                            new ProducerRecord<>(CHANGES, partition, e.getSourceId(), ChangeStream.encode(e)))
                    .get();
            return new Sent(e, m.partition(), m.offset());
        } catch (Exception x) {
            throw new AssertionError(x);
        }
    }

    List<Sent> sendAll(Integer partition, List<ChangeEnvelope> envelopes) {
        List<Sent> sent = new ArrayList<>();
        envelopes.forEach(e -> sent.add(send(partition, e)));
        return sent;
    }

    /** Publishes a seal request on the control topic, as the coordinator will. */
    void sendSealRequest(SourceId source) {
        SealRequest request =
                new SealRequest(source.toString(), UUID.randomUUID().toString(), Instant.now());
        try {
            ByteBuffer b = request.toByteBuffer();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            producer.send(new ProducerRecord<>(CONTROL, source.toString(), bytes))
                    .get();
        } catch (Exception x) {
            throw new AssertionError(x);
        }
    }

    /** Reads the catalog events published since the last call. */
    void drain() {
        for (ConsumerRecord<String, byte[]> r : catalog.poll(Duration.ofMillis(100))) {
            try {
                CatalogEvent e = CatalogEvent.fromByteBuffer(ByteBuffer.wrap(r.value()));
                catalogEvents.add(e);
                if (e.getBody() instanceof SegmentSealed s) {
                    announced.add(new Announced(s, SourceId.parse(e.getSourceId()), r.partition(), r.offset()));
                }
            } catch (IOException x) {
                throw new AssertionError(x);
            }
        }
    }

    /** Every record of the source on the changes topic now, in offset order (one source is in one partition). */
    List<ChangeEnvelope> changes(SourceId source) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                all.add(new TopicPartition(CHANGES, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            Map<TopicPartition, Long> end = consumer.endOffsets(all);
            List<ChangeEnvelope> out = new ArrayList<>();
            while (all.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    ChangeEnvelope e = ChangeEnvelope.fromByteBuffer(ByteBuffer.wrap(r.value()));
                    if (e.getSourceId().equals(source.toString())) {
                        out.add(e);
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code SegmentSealed} events of a source read so far. */
    List<SegmentSealed> sealed(SourceId source) {
        drain();
        return announced.stream()
                .filter(a -> a.source().equals(source))
                .map(Announced::event)
                .toList();
    }

    /** Waits until at least {@code count} segments of the source were announced; returns the events. */
    List<SegmentSealed> awaitSealed(SourceId source, int count) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(sealed(source)).hasSizeGreaterThanOrEqualTo(count));
        return sealed(source);
    }

    /** Stored segment objects of a source, in key (= LSN) order. */
    List<BlobInfo> segments(SourceId source) {
        return store.list(SegmentName.prefix(source));
    }

    /** Every record of every stored segment of the source, segments in key order. */
    List<ChangeEnvelope> storedRecords(SourceId source) {
        List<ChangeEnvelope> all = new ArrayList<>();
        for (BlobInfo segment : segments(source)) {
            try (SegmentReader reader = SegmentReader.open(store, segment.key())) {
                all.addAll(reader.readAll());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all;
    }

    /** The sink group's committed offset of a partition of the changes topic, or -1 if none. */
    long committed(int partition) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(SinkConfiguration.GROUP)
                    .partitionsToOffsetAndMetadata()
                    .get();
            OffsetAndMetadata o = offsets.get(new TopicPartition(CHANGES, partition));
            return o == null ? -1 : o.offset();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        sinks.forEach(ConfigurableApplicationContext::close);
        producer.close(Duration.ofSeconds(2));
        catalog.close(Duration.ofSeconds(2));
        admin.close(Duration.ofSeconds(2));
        store.close();
        kafka.close();
    }
}
