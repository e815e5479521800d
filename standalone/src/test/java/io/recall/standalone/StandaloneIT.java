package io.recall.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Standalone mode starts every part on embedded defaults (metadata PostgreSQL, a KRaft broker, the coordinator and a
 * stream worker), prints its token once, and keeps its state across a restart: metadata, secrets, the broker's
 * cluster, address and records.
 */
@ExtendWith(OutputCaptureExtension.class)
class StandaloneIT {

    private static final String KEPT_TOPIC = "standalone-it.kept";

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void firstStartCreatesOwnerOnlySecretsAndRestartKeepsState(@TempDir Path tmp, CapturedOutput output)
            throws Exception {
        Path data = tmp.resolve("data");
        String[] args = {"--recall.data-dir=" + data, "--server.port=0", "--recall.kafka.config.log.retention.hours=48"
        };

        String token;
        String created;
        String bootstrap;
        String clusterId;
        try (Standalone first = StandaloneMain.start(args)) {
            int port = port(first);
            token = Files.readString(data.resolve("admin-token")).strip();
            assertThat(output.getOut()).contains(token);
            for (String f : new String[] {"admin-token", "secrets.key", "metadata.password"}) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(f))))
                        .as(f)
                        .isEqualTo("rw-------");
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data)))
                    .isEqualTo("rwx------");
            assertThat(send(port, null, "GET", "/api/v1/health", null).body()).contains("\"UP\"");
            // each context read its own module's application.yml, though both sit at the class path root
            assertThat(first.coordinator().getEnvironment().getProperty("server.address"))
                    .isEqualTo("127.0.0.1");
            assertThat(first.worker().getEnvironment().getProperty("management.endpoints.web.exposure.include"))
                    .isEqualTo("health,prometheus");
            assertThat(send(port, null, "GET", "/api/v1/sources", null).statusCode())
                    .isEqualTo(401);
            assertThat(send(port, token, "GET", "/api/v1/sources", null).statusCode())
                    .isEqualTo(200);
            HttpResponse<String> r =
                    send(port, token, "POST", "/api/v1/tokens", "{\"name\":\"kept\",\"role\":\"viewer\"}");
            assertThat(r.statusCode()).isEqualTo(201);
            created = r.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");

            // the broker: formatted under data/kafka, its address kept in data and given to both contexts
            assertThat(data.resolve("kafka").resolve("meta.properties")).isRegularFile();
            bootstrap = "127.0.0.1:"
                    + properties(data.resolve("kafka-listeners.properties")).getProperty("port");
            assertThat(first.kafkaBootstrapServers()).isEqualTo(bootstrap);
            assertThat(first.coordinator().getEnvironment().getProperty("spring.kafka.bootstrap-servers"))
                    .isEqualTo(bootstrap);
            assertThat(first.worker().getEnvironment().getProperty("spring.kafka.bootstrap-servers"))
                    .isEqualTo(bootstrap);
            assertThat(output.getOut()).contains("Kafka: " + bootstrap + " (embedded");
            clusterId =
                    properties(data.resolve("kafka").resolve("meta.properties")).getProperty("cluster.id");

            try (Admin admin = admin(bootstrap)) {
                assertThat(admin.describeCluster().clusterId().get()).isEqualTo(clusterId);
                // the worker created Recall's topics at start, the sources topic compacted and widely partitioned
                assertThat(admin.listTopics().names().get())
                        .contains("recall.sources", "recall.changes", "recall.catalog");
                assertThat(admin.describeTopics(List.of("recall.sources"))
                                .allTopicNames()
                                .get()
                                .get("recall.sources")
                                .partitions())
                        .hasSize(64);
                assertThat(config(admin, ConfigResource.Type.TOPIC, "recall.sources")
                                .get("cleanup.policy")
                                .value())
                        .isEqualTo("compact");
                // broker defaults of standalone mode, and a --recall.kafka.config.* override
                Config broker = config(admin, ConfigResource.Type.BROKER, Integer.toString(EmbeddedKafka.NODE_ID));
                assertThat(broker.get("log.flush.interval.messages").value()).isEqualTo("1");
                assertThat(broker.get("auto.create.topics.enable").value()).isEqualTo("false");
                assertThat(broker.get("log.retention.hours").value()).isEqualTo("48");
                // the worker runs against the broker: its capture consumer joined the capture group
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> assertThat(admin.describeConsumerGroups(List.of("recall-capture"))
                                        .all()
                                        .get()
                                        .get("recall-capture")
                                        .members())
                                .extracting(MemberDescription::clientId)
                                .contains("capture-" + StandaloneMain.WORKER_ID));
                admin.createTopics(List.of(new NewTopic(KEPT_TOPIC, 1, (short) 1)))
                        .all()
                        .get();
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                    new StringSerializer(),
                    new StringSerializer())) {
                producer.send(new ProducerRecord<>(KEPT_TOPIC, "k", "written before the restart"))
                        .get();
            }
            assertThat(data.resolve("storage")).isDirectory();
        }
        int printedBefore = count(output.getOut(), token);

        try (Standalone second = StandaloneMain.start(args)) {
            int port = port(second);
            assertThat(send(port, token, "GET", "/api/v1/tokens", null).body()).contains("\"kept\"");
            assertThat(send(port, created, "GET", "/api/v1/sources", null).statusCode())
                    .isEqualTo(200);

            assertThat(second.kafkaBootstrapServers()).as("same address").isEqualTo(bootstrap);
            try (Admin admin = admin(bootstrap)) {
                assertThat(admin.describeCluster().clusterId().get())
                        .as("same cluster, not a new format")
                        .isEqualTo(clusterId);
                assertThat(admin.listTopics().names().get()).contains("recall.sources", KEPT_TOPIC);
            }
            assertThat(readAll(bootstrap, new TopicPartition(KEPT_TOPIC, 0)))
                    .extracting(ConsumerRecord::value)
                    .containsExactly("written before the restart");
        }
        assertThat(count(output.getOut(), token))
                .as("the token is printed on first start only")
                .isEqualTo(printedBefore);
    }

    @Test
    void anExternalKafkaReplacesTheEmbeddedBroker(@TempDir Path tmp) throws Exception {
        EmbeddedKafkaKraftBroker external = new EmbeddedKafkaKraftBroker(1, 1);
        external.afterPropertiesSet();
        try {
            Path data = tmp.resolve("data");
            String bootstrap = external.getBrokersAsString();
            try (Standalone standalone = StandaloneMain.start(
                    "--recall.data-dir=" + data, "--server.port=0", "--recall.kafka.bootstrap-servers=" + bootstrap)) {
                assertThat(standalone.embeddedKafka()).isEmpty();
                assertThat(data.resolve(EmbeddedKafka.LOG_DIRECTORY)).doesNotExist();
                assertThat(data.resolve(EmbeddedKafka.LISTENERS_FILE)).doesNotExist();
                assertThat(standalone.coordinator().getEnvironment().getProperty("spring.kafka.bootstrap-servers"))
                        .isEqualTo(bootstrap);
                try (Admin admin = admin(bootstrap)) {
                    assertThat(admin.listTopics().names().get())
                            .contains(
                                    "recall.sources",
                                    "recall.changes",
                                    "recall.catalog",
                                    "recall.restore-jobs",
                                    "recall.restore-events");
                }
            }
        } finally {
            external.destroy();
        }
    }

    @Test
    void workerRolesCanBeLeftToProcessesStartedElsewhere(@TempDir Path tmp) {
        Path data = tmp.resolve("data");
        assertThatThrownBy(() -> StandaloneMain.start(
                        "--recall.data-dir=" + data, "--server.port=0", "--recall.standalone.restore-worker=no"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("recall.standalone.restore-worker must be true")
                .hasMessageContaining("not 'no'");
        assertThat(data).as("nothing starts on a bad role flag").doesNotExist();

        try (Standalone standalone = StandaloneMain.start(
                "--recall.data-dir=" + data,
                "--server.port=0",
                "--recall.standalone.stream-worker=false",
                "--recall.standalone.restore-worker=FALSE")) {
            assertThat(standalone.worker()).isNull();
            assertThat(standalone.restoreWorker()).isNull();
            String bootstrap = standalone.embeddedKafka().orElseThrow().bootstrapServers();
            assertThat(standalone.streamWorkerArguments())
                    .contains("--spring.kafka.bootstrap-servers=" + bootstrap)
                    .anySatisfy(a -> assertThat(a).startsWith("--recall.storage.local-root="));
            assertThat(standalone.restoreWorkerArguments())
                    .contains("--spring.kafka.bootstrap-servers=" + bootstrap)
                    .anySatisfy(a -> assertThat(a).startsWith("--recall.restore.work-dir="));
            try (Admin admin = admin(bootstrap)) {
                assertThat(admin.listTopics().names().get())
                        .as("the coordinator creates the topics the absent workers would have")
                        .contains("recall.sources", "recall.changes", "recall.restore-jobs");
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    private static Config config(Admin admin, ConfigResource.Type type, String name) throws Exception {
        ConfigResource resource = new ConfigResource(type, name);
        return admin.describeConfigs(List.of(resource)).all().get().get(resource);
    }

    private static List<ConsumerRecord<String, String>> readAll(String bootstrap, TopicPartition partition) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            return records;
        }
    }

    private static Properties properties(Path file) throws Exception {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        }
        return p;
    }

    private static int port(Standalone standalone) {
        return Integer.parseInt(standalone.coordinator().getEnvironment().getProperty("local.server.port"));
    }

    private static int count(String hay, String needle) {
        int n = 0;
        for (int i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private HttpResponse<String> send(int port, String token, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.header("Content-Type", "application/json");
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
