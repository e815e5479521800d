package io.recall.coordinator.config;

import io.recall.common.crypto.SecretCipher;
import io.recall.common.pg.ClientTools;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class CoordinatorConfiguration {

    /** The time periodic duties (schedules, retention) go by; tests put a fake one in its place. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /**
     * The workers' blob store ({@code recall.storage.*}): read to rebuild the catalog, written for gap markers, and
     * deleted from by retention and purges.
     */
    @Bean(destroyMethod = "close")
    BlobStore blobStore(RecallProperties properties) {
        return BlobStores.open(properties.storage().toSettings());
    }

    @Bean
    ClientTools clientTools(RecallProperties properties) {
        return new ClientTools(properties.tools().binDir());
    }

    @Bean
    SecretCipher secretCipher(RecallProperties properties) {
        String problem = RecallProperties.secretsProblem(properties.secrets());
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        return new SecretCipher(
                properties.secrets().keys(), properties.secrets().activeKeyId());
    }
}
