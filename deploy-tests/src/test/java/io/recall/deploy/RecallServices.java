package io.recall.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.recall.common.crypto.SecretCipher;
import io.recall.common.storage.StorageSettings;
import io.recall.coordinator.config.RecallProperties;
import io.recall.restore.config.RestoreWorkerProperties;
import io.recall.worker.config.WorkerProperties;
import io.recall.worker.config.WorkerStorage;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks that an environment makes a working coordinator or stream worker, with the services' own configuration
 * classes. The image's ENV (the Dockerfile) lies beneath the deployment's environment, as in a container.
 */
final class RecallServices {

    private RecallServices() {}

    static Map<String, String> withImageDefaults(String dockerfile, Map<String, String> env) {
        Map<String, String> merged = new LinkedHashMap<>(
                Dockerfile.parse(Repository.read(dockerfile)).runtime().env);
        merged.putAll(env);
        return merged;
    }

    /** The coordinator's settings from {@code env}; asserts what every deployment of it needs. */
    static ServiceSettings<RecallProperties> coordinator(Map<String, String> env) {
        ServiceSettings<RecallProperties> s = ServiceSettings.bind(RecallProperties.class, env);
        assertThat(s.violations).as("constraint violations").isEmpty();
        assertThat(s.unreadVariables)
                .as("variables the coordinator does not read")
                .isEmpty();
        assertThat(s.property("server.address")).as("server.address").isEqualTo("0.0.0.0");
        assertThat(s.property("server.port")).as("server.port").matches("\\d+");
        assertThat(s.property("spring.datasource.url"))
                .as("spring.datasource.url")
                .startsWith("jdbc:postgresql://");
        assertThat(s.property("spring.datasource.password"))
                .as("spring.datasource.password")
                .isNotBlank();
        assertThat(s.property("spring.kafka.bootstrap-servers"))
                .as("spring.kafka.bootstrap-servers")
                .doesNotContain("127.0.0.1");
        assertThat(RecallProperties.secretsProblem(s.properties.secrets()))
                .as("keyring")
                .isNull();
        assertThatCode(() -> new SecretCipher(
                        s.properties.secrets().keys(), s.properties.secrets().activeKeyId()))
                .as("keyring opens")
                .doesNotThrowAnyException();
        assertThat(s.properties.security().authEnabled())
                .as("API authentication")
                .isTrue();
        assertThat(s.properties.tools().binDir()).as("recall.tools.bin-dir").isNotNull();
        return s;
    }

    /** The stream worker's settings from {@code env}; asserts what every deployment of it needs. */
    static ServiceSettings<WorkerProperties> streamWorker(Map<String, String> env) {
        ServiceSettings<WorkerProperties> s = worker(WorkerProperties.class, env, "stream worker");
        assertThatCode(() -> new SecretCipher(
                        s.properties.secrets().keys(), s.properties.secrets().activeKeyId()))
                .as("keyring opens")
                .doesNotThrowAnyException();
        assertThat(WorkerStorage.settings(s.properties).type())
                .as("storage type")
                .isEqualTo(StorageSettings.Type.S3);
        assertThat(s.properties.tools().binDir()).as("recall.tools.bin-dir").isNotNull();
        return s;
    }

    /** The restore worker's settings from a deployment's environment, checked as the stream worker's are. */
    static ServiceSettings<RestoreWorkerProperties> restoreWorker(Map<String, String> env) {
        ServiceSettings<RestoreWorkerProperties> s = worker(RestoreWorkerProperties.class, env, "restore worker");
        assertThat(s.properties.secrets().cipherOrNull())
                .as("keyring opens (REST jobs carry sealed connection strings)")
                .isNotNull();
        assertThat(s.properties.storage().toSettings().type())
                .as("storage type")
                .isEqualTo(StorageSettings.Type.S3);
        assertThat(s.properties.tools().binDir()).as("recall.tools.bin-dir").isNotNull();
        return s;
    }

    /** What every worker deployment needs: valid settings, every variable read, listening beyond loopback, a broker. */
    private static <T> ServiceSettings<T> worker(Class<T> type, Map<String, String> env, String role) {
        ServiceSettings<T> s = ServiceSettings.bind(type, env);
        assertThat(s.violations).as("constraint violations").isEmpty();
        assertThat(s.unreadVariables)
                .as("variables the " + role + " does not read")
                .isEmpty();
        assertThat(s.property("server.address")).as("server.address").isEqualTo("0.0.0.0");
        assertThat(s.property("server.port")).as("server.port").matches("\\d+");
        assertThat(s.property("spring.kafka.bootstrap-servers"))
                .as("spring.kafka.bootstrap-servers")
                .doesNotContain("127.0.0.1");
        return s;
    }
}
