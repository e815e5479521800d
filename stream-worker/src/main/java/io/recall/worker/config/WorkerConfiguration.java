package io.recall.worker.config;

import io.recall.common.crypto.SecretCipher;
import io.recall.common.pg.ClientTools;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageProperties;
import io.recall.common.storage.StorageSettings;
import io.recall.worker.backup.BaseBackupTaker;
import java.time.Clock;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;

/** Beans every role of the stream worker shares: secrets, storage, client tools, topics. */
@Configuration(proxyBeanMethods = false)
class WorkerConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    SecretCipher secretCipher(WorkerProperties properties) {
        var s = properties.secrets();
        if (s.keys().isEmpty() || s.activeKeyId() == null || s.activeKeyId().isBlank()) {
            throw new IllegalStateException("recall.secrets.keys and recall.secrets.active-key-id must be the"
                    + " coordinator's keyring: source passwords arrive encrypted with it");
        }
        return new SecretCipher(s.keys(), s.activeKeyId());
    }

    @Bean
    ClientTools clientTools(WorkerProperties properties) {
        return new ClientTools(properties.tools().binDir());
    }

    @Bean(destroyMethod = "close")
    BlobStore blobStore(WorkerProperties properties) {
        return BlobStores.open(storageSettings(properties.storage()));
    }

    /** The shared {@code recall.storage.*} mapping ({@link StorageProperties}) applied to this worker's binding. */
    static StorageSettings storageSettings(WorkerProperties.Storage s) {
        return new StorageProperties(
                        s.type(),
                        s.localRoot(),
                        s.bucket(),
                        s.prefix(),
                        s.endpoint(),
                        s.region(),
                        s.pathStyle(),
                        s.accessKey(),
                        s.secretKey(),
                        s.serverSideEncryption(),
                        s.kmsKeyId(),
                        s.partSizeBytes())
                .toSettings();
    }

    @Bean
    BaseBackupTaker baseBackupTaker(BlobStore store, ClientTools tools, Clock clock, WorkerProperties properties) {
        return new BaseBackupTaker(
                store,
                tools,
                clock,
                properties.capture().maxConcurrentBaseBackups(),
                properties.capture().dumpLockTimeout(),
                properties.capture().dumpCompression());
    }

    /** Recall's topics, created when missing by Spring Kafka's admin client (the same definitions everywhere). */
    @Bean
    KafkaAdmin.NewTopics recallTopics(WorkerProperties p) {
        return new KafkaAdmin.NewTopics(p.topics().definitions().toArray(NewTopic[]::new));
    }
}
