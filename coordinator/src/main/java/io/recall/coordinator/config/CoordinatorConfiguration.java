package io.recall.coordinator.config;

import io.recall.common.crypto.SecretCipher;
import io.recall.common.pg.ClientTools;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class CoordinatorConfiguration {

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
