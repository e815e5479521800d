package io.recall.restore.config;

import io.recall.common.pg.ClientTools;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.restore.base.BaseRestorer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;

/** The restore worker's shared beans: clock, storage, client tools, base restorer, topics. */
@Configuration(proxyBeanMethods = false)
class RestoreWorkerConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    ClientTools clientTools(RestoreWorkerProperties properties) {
        return new ClientTools(properties.tools().binDir());
    }

    @Bean(destroyMethod = "close")
    BlobStore blobStore(RestoreWorkerProperties properties) {
        return BlobStores.open(properties.storage().toSettings());
    }

    @Bean
    BaseRestorer baseRestorer(BlobStore store, ClientTools tools, RestoreWorkerProperties properties) {
        var r = properties.restore();
        return new BaseRestorer(store, tools, r.workDir().resolve("base"), r.pgRestoreJobs());
    }

    /**
     * Recall's topics, created when missing by Spring Kafka's admin client (the same definitions everywhere), and the
     * sinks' control topic this worker writes seal requests to.
     */
    @Bean
    KafkaAdmin.NewTopics recallTopics(RestoreWorkerProperties p) {
        List<NewTopic> topics = new ArrayList<>(p.topics().definitions());
        topics.add(p.topics().sinkControlDefinition());
        return new KafkaAdmin.NewTopics(topics.toArray(NewTopic[]::new));
    }
}
