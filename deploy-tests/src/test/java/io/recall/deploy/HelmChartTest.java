package io.recall.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Ingress;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import io.recall.coordinator.config.RecallProperties;
import io.recall.worker.config.WorkerProperties;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * charts/recall, linted and rendered by Helm's own Go code (helm-java's native library: no helm binary), every
 * rendered object validated against the Kubernetes API's OpenAPI models, and the wiring checked: roles, replicas,
 * probes, security, Secret and ConfigMap references, PDBs, HPAs, Ingress, ServiceMonitor — and each role's
 * environment bound into its service's real configuration classes.
 */
class HelmChartTest {

    private static final String KUBE_VERSION = "1.31.0";
    private static final String RELEASE = "recall";
    private static final String NAMESPACE = "recall";

    private static Path chart;
    private static Path minimal;
    private static FakeKubernetes kubernetes;

    @BeforeAll
    static void start() {
        chart = Repository.path("charts/recall");
        minimal = chart.resolve("ci/minimal-values.yaml");
        kubernetes = new FakeKubernetes();
    }

    @AfterEach
    void noSecretInTheCluster() {
        kubernetes.clear();
    }

    @AfterAll
    static void stop() {
        kubernetes.close();
    }

    /** A rendered manifest set, by kind and name. */
    record Manifests(List<Map<String, Object>> documents) {

        Map<String, Object> get(String kind, String name) {
            return documents.stream()
                    .filter(d -> kind.equals(d.get("kind"))
                            && name.equals(metadata(d).get("name")))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + names()));
        }

        List<Map<String, Object>> all(String kind) {
            return documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        }

        List<String> names() {
            return documents.stream()
                    .map(d -> d.get("kind") + "/" + metadata(d).get("name"))
                    .toList();
        }
    }

    private static Manifests render(Path valuesFile, String... sets) {
        return render(RELEASE, valuesFile, sets);
    }

    @SuppressWarnings("unchecked")
    private static Manifests render(String release, Path valuesFile, String... sets) {
        TemplateCommand t = new Helm(chart)
                .template()
                .withName(release)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        if (valuesFile != null) {
            t = t.withValuesFile(valuesFile);
        }
        for (String set : sets) {
            String[] kv = set.split("=", 2);
            t = t.set(kv[0], kv[1]);
        }
        String out = t.call();
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(out)) {
            if (doc != null) {
                docs.add((Map<String, Object>) doc);
            }
        }
        return new Manifests(docs);
    }

    @Test
    void lintsCleanUnderStrictMode(@TempDir Path dir) throws IOException {
        // helm lint reads the chart's values.yaml only: lint a copy whose values.yaml has the required ones filled
        Path copy = dir.resolve("recall");
        try (Stream<Path> files = Files.walk(chart)) {
            for (Path p : files.toList()) {
                Path target = copy.resolve(chart.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        Map<String, Object> values = yaml.load(Files.readString(chart.resolve("values.yaml")));
        deepMerge(values, yaml.load(Files.readString(minimal)));
        Files.writeString(copy.resolve("values.yaml"), yaml.dump(values));

        LintResult result = new Helm(copy).lint().strict().call();
        assertThat(result.getMessages())
                .as("helm lint --strict")
                .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
        assertThat(result.isFailed()).isFalse();
    }

    @SuppressWarnings("unchecked")
    private static void deepMerge(Map<String, Object> into, Map<String, Object> from) {
        from.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m && into.get(k) instanceof Map<?, ?> existing) {
                deepMerge((Map<String, Object>) existing, (Map<String, Object>) m);
            } else {
                into.put(k, v);
            }
        });
    }

    @Test
    void renderingWithoutTheRequiredValuesNamesThem() {
        assertThatThrownBy(() -> render(null)).hasMessageContaining("kafka.bootstrapServers is required");
        assertThatThrownBy(() -> render(null, "kafka.bootstrapServers=k:9092"))
                .hasMessageContaining("storage.bucket is required");
        assertThatThrownBy(() -> render(null, "kafka.bootstrapServers=k:9092", "storage.bucket=b"))
                .hasMessageMatching("(?s).*(metadata.url|metadata.password) .*is required.*");
        assertThatThrownBy(
                        () -> render(null, "kafka.bootstrapServers=k:9092", "storage.bucket=b", "metadata.password=p"))
                .hasMessageContaining("metadata.url is required");
    }

    @Test
    void refusesInconsistentSecretsSettings() {
        assertThatThrownBy(() -> render(minimal, "secrets.activeKeyId=k2"))
                .hasMessageContaining("secrets.activeKeyId \"k2\" is not one of secrets.keyIds");
        assertThatThrownBy(() -> render(minimal, "secrets.keyIds[0]=Key-1", "secrets.activeKeyId=Key-1"))
                .hasMessageContaining("must be lower-case letters and digits");
        assertThatThrownBy(() -> render(minimal, "storage.accessKey=AKIA"))
                .hasMessageContaining("storage.accessKey and storage.secretKey go together");
        assertThatThrownBy(() -> render(minimal, "secrets.adminToken=short"))
                .hasMessageContaining("at least 32 characters");
    }

    @Test
    void everyObjectIsValidForTheKubernetesApi() throws IOException {
        Manifests all = render(
                minimal,
                "coordinator.ingress.enabled=true",
                "coordinator.ingress.className=nginx",
                "coordinator.ingress.tls[0].secretName=recall-tls",
                "coordinator.ingress.tls[0].hosts[0]=recall.example.com",
                "streamWorker.autoscaling.enabled=true",
                "restoreWorker.autoscaling.enabled=true",
                "metrics.serviceMonitor.enabled=true",
                "grafana.dashboard.enabled=true",
                "storage.accessKey=AKIAEXAMPLE",
                "storage.secretKey=example-secret");
        assertThat(all.names())
                .containsExactlyInAnyOrder(
                        "ServiceAccount/recall",
                        "Secret/recall-secrets",
                        "ConfigMap/recall-config",
                        "ConfigMap/recall-storage",
                        "ConfigMap/recall-grafana-dashboard",
                        "Service/recall-coordinator",
                        "Service/recall-stream-worker-metrics",
                        "Service/recall-restore-worker-metrics",
                        "Deployment/recall-coordinator",
                        "Deployment/recall-stream-worker",
                        "Deployment/recall-restore-worker",
                        "Ingress/recall-coordinator",
                        "PodDisruptionBudget/recall-coordinator",
                        "PodDisruptionBudget/recall-stream-worker",
                        "PodDisruptionBudget/recall-restore-worker",
                        "HorizontalPodAutoscaler/recall-stream-worker",
                        "HorizontalPodAutoscaler/recall-restore-worker",
                        "ServiceMonitor/recall");
        Gson gson = new Gson();
        for (Map<String, Object> doc : all.documents()) {
            JsonElement json = gson.toJsonTree(doc);
            String kind = (String) doc.get("kind");
            String id = kind + "/" + metadata(doc).get("name");
            switch (kind) {
                case "Deployment" -> V1Deployment.validateJsonElement(json);
                case "Service" -> V1Service.validateJsonElement(json);
                case "ConfigMap" -> V1ConfigMap.validateJsonElement(json);
                case "Secret" -> V1Secret.validateJsonElement(json);
                case "ServiceAccount" -> V1ServiceAccount.validateJsonElement(json);
                case "PodDisruptionBudget" -> V1PodDisruptionBudget.validateJsonElement(json);
                case "Ingress" -> V1Ingress.validateJsonElement(json);
                case "HorizontalPodAutoscaler" -> V2HorizontalPodAutoscaler.validateJsonElement(json);
                case "ServiceMonitor" -> {
                    // a CRD: no model here, check its shape by hand
                    assertThat(doc.get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
                    Map<?, ?> spec = (Map<?, ?>) doc.get("spec");
                    Map<?, ?> endpoint = (Map<?, ?>) ((List<?>) spec.get("endpoints")).getFirst();
                    assertThat(endpoint.get("port")).isEqualTo("http");
                    assertThat(endpoint.get("path")).isEqualTo("/actuator/prometheus");
                }
                default -> throw new AssertionError("unexpected " + id);
            }
            assertThat(metadata(doc).get("labels")).as(id + " labels").isInstanceOf(Map.class);
            String expectedApi = switch (kind) {
                case "Deployment" -> "apps/v1";
                case "PodDisruptionBudget" -> "policy/v1";
                case "Ingress" -> "networking.k8s.io/v1";
                case "HorizontalPodAutoscaler" -> "autoscaling/v2";
                case "ServiceMonitor" -> "monitoring.coreos.com/v1";
                default -> "v1";
            };
            assertThat(doc.get("apiVersion")).as(id + " apiVersion").isEqualTo(expectedApi);
        }
        // The validator really rejects what the API server would not accept.
        Map<String, Object> broken = all.get("Deployment", "recall-coordinator");
        spec(broken).put("replica", 1);
        assertThatThrownBy(() -> V1Deployment.validateJsonElement(gson.toJsonTree(broken)))
                .hasMessageContaining("replica");
    }

    @Test
    void deploysEachRoleWithItsReplicasProbesResourcesAndSecurity() {
        Manifests m = render(minimal);
        assertThat(replicas(m, "coordinator")).isEqualTo(1);
        assertThat(replicas(m, "stream-worker")).isEqualTo(2);
        assertThat(replicas(m, "restore-worker")).isEqualTo(2);

        for (String role : List.of("coordinator", "stream-worker", "restore-worker")) {
            Map<String, Object> deployment = m.get("Deployment", "recall-" + role);
            Map<String, Object> pod = podSpec(deployment);
            Map<String, Object> container = container(deployment);
            String dockerfile = "docker/Dockerfile." + role;
            Dockerfile.Stage image =
                    Dockerfile.parse(Repository.read(dockerfile)).runtime();

            assertThat(container.get("image")).isEqualTo("recall/" + role + ":0.1.0-SNAPSHOT");
            int port = (Integer) ((Map<?, ?>) ((List<?>) container.get("ports")).getFirst()).get("containerPort");
            assertThat(((Map<?, ?>) ((List<?>) container.get("ports")).getFirst()).get("name"))
                    .isEqualTo("http");
            assertThat(image.exposes).as(role + ": the image's port").containsExactly(String.valueOf(port));

            String live = "/actuator/health/liveness";
            String ready = "/actuator/health/readiness";
            assertThat(probe(container, "livenessProbe"))
                    .containsEntry("path", live)
                    .containsEntry("port", "http");
            assertThat(probe(container, "readinessProbe"))
                    .containsEntry("path", ready)
                    .containsEntry("port", "http");
            assertThat(probe(container, "startupProbe")).containsEntry("port", "http");

            Map<?, ?> resources = (Map<?, ?>) container.get("resources");
            assertThat(map(resources.get("requests"))).containsKeys("cpu", "memory");
            assertThat(map(resources.get("limits"))).containsKey("memory");

            Map<?, ?> podSecurity = (Map<?, ?>) pod.get("securityContext");
            assertThat(podSecurity.get("runAsNonRoot")).isEqualTo(true);
            assertThat(podSecurity.get("runAsUser") + ":" + podSecurity.get("runAsGroup"))
                    .as(role + ": the image's USER")
                    .isEqualTo(image.user);
            Map<?, ?> security = (Map<?, ?>) container.get("securityContext");
            assertThat(security.get("readOnlyRootFilesystem")).isEqualTo(true);
            assertThat(security.get("allowPrivilegeEscalation")).isEqualTo(false);
            assertThat(list(((Map<?, ?>) security.get("capabilities")).get("drop")))
                    .containsExactly("ALL");
            assertThat(list(container.get("volumeMounts"))).contains(Map.of("name", "tmp", "mountPath", "/tmp"));
            assertThat(pod.get("automountServiceAccountToken")).isEqualTo(false);
            assertThat(pod.get("serviceAccountName")).isEqualTo("recall");

            Map<?, ?> selector = (Map<?, ?>) ((Map<?, ?>) spec(deployment).get("selector")).get("matchLabels");
            assertThat(podLabels(deployment)).containsAllEntriesOf(cast(selector));
            Map<String, Object> pdb = m.get("PodDisruptionBudget", "recall-" + role);
            assertThat(spec(pdb).get("maxUnavailable")).isEqualTo(1);
            assertThat(((Map<?, ?>) spec(pdb).get("selector")).get("matchLabels"))
                    .isEqualTo(selector);
        }
    }

    @Test
    void theGrafanaDashboardShipsOnlyWhenEnabledWithTheSidecarsLabel() throws IOException {
        assertThat(render(minimal).names()).doesNotContain("ConfigMap/recall-grafana-dashboard");

        Map<String, Object> cm =
                render(minimal, "grafana.dashboard.enabled=true").get("ConfigMap", "recall-grafana-dashboard");
        assertThat(map(metadata(cm).get("labels"))).containsEntry("grafana_dashboard", "1");
        assertThat(metadata(cm)).doesNotContainKey("annotations");
        String json = (String) map(cm.get("data")).get("recall.json");
        assertThat(JsonParser.parseString(json))
                .isEqualTo(JsonParser.parseString(Files.readString(chart.resolve("dashboards/recall.json"))));

        Map<String, Object> custom = render(
                        minimal,
                        "grafana.dashboard.enabled=true",
                        "grafana.dashboard.label=dashboards",
                        "grafana.dashboard.labelValue=recall",
                        "grafana.dashboard.annotations.grafana_folder=Recall")
                .get("ConfigMap", "recall-grafana-dashboard");
        assertThat(map(metadata(custom).get("labels")))
                .containsEntry("dashboards", "recall")
                .doesNotContainKey("grafana_dashboard");
        assertThat(map(metadata(custom).get("annotations"))).containsEntry("grafana_folder", "Recall");
    }

    @Test
    void theCoordinatorServiceAndIngressReachItsPort() {
        Manifests m = render(minimal, "coordinator.ingress.enabled=true");
        Map<String, Object> service = m.get("Service", "recall-coordinator");
        Map<?, ?> port = (Map<?, ?>) ((List<?>) spec(service).get("ports")).getFirst();
        assertThat(port.get("targetPort")).isEqualTo("http");
        assertThat(podLabels(m.get("Deployment", "recall-coordinator")))
                .containsAllEntriesOf(cast((Map<?, ?>) spec(service).get("selector")));
        Map<?, ?> rule = (Map<?, ?>)
                ((List<?>) spec(m.get("Ingress", "recall-coordinator")).get("rules")).getFirst();
        Map<?, ?> path = (Map<?, ?>) ((List<?>) ((Map<?, ?>) rule.get("http")).get("paths")).getFirst();
        Map<?, ?> backend = (Map<?, ?>) ((Map<?, ?>) path.get("backend")).get("service");
        assertThat(backend.get("name")).isEqualTo("recall-coordinator");
        assertThat(((Map<?, ?>) backend.get("port")).get("number")).isEqualTo(port.get("port"));
        assertThat(m.names()).noneMatch(n -> n.startsWith("HorizontalPodAutoscaler") || n.startsWith("ServiceMonitor"));
    }

    @Test
    void autoscaledWorkersLeaveTheirReplicasToTheHpa() {
        Manifests m =
                render(minimal, "streamWorker.autoscaling.enabled=true", "streamWorker.autoscaling.maxReplicas=9");
        assertThat(spec(m.get("Deployment", "recall-stream-worker"))).doesNotContainKey("replicas");
        assertThat(replicas(m, "restore-worker")).isEqualTo(2);
        Map<String, Object> hpa = spec(m.get("HorizontalPodAutoscaler", "recall-stream-worker"));
        assertThat(map(hpa.get("scaleTargetRef")))
                .containsEntry("kind", "Deployment")
                .containsEntry("name", "recall-stream-worker");
        assertThat(hpa).containsEntry("minReplicas", 2).containsEntry("maxReplicas", 9);
        assertThat(m.all("HorizontalPodAutoscaler")).hasSize(1);
    }

    @Test
    void everyReferencedConfigMapAndSecretKeyExists() {
        Manifests m = render(minimal);
        Map<String, Map<String, String>> configMaps = configMaps(m);
        Map<String, Map<String, String>> secrets = secrets(m);
        for (Map<String, Object> deployment : m.all("Deployment")) {
            resolveEnv(container(deployment), configMaps, secrets, true);
        }
    }

    @Test
    void eachRolesEnvironmentConfiguresItsService() {
        Manifests m = render(minimal);
        Map<String, Map<String, String>> configMaps = configMaps(m);
        Map<String, Map<String, String>> secrets = secrets(m);

        var coordinator = RecallServices.coordinator(RecallServices.withImageDefaults(
                "docker/Dockerfile.coordinator",
                resolveEnv(container(m.get("Deployment", "recall-coordinator")), configMaps, secrets, false)));
        RecallProperties p = coordinator.properties;
        assertThat(coordinator.property("spring.datasource.url"))
                .isEqualTo("jdbc:postgresql://recall-metadata.databases.svc:5432/recall");
        assertThat(coordinator.property("spring.datasource.username")).isEqualTo("recall");
        assertThat(coordinator.property("spring.datasource.password")).isEqualTo("metadata-password-for-tests");
        assertThat(coordinator.property("spring.kafka.bootstrap-servers"))
                .isEqualTo("kafka-0.kafka-headless.kafka.svc:9092,kafka-1.kafka-headless.kafka.svc:9092");
        assertThat(coordinator.property("server.port")).isEqualTo("8080");
        assertThat(p.secrets().activeKeyId()).isEqualTo("k1");
        assertThat(p.security().bootstrapAdminToken()).hasSize(48);
        assertThat(p.topics().replicationFactor()).isEqualTo((short) 3);

        var worker = RecallServices.streamWorker(RecallServices.withImageDefaults(
                "docker/Dockerfile.stream-worker",
                resolveEnv(container(m.get("Deployment", "recall-stream-worker")), configMaps, secrets, false)));
        WorkerProperties.Storage storage = worker.properties.storage();
        assertThat(storage.bucket()).isEqualTo("recall-backups");
        assertThat(storage.endpoint()).as("AWS S3: no endpoint override").isNull();
        assertThat(storage.accessKey()).as("AWS default credentials chain").isNull();
        assertThat(storage.region()).isEqualTo("us-east-1");
        assertThat(worker.property("server.port")).isEqualTo("8081");
        assertThat(worker.properties.topics().replicationFactor()).isEqualTo((short) 3);
        assertThat(worker.properties.secrets().keys())
                .as("the coordinator's keyring")
                .isEqualTo(p.secrets().keys());

        Map<String, String> restore =
                resolveEnv(container(m.get("Deployment", "recall-restore-worker")), configMaps, secrets, false);
        var restoreWorker = RecallServices.restoreWorker(
                RecallServices.withImageDefaults("docker/Dockerfile.restore-worker", restore));
        assertThat(restoreWorker.property("server.port")).isEqualTo("8082");
        assertThat(restoreWorker.property("spring.kafka.bootstrap-servers"))
                .isEqualTo(coordinator.property("spring.kafka.bootstrap-servers"));
        assertThat(restore)
                .containsEntry("RECALL_SECRETS_KEYS_K1", p.secrets().keys().get("k1"))
                .containsEntry("RECALL_STORAGE_BUCKET", "recall-backups");
    }

    @Test
    void s3CompatibleStorageWithStaticKeysAndATopicPrefix() {
        Manifests m = render(
                minimal,
                "storage.endpoint=http://minio.storage.svc:9000",
                "storage.pathStyle=true",
                "storage.prefix=prod/",
                "storage.accessKey=recall",
                "storage.secretKey=s3-secret-value",
                "kafka.topicPrefix=prod.recall.",
                "kafka.topicReplicationFactor=1");
        var worker = RecallServices.streamWorker(RecallServices.withImageDefaults(
                "docker/Dockerfile.stream-worker",
                resolveEnv(container(m.get("Deployment", "recall-stream-worker")), configMaps(m), secrets(m), false)));
        WorkerProperties.Storage storage = worker.properties.storage();
        assertThat(storage.endpoint()).hasToString("http://minio.storage.svc:9000");
        assertThat(storage.pathStyle()).isTrue();
        assertThat(storage.prefix()).isEqualTo("prod/");
        assertThat(storage.accessKey()).isEqualTo("recall");
        assertThat(storage.secretKey()).isEqualTo("s3-secret-value");
        assertThat(worker.properties.topics().sources()).isEqualTo("prod.recall.sources");
        assertThat(worker.properties.topics().replicationFactor()).isEqualTo((short) 1);
    }

    @Test
    void keyRotationGivesEveryRoleTheWholeKeyring() {
        String k2 = Base64.getEncoder().encodeToString(new byte[32]);
        Manifests m = render(
                minimal,
                "secrets.keyIds[0]=k1",
                "secrets.keyIds[1]=k2",
                "secrets.activeKeyId=k2",
                "secrets.keys.k2=" + k2);
        assertThat(decoded(m).get("secrets-key-k2")).isEqualTo(k2);
        var coordinator = RecallServices.coordinator(RecallServices.withImageDefaults(
                "docker/Dockerfile.coordinator",
                resolveEnv(container(m.get("Deployment", "recall-coordinator")), configMaps(m), secrets(m), false)));
        assertThat(coordinator.properties.secrets().keys()).containsOnlyKeys("k1", "k2");
        assertThat(coordinator.properties.secrets().activeKeyId()).isEqualTo("k2");
        for (String role : List.of("stream-worker", "restore-worker")) {
            assertThat(envNames(container(m.get("Deployment", "recall-" + role))))
                    .contains("RECALL_SECRETS_KEYS_K1", "RECALL_SECRETS_KEYS_K2");
        }
    }

    @Test
    void generatedSecretsAreFreshOnInstallAndKeptOnUpgrade() {
        Map<String, String> first = decoded(render(minimal));
        assertThat(Base64.getDecoder().decode(first.get("secrets-key-k1"))).hasSize(32);
        assertThat(first.get("admin-token")).hasSize(48).matches("[A-Za-z0-9]+");
        assertThat(first.get("metadata-password")).isEqualTo("metadata-password-for-tests");
        assertThat(decoded(render(minimal)).get("secrets-key-k1"))
                .as("no Secret in the cluster: a new key")
                .isNotEqualTo(first.get("secrets-key-k1"));

        // an upgrade: the Secret exists in the cluster, and Helm's lookup reads it back
        Base64.Encoder b64 = Base64.getEncoder();
        String key = b64.encodeToString("k".repeat(32).getBytes(StandardCharsets.UTF_8));
        kubernetes.putSecret(
                "recall-secrets",
                Map.of(
                        "secrets-key-k1", b64.encodeToString(key.getBytes(StandardCharsets.UTF_8)),
                        "admin-token", b64.encodeToString("t".repeat(48).getBytes(StandardCharsets.UTF_8)),
                        "metadata-password", b64.encodeToString("old".getBytes(StandardCharsets.UTF_8))));
        Manifests upgrade = render(minimal, "metadata.password=rotated-password");
        Map<String, String> kept = decoded(upgrade);
        assertThat(kept.get("secrets-key-k1")).isEqualTo(key);
        assertThat(kept.get("admin-token")).isEqualTo("t".repeat(48));
        assertThat(kept.get("metadata-password")).as("from values, not kept").isEqualTo("rotated-password");
        assertThat(metadata(upgrade.get("Secret", "recall-secrets")).get("annotations"))
                .isEqualTo(Map.of("helm.sh/resource-policy", "keep"));
    }

    @Test
    void anExistingSecretReplacesTheChartsSecret() {
        Manifests m = render(
                minimal,
                "metadata.password=",
                "secrets.existingSecret=recall-managed",
                "secrets.keyIds[0]=k7",
                "secrets.activeKeyId=k7");
        assertThat(m.all("Secret")).isEmpty();
        List<String> expectedKeys =
                List.of("metadata-password", "admin-token", "secrets-key-k7", "s3-access-key", "s3-secret-key");
        for (Map<String, Object> deployment : m.all("Deployment")) {
            assertThat(map(podTemplateMetadata(deployment).get("annotations"))).doesNotContainKey("checksum/secret");
            for (Object e : (List<?>) container(deployment).get("env")) {
                Map<?, ?> ref = secretRef((Map<?, ?>) e);
                if (ref != null) {
                    assertThat(ref.get("name")).isEqualTo("recall-managed");
                    assertThat(expectedKeys).contains((String) ref.get("key"));
                }
            }
        }
        assertThat(envNames(container(m.get("Deployment", "recall-coordinator"))))
                .contains("RECALL_METADATA_PASSWORD", "RECALL_SECURITY_BOOTSTRAPADMINTOKEN", "RECALL_SECRETS_KEYS_K7");
    }

    @Test
    void aReleaseNameOfItsOwnPrefixesEveryObject() {
        Manifests m = render("prod", minimal);
        assertThat(m.names()).allMatch(n -> n.substring(n.indexOf('/') + 1).startsWith("prod-recall"));
        assertThat(secretRef((Map<?, ?>) envEntry(
                                container(m.get("Deployment", "prod-recall-coordinator")), "RECALL_METADATA_PASSWORD"))
                        .get("name"))
                .isEqualTo("prod-recall-secrets");
    }

    @Test
    void notesTellHowToReachTheApiAndReadTheToken() {
        String output = new Helm(chart)
                .install()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION)
                .withValuesFile(minimal)
                .clientOnly()
                .dryRun()
                .withDryRunOption(DryRun.CLIENT)
                .call()
                .getOutput();
        assertThat(output)
                .contains("NOTES:")
                .contains("kubectl -n recall port-forward svc/recall-coordinator 8080:8080")
                .contains("kubectl -n recall get secret recall-secrets -o jsonpath='{.data.admin-token}' | base64 -d")
                .contains("stream-worker   2 replica(s)")
                .contains("restore-worker  2 replica(s)");
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    private static Map<String, Object> metadata(Map<String, Object> doc) {
        return cast((Map<?, ?>) doc.get("metadata"));
    }

    private static Map<String, Object> spec(Map<String, Object> doc) {
        return cast((Map<?, ?>) doc.get("spec"));
    }

    private static Map<String, Object> podTemplateMetadata(Map<String, Object> deployment) {
        return cast((Map<?, ?>) ((Map<?, ?>) spec(deployment).get("template")).get("metadata"));
    }

    private static Map<String, Object> podSpec(Map<String, Object> deployment) {
        return cast((Map<?, ?>) ((Map<?, ?>) spec(deployment).get("template")).get("spec"));
    }

    private static Map<String, Object> podLabels(Map<String, Object> deployment) {
        return cast((Map<?, ?>) podTemplateMetadata(deployment).get("labels"));
    }

    private static Map<String, Object> container(Map<String, Object> deployment) {
        List<?> containers = (List<?>) podSpec(deployment).get("containers");
        assertThat(containers).hasSize(1);
        return cast((Map<?, ?>) containers.getFirst());
    }

    private static Object replicas(Manifests m, String role) {
        return spec(m.get("Deployment", "recall-" + role)).get("replicas");
    }

    private static Map<String, Object> probe(Map<String, Object> container, String kind) {
        Map<?, ?> probe = (Map<?, ?>) container.get(kind);
        assertThat(probe).as(kind).isNotNull();
        return cast((Map<?, ?>) probe.get("httpGet"));
    }

    private static List<String> envNames(Map<String, Object> container) {
        return ((List<?>) container.get("env"))
                .stream().map(e -> (String) ((Map<?, ?>) e).get("name")).toList();
    }

    private static Object envEntry(Map<String, Object> container, String name) {
        return ((List<?>) container.get("env"))
                .stream()
                        .filter(e -> name.equals(((Map<?, ?>) e).get("name")))
                        .findFirst()
                        .orElseThrow();
    }

    private static Map<?, ?> secretRef(Map<?, ?> envEntry) {
        Map<?, ?> from = (Map<?, ?>) envEntry.get("valueFrom");
        return from == null ? null : (Map<?, ?>) from.get("secretKeyRef");
    }

    private static Map<String, Map<String, String>> configMaps(Manifests m) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (Map<String, Object> cm : m.all("ConfigMap")) {
            Map<String, String> data = new LinkedHashMap<>();
            ((Map<?, ?>) cm.get("data")).forEach((k, v) -> data.put((String) k, String.valueOf(v)));
            out.put((String) metadata(cm).get("name"), data);
        }
        return out;
    }

    private static Map<String, Map<String, String>> secrets(Manifests m) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (Map<String, Object> secret : m.all("Secret")) {
            Map<String, String> data = new LinkedHashMap<>();
            ((Map<?, ?>) secret.get("data"))
                    .forEach((k, v) -> data.put(
                            (String) k, new String(Base64.getDecoder().decode((String) v), StandardCharsets.UTF_8)));
            out.put((String) metadata(secret).get("name"), data);
        }
        return out;
    }

    private static Map<String, String> decoded(Manifests m) {
        return secrets(m).get("recall-secrets");
    }

    /**
     * A container's environment as the kubelet builds it: envFrom first, then env (which wins); every reference must
     * name a rendered ConfigMap or Secret and a key in it, unless marked optional.
     */
    private static Map<String, String> resolveEnv(
            Map<String, Object> container,
            Map<String, Map<String, String>> configMaps,
            Map<String, Map<String, String>> secrets,
            boolean strictOptional) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Object from : (List<?>) container.getOrDefault("envFrom", List.of())) {
            Map<?, ?> ref = (Map<?, ?>) ((Map<?, ?>) from).get("configMapRef");
            assertThat(ref).as("envFrom uses configMapRef").isNotNull();
            Map<String, String> data = configMaps.get((String) ref.get("name"));
            assertThat(data).as("ConfigMap " + ref.get("name")).isNotNull();
            env.putAll(data);
        }
        for (Object raw : (List<?>) container.get("env")) {
            Map<?, ?> e = (Map<?, ?>) raw;
            String name = (String) e.get("name");
            if (e.containsKey("value")) {
                env.put(name, String.valueOf(e.get("value")));
                continue;
            }
            Map<?, ?> from = (Map<?, ?>) e.get("valueFrom");
            Map<?, ?> ref;
            Map<String, Map<String, String>> store;
            if (from.containsKey("secretKeyRef")) {
                ref = (Map<?, ?>) from.get("secretKeyRef");
                store = secrets;
            } else {
                ref = (Map<?, ?>) from.get("configMapKeyRef");
                store = configMaps;
            }
            assertThat(ref).as(name + ": reference").isNotNull();
            Map<String, String> data = store.get((String) ref.get("name"));
            assertThat(data).as(name + ": refers to " + ref.get("name")).isNotNull();
            String value = data.get((String) ref.get("key"));
            if (value == null) {
                assertThat(ref.get("optional"))
                        .as(name + ": key " + ref.get("key") + " missing and not optional")
                        .isEqualTo(true);
                if (strictOptional) {
                    assertThat(ref.get("key")).as(name).isIn("s3-access-key", "s3-secret-key");
                }
                continue;
            }
            env.put(name, value);
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
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
