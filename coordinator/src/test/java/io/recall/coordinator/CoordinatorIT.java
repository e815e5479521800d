package io.recall.coordinator;

import io.recall.common.crypto.SecretCipher;
import io.recall.testsupport.KafkaBroker;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the coordinator's integration tests: the real application on a random port, its metadata in a database of
 * the shared PostgreSQL 15 cluster, the JVM's shared Kafka broker, auth on, a bootstrap admin token. Subclasses share
 * one Spring context. Schedules run fast (the reconciler every second) and DELETE waits 6 s for a busy slot.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class CoordinatorIT {

    static final String ADMIN_TOKEN = "test-admin-token-" + "0123456789abcdef0123456789abcdef";
    static final PostgresCluster PG = PostgresCluster.shared(PgVersion.SYSTEM);
    static final String METADATA_DB = PG.createDatabase("recall_meta");
    static final String SECRETS_KEY = SecretCipher.generateKey();
    static final KafkaBroker KAFKA = KafkaBroker.shared();
    static final String SOURCES_TOPIC = "recall.sources";
    static final String CATALOG_TOPIC = "recall.catalog";
    static final java.time.Duration SLOT_RELEASE_TIMEOUT = java.time.Duration.ofSeconds(6);

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("spring.datasource.url", () -> PG.jdbcUrl(METADATA_DB));
        r.add("spring.datasource.username", PG::superuser);
        r.add("spring.datasource.password", PG::superuserPassword);
        r.add("recall.secrets.keys.k1", () -> SECRETS_KEY);
        r.add("recall.secrets.active-key-id", () -> "k1");
        r.add("recall.security.bootstrap-admin-token", () -> ADMIN_TOKEN);
        r.add("spring.kafka.bootstrap-servers", KAFKA::bootstrapServers);
        r.add("recall.desired-state.reconcile-interval", () -> "1s");
        r.add("recall.desired-state.slot-release-timeout", () -> SLOT_RELEASE_TIMEOUT.toSeconds() + "s");
    }

    Api admin() {
        return new Api(port, ADMIN_TOKEN);
    }
}
