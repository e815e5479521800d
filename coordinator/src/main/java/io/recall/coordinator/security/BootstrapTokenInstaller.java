package io.recall.coordinator.security;

import io.recall.coordinator.config.RecallProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/** Installs {@code recall.security.bootstrap-admin-token} (hashed) so a fresh deployment has one admin token. */
@Component
class BootstrapTokenInstaller implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(BootstrapTokenInstaller.class);
    static final String NAME = "bootstrap-admin";

    private final RecallProperties properties;
    private final ApiTokenService tokens;

    BootstrapTokenInstaller(RecallProperties properties, ApiTokenService tokens) {
        this.properties = properties;
        this.tokens = tokens;
    }

    /**
     * Runs once every singleton exists and before the web server opens its port (SmartLifecycle starts it later), so
     * no request, and no client that saw the health endpoint answer, meets the API without its admin token.
     */
    @Override
    public void afterSingletonsInstantiated() {
        String token = properties.security().bootstrapAdminToken();
        if (token != null && !token.isBlank()) {
            tokens.install(NAME, ApiRole.ADMIN, token.strip(), true);
            log.info("bootstrap admin token installed as '{}'", NAME);
        } else if (properties.security().authEnabled() && tokens.list().isEmpty()) {
            log.warn("no API token exists: set recall.security.bootstrap-admin-token to create the first admin token");
        }
    }
}
