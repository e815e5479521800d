package io.recall.coordinator;

import io.recall.common.crypto.SecretCipher;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the coordinator's integration tests: the real application on a random port, its metadata in a database of
 * the shared PostgreSQL 15 cluster, auth on, a bootstrap admin token. Subclasses share one Spring context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class CoordinatorIT {

    static final String ADMIN_TOKEN = "test-admin-token-" + "0123456789abcdef0123456789abcdef";
    static final PostgresCluster PG = PostgresCluster.shared(PgVersion.SYSTEM);
    static final String METADATA_DB = PG.createDatabase("recall_meta");
    static final String SECRETS_KEY = SecretCipher.generateKey();

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
    }

    Api admin() {
        return new Api(port, ADMIN_TOKEN);
    }
}
