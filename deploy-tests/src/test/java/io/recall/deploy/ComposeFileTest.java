package io.recall.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.recall.coordinator.config.RecallProperties;
import io.recall.worker.config.WorkerProperties;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker-compose.yml, read as Compose reads it (YAML, then interpolation from an env file), checked against the
 * Compose Specification's JSON schema and for the wiring between its services, and each Recall service's
 * environment bound into that service's real configuration classes.
 */
class ComposeFileTest {

    private static final Set<String> SERVICES =
            Set.of("kafka", "metadata", "minio", "minio-init", "coordinator", "stream-worker", "restore-worker");

    /** .env.example with every empty value filled as docker/generate-env.sh fills it. */
    private static Map<String, String> variables;

    private static Map<String, Object> compose;

    @BeforeAll
    static void load() {
        variables = Compose.parseEnvFile(Repository.read(".env.example"));
        variables.put("RECALL_SECRETS_KEY", Base64.getEncoder().encodeToString(new byte[32]));
        variables.put("RECALL_ADMIN_TOKEN", "a".repeat(64));
        variables.put("RECALL_METADATA_PASSWORD", "metadata-password");
        variables.put("MINIO_ROOT_PASSWORD", "minio-root-password");
        variables.put("RECALL_S3_SECRET_KEY", "recall-s3-secret");
        compose = Compose.interpolate(Compose.parse(Repository.read("docker-compose.yml")), variables);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> services() {
        return (Map<String, Object>) compose.get("services");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) {
        Map<String, Object> s = (Map<String, Object>) services().get(name);
        assertThat(s).as("service " + name).isNotNull();
        return s;
    }

    private static Map<String, String> environment(String name) {
        return ServiceSettings.environmentOf(service(name).get("environment"));
    }

    @Test
    void validAgainstTheComposeSpecificationSchema() throws Exception {
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V201909);
        // Compose's "duration", "ports" and "expose" formats are its own: checked by the tests below, not the schema.
        SchemaValidatorsConfig config =
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(false).build();
        JsonNode schemaDocument;
        try (InputStream in = getClass().getResourceAsStream("/compose-spec/compose_spec.json")) {
            schemaDocument = new ObjectMapper().readTree(in);
        }
        // the file names itself with draft-04 "id" keywords, which a 2019-09 validator refuses; they are labels only
        dropIdKeywords(schemaDocument);
        JsonSchema schema = factory.getSchema(schemaDocument, config);
        JsonNode document = new ObjectMapper().valueToTree(compose);
        Set<ValidationMessage> errors = schema.validate(document);
        assertThat(errors).as("schema errors").isEmpty();

        // the schema is strict enough to catch a misspelt key
        Map<String, Object> broken = Compose.interpolate(
                Compose.parse(Repository.read("docker-compose.yml").replace("healthcheck:", "healtcheck:")), variables);
        assertThat(schema.validate(new ObjectMapper().valueToTree(broken))).isNotEmpty();
    }

    private static void dropIdKeywords(JsonNode node) {
        if (node instanceof ObjectNode object) {
            JsonNode id = object.get("id");
            if (id != null && id.isTextual()) {
                object.remove("id");
            }
            object.forEach(ComposeFileTest::dropIdKeywords);
        } else if (node.isArray()) {
            node.forEach(ComposeFileTest::dropIdKeywords);
        }
    }

    @Test
    void theStackHasEveryRole() {
        assertThat(services().keySet()).containsExactlyInAnyOrderElementsOf(SERVICES);
    }

    @Test
    void everyServiceHasAPinnedImageOrABuild() {
        Pattern pinned = Pattern.compile("[a-z0-9./_-]+:[A-Za-z0-9._-]+");
        services().forEach((name, raw) -> {
            Map<?, ?> s = (Map<?, ?>) raw;
            String image = (String) s.get("image");
            assertThat(image).as(name + ": image").isNotBlank();
            assertThat(image).as(name + ": image tag").matches(pinned).doesNotEndWith(":latest");
            if (s.get("build") instanceof Map<?, ?> build) {
                assertThat(build.get("context")).as(name + ": build context").isEqualTo(".");
                String dockerfile = (String) build.get("dockerfile");
                assertThat(Repository.path(dockerfile))
                        .as(name + ": dockerfile")
                        .isRegularFile();
                assertThat(dockerfile).isEqualTo("docker/Dockerfile." + name);
                assertThat(image).as(name + ": built image name").startsWith("recall/" + name + ":");
            }
        });
        assertThat(services().keySet().stream().filter(n -> service(n).containsKey("build")))
                .containsExactlyInAnyOrder("coordinator", "stream-worker", "restore-worker");
    }

    @Test
    void dependenciesWaitForHealthOrCompletion() {
        services().forEach((name, raw) -> {
            Object dependsOn = ((Map<?, ?>) raw).get("depends_on");
            if (dependsOn == null) {
                return;
            }
            assertThat(dependsOn).as(name + ": depends_on must name conditions").isInstanceOf(Map.class);
            ((Map<?, ?>) dependsOn).forEach((target, spec) -> {
                assertThat(SERVICES).as(name + " depends on unknown " + target).contains((String) target);
                String condition = (String) ((Map<?, ?>) spec).get("condition");
                Map<String, Object> t = service((String) target);
                switch (condition) {
                    case "service_healthy" ->
                        assertThat(t.get("healthcheck"))
                                .as(name + " waits for " + target + " to be healthy: it needs a healthcheck")
                                .isInstanceOf(Map.class);
                    case "service_completed_successfully" ->
                        assertThat(t.get("restart"))
                                .as(name + " waits for one-shot " + target + ": it must not restart")
                                .isEqualTo("no");
                    default ->
                        throw new AssertionError(
                                name + " -> " + target + ": condition " + condition + " does not wait for readiness");
                }
            });
        });
        assertThat(dependsOn("coordinator")).containsOnlyKeys("metadata", "kafka");
        assertThat(dependsOn("stream-worker")).containsOnlyKeys("kafka", "minio-init");
        assertThat(dependsOn("restore-worker")).containsOnlyKeys("kafka", "minio-init");
        assertThat(dependsOn("minio-init")).containsOnlyKeys("minio");
        assertNoCycle();
    }

    private static Map<String, Object> dependsOn(String name) {
        return map(service(name).get("depends_on"));
    }

    private static void assertNoCycle() {
        Set<String> done = new HashSet<>();
        for (String s : SERVICES) {
            visit(s, new ArrayList<>(), done);
        }
    }

    private static void visit(String name, List<String> path, Set<String> done) {
        assertThat(path).as("dependency cycle through " + path).doesNotContain(name);
        if (done.contains(name)) {
            return;
        }
        path.add(name);
        Map<String, Object> deps = dependsOn(name);
        if (deps != null) {
            deps.keySet().forEach(d -> visit((String) d, path, done));
        }
        path.removeLast();
        done.add(name);
    }

    @Test
    void everyLongRunningServiceHasAHealthcheck() {
        services().forEach((name, raw) -> {
            Map<?, ?> s = (Map<?, ?>) raw;
            if ("no".equals(s.get("restart"))) {
                assertThat(s.get("healthcheck")).as(name + " is one-shot").isNull();
                return;
            }
            assertThat(s.get("restart")).as(name + ": restart").isEqualTo("unless-stopped");
            Map<?, ?> hc = (Map<?, ?>) s.get("healthcheck");
            assertThat(hc).as(name + ": healthcheck").isNotNull();
            assertThat(hc.get("test")).as(name + ": healthcheck test").isInstanceOf(List.class);
            for (String key : List.of("interval", "timeout", "start_period")) {
                assertThat((String) hc.get(key))
                        .as(name + ": healthcheck " + key)
                        .matches("\\d+(ms|s|m)");
            }
            assertThat(hc.get("retries")).as(name + ": healthcheck retries").isInstanceOf(Integer.class);
        });
    }

    @Test
    void workersRunTwoReplicasWithoutFixedNamesOrPorts() {
        for (String name : List.of("stream-worker", "restore-worker")) {
            Map<String, Object> s = service(name);
            assertThat(((Map<?, ?>) s.get("deploy")).get("replicas"))
                    .as(name + ": replicas")
                    .isEqualTo(2);
            assertThat(s).as(name).doesNotContainKeys("container_name", "ports", "hostname");
        }
    }

    @Test
    void publishedPortsListenOnLoopbackOnly() {
        services().forEach((name, raw) -> {
            Object ports = ((Map<?, ?>) raw).get("ports");
            if (ports != null) {
                for (Object p : (List<?>) ports) {
                    assertThat(String.valueOf(p)).as(name + ": published port").startsWith("127.0.0.1:");
                }
            }
        });
        assertThat(list(service("coordinator").get("ports"))).containsExactly("127.0.0.1:8080:8080");
    }

    @Test
    void healthchecksProbeThePortsTheServicesListenOn() {
        assertThat(healthUrl("coordinator"))
                .isEqualTo("http://127.0.0.1:" + environment("coordinator").get("RECALL_PORT") + "/api/v1/health");
        assertThat(healthUrl("stream-worker"))
                .isEqualTo("http://127.0.0.1:" + environment("stream-worker").get("RECALL_WORKER_PORT")
                        + "/actuator/health/readiness");
        assertThat(healthUrl("restore-worker"))
                .isEqualTo("http://127.0.0.1:" + environment("restore-worker").get("RECALL_RESTORE_WORKER_PORT")
                        + "/actuator/health/readiness");
    }

    private static String healthUrl(String name) {
        List<?> test = (List<?>) ((Map<?, ?>) service(name).get("healthcheck")).get("test");
        Matcher m = Pattern.compile("curl -fsS (\\S+)").matcher(String.valueOf(test.get(1)));
        assertThat(m.find()).as(name + ": healthcheck runs curl -fsS <url>").isTrue();
        return m.group(1);
    }

    @Test
    void servicesPointAtEachOther() {
        Map<String, String> kafka = environment("kafka");
        Map<String, String> coordinator = environment("coordinator");
        Map<String, String> metadata = environment("metadata");
        Map<String, String> minio = environment("minio");
        Map<String, String> init = environment("minio-init");

        // Kafka: clients bootstrap at the listener the broker advertises
        String advertised = kafka.get("KAFKA_ADVERTISED_LISTENERS").replace("PLAINTEXT://", "");
        for (String name : List.of("coordinator", "stream-worker", "restore-worker")) {
            assertThat(environment(name).get("RECALL_KAFKA_BOOTSTRAP_SERVERS"))
                    .as(name)
                    .isEqualTo(advertised);
        }
        assertThat(advertised).startsWith("kafka:");

        // metadata database: host is the service, database, user and password are the ones the image creates
        URI jdbc = URI.create(coordinator.get("RECALL_METADATA_URL").substring("jdbc:".length()));
        assertThat(jdbc.getHost()).isEqualTo("metadata");
        assertThat(jdbc.getPath()).isEqualTo("/" + metadata.get("POSTGRES_DB"));
        assertThat(coordinator.get("RECALL_METADATA_USER")).isEqualTo(metadata.get("POSTGRES_USER"));
        assertThat(coordinator.get("RECALL_METADATA_PASSWORD")).isEqualTo(metadata.get("POSTGRES_PASSWORD"));

        // storage: the workers use the bucket and the access key the init job creates, on the MinIO service
        for (String name : List.of("stream-worker", "restore-worker")) {
            Map<String, String> w = environment(name);
            assertThat(URI.create(w.get("RECALL_STORAGE_ENDPOINT")).getHost())
                    .as(name)
                    .isEqualTo("minio");
            assertThat(w.get("RECALL_STORAGE_BUCKET")).as(name).isEqualTo(init.get("RECALL_S3_BUCKET"));
            assertThat(w.get("RECALL_STORAGE_ACCESSKEY")).as(name).isEqualTo(init.get("RECALL_S3_ACCESS_KEY"));
            assertThat(w.get("RECALL_STORAGE_SECRETKEY")).as(name).isEqualTo(init.get("RECALL_S3_SECRET_KEY"));
            assertThat(w.get("RECALL_STORAGE_PATHSTYLE")).as(name).isEqualTo("true");
        }
        assertThat(init.get("MINIO_ROOT_USER")).isEqualTo(minio.get("MINIO_ROOT_USER"));
        assertThat(init.get("MINIO_ROOT_PASSWORD")).isEqualTo(minio.get("MINIO_ROOT_PASSWORD"));

        // every Recall service shares one keyring
        for (String name : List.of("stream-worker", "restore-worker")) {
            assertThat(environment(name).get("SPRING_APPLICATION_JSON"))
                    .isEqualTo(coordinator.get("SPRING_APPLICATION_JSON"));
            assertThat(environment(name).get("RECALL_SECRETS_ACTIVE_KEY_ID"))
                    .isEqualTo(coordinator.get("RECALL_SECRETS_ACTIVE_KEY_ID"));
        }
    }

    @Test
    void theCoordinatorsEnvironmentConfiguresTheCoordinator() {
        var s = RecallServices.coordinator(
                RecallServices.withImageDefaults("docker/Dockerfile.coordinator", environment("coordinator")));
        RecallProperties p = s.properties;
        assertThat(s.property("spring.datasource.url")).isEqualTo("jdbc:postgresql://metadata:5432/recall");
        assertThat(s.property("spring.datasource.username")).isEqualTo("recall");
        assertThat(s.property("spring.datasource.password")).isEqualTo("metadata-password");
        assertThat(s.property("spring.kafka.bootstrap-servers")).isEqualTo("kafka:9092");
        assertThat(s.property("server.port")).isEqualTo("8080");
        assertThat(p.secrets().activeKeyId()).isEqualTo("k1");
        assertThat(p.secrets().keys()).containsOnlyKeys("k1");
        assertThat(p.security().bootstrapAdminToken()).isEqualTo("a".repeat(64));
        assertThat(p.tools().binDir()).hasToString("/usr/lib/postgresql/18/bin");
    }

    @Test
    void theStreamWorkersEnvironmentConfiguresTheStreamWorker() {
        var s = RecallServices.streamWorker(
                RecallServices.withImageDefaults("docker/Dockerfile.stream-worker", environment("stream-worker")));
        WorkerProperties.Storage storage = s.properties.storage();
        assertThat(storage.type()).isEqualTo("s3");
        assertThat(storage.bucket()).isEqualTo("recall");
        assertThat(storage.endpoint()).hasToString("http://minio:9000");
        assertThat(storage.pathStyle()).isTrue();
        assertThat(storage.accessKey()).isEqualTo("recall");
        assertThat(storage.secretKey()).isEqualTo("recall-s3-secret");
        assertThat(storage.region()).isEqualTo("us-east-1");
        assertThat(s.property("spring.kafka.bootstrap-servers")).isEqualTo("kafka:9092");
        assertThat(s.property("server.port")).isEqualTo("8081");
        assertThat(s.properties.secrets().keys()).containsOnlyKeys("k1");
        assertThat(s.properties.topics().replicationFactor())
                .as("one broker, one replica")
                .isEqualTo((short) 1);
    }

    @Test
    void theRestoreWorkersEnvironmentConfiguresTheRestoreWorker() {
        var s = RecallServices.restoreWorker(
                RecallServices.withImageDefaults("docker/Dockerfile.restore-worker", environment("restore-worker")));
        assertThat(s.properties.storage().bucket()).isEqualTo("recall");
        assertThat(s.properties.storage().endpoint()).hasToString("http://minio:9000");
        assertThat(s.properties.storage().pathStyle()).isTrue();
        assertThat(s.property("spring.kafka.bootstrap-servers")).isEqualTo("kafka:9092");
        assertThat(s.property("server.port")).isEqualTo("8082");
        assertThat(s.properties.secrets().keys()).containsOnlyKeys("k1");
    }

    @Test
    void aMisspeltVariableIsCaught() {
        Map<String, String> env =
                RecallServices.withImageDefaults("docker/Dockerfile.stream-worker", environment("stream-worker"));
        env.put("RECALL_STORAGE_PATH_STYLE", "true");
        assertThat(ServiceSettings.bind(WorkerProperties.class, env).unreadVariables)
                .containsExactly("RECALL_STORAGE_PATH_STYLE");
    }

    @Test
    void dumpCompressionDefaultsToGzipLevelOneAndRefusesWhatPgDumpWouldNotTake() {
        Map<String, String> env =
                RecallServices.withImageDefaults("docker/Dockerfile.stream-worker", environment("stream-worker"));
        assertThat(ServiceSettings.bind(WorkerProperties.class, env)
                        .properties
                        .capture()
                        .dumpCompression())
                .isEqualTo("1");
        env.put("RECALL_CAPTURE_DUMPCOMPRESSION", "zstd:3");
        var zstd = ServiceSettings.bind(WorkerProperties.class, env);
        assertThat(zstd.violations).isEmpty();
        assertThat(zstd.properties.capture().dumpCompression()).isEqualTo("zstd:3");
        env.put("RECALL_CAPTURE_DUMPCOMPRESSION", "brotli");
        assertThat(ServiceSettings.bind(WorkerProperties.class, env).violations)
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("capture.dumpCompression", "gzip level 0-9");
    }

    @Test
    void requiredSecretsFailLoudlyWhenTheEnvFileLacksThem() {
        Map<String, String> example = Compose.parseEnvFile(Repository.read(".env.example"));
        var document = Compose.parse(Repository.read("docker-compose.yml"));
        assertThatThrownBy(() -> Compose.interpolate(document, example))
                .isInstanceOfSatisfying(
                        Compose.InterpolationException.class,
                        e -> assertThat(e.missing.stream().map(Compose.Missing::variable))
                                .contains(
                                        "RECALL_SECRETS_KEY",
                                        "RECALL_ADMIN_TOKEN",
                                        "RECALL_METADATA_PASSWORD",
                                        "MINIO_ROOT_PASSWORD",
                                        "RECALL_S3_SECRET_KEY"));
    }

    @Test
    void theExampleEnvFileHoldsNoSecret() {
        Map<String, String> example = Compose.parseEnvFile(Repository.read(".env.example"));
        for (String secret : List.of(
                "RECALL_SECRETS_KEY",
                "RECALL_ADMIN_TOKEN",
                "RECALL_METADATA_PASSWORD",
                "MINIO_ROOT_PASSWORD",
                "RECALL_S3_SECRET_KEY")) {
            assertThat(example).containsEntry(secret, "");
        }
        // every variable the compose file reads is documented in the example
        Matcher m = Pattern.compile("\\$\\{([A-Z_][A-Z0-9_]*)").matcher(Repository.read("docker-compose.yml"));
        while (m.find()) {
            assertThat(example).as(".env.example documents " + m.group(1)).containsKey(m.group(1));
        }
        assertThat(Repository.read(".dockerignore").lines()).contains(".env", "**/target", "data", ".git");
    }

    @Test
    void generateEnvWritesFreshSecretsAndRefusesToOverwrite(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(onPath("openssl"), "openssl is not installed");
        Files.createDirectories(dir.resolve("docker"));
        Files.copy(Repository.path("docker/generate-env.sh"), dir.resolve("docker/generate-env.sh"));
        Files.copy(Repository.path(".env.example"), dir.resolve(".env.example"));
        assertThat(run(dir, "sh", "docker/generate-env.sh")).isZero();
        Path env = dir.resolve(".env");
        assertThat(Files.getPosixFilePermissions(env))
                .extracting(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        Map<String, String> generated = Compose.parseEnvFile(Files.readString(env));
        assertThat(Base64.getDecoder().decode(generated.get("RECALL_SECRETS_KEY")))
                .hasSize(32);
        assertThat(generated.get("RECALL_ADMIN_TOKEN")).hasSizeGreaterThanOrEqualTo(32);
        for (String secret : List.of("RECALL_METADATA_PASSWORD", "MINIO_ROOT_PASSWORD", "RECALL_S3_SECRET_KEY")) {
            assertThat(generated.get(secret)).as(secret).hasSizeGreaterThanOrEqualTo(16);
        }
        // the generated file satisfies every required variable, and the coordinator accepts the result
        Map<String, Object> c = Compose.interpolate(Compose.parse(Repository.read("docker-compose.yml")), generated);
        @SuppressWarnings("unchecked")
        Map<String, Object> coordinator =
                (Map<String, Object>) ((Map<String, Object>) c.get("services")).get("coordinator");
        RecallServices.coordinator(RecallServices.withImageDefaults(
                "docker/Dockerfile.coordinator", ServiceSettings.environmentOf(coordinator.get("environment"))));

        String before = Files.readString(env);
        assertThat(run(dir, "sh", "docker/generate-env.sh")).isNotZero();
        assertThat(Files.readString(env)).isEqualTo(before);
    }

    /**
     * Compose's own parser, where one is installed: `docker compose` (v2) or Debian's `docker-compose` (1.29). Neither
     * needs a Docker engine for `config`.
     */
    @Test
    void composeItselfAcceptsTheFile(@TempDir Path dir) throws Exception {
        List<String> command;
        if (onPath("docker") && run(null, "docker", "compose", "version") == 0) {
            command = new ArrayList<>(List.of("docker", "compose"));
        } else if (onPath("docker-compose")) {
            command = new ArrayList<>(List.of("docker-compose"));
        } else {
            Assumptions.abort("neither `docker compose` nor `docker-compose` is installed");
            return;
        }
        StringBuilder env = new StringBuilder();
        variables.forEach((k, v) -> env.append(k).append('=').append(v).append('\n'));
        Path envFile = dir.resolve("compose.env");
        Files.writeString(envFile, env);
        command.addAll(List.of(
                "--project-directory",
                Repository.root().toString(),
                "-f",
                Repository.path("docker-compose.yml").toString(),
                "--env-file",
                envFile.toString(),
                "config",
                "-q"));
        assertThat(run(null, command.toArray(String[]::new)))
                .as(String.join(" ", command))
                .isZero();
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static int run(Path dir, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("RECALL_") || k.startsWith("MINIO_"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        if (p.exitValue() != 0) {
            System.out.println(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + output);
        }
        return p.exitValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }
}
