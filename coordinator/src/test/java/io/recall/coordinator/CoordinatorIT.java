package io.recall.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.common.crypto.SecretCipher;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageSettings;
import io.recall.testsupport.KafkaBroker;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import io.recall.testsupport.S3Endpoint;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the coordinator's integration tests: the real application on a random port, its metadata in a database of
 * the shared PostgreSQL 15 cluster, the JVM's shared Kafka broker, storage in a bucket of the JVM's S3Proxy endpoint
 * (under a deployment prefix), auth on, a bootstrap admin token. Subclasses share one Spring context. Schedules run
 * fast (the reconciler every second, schedules every half second), retention waits for a test to run it, on a
 * {@link TestClock}, and DELETE waits 6 s for a busy slot.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(TestClock.Config.class)
abstract class CoordinatorIT {

    static final String ADMIN_TOKEN = "test-admin-token-" + "0123456789abcdef0123456789abcdef";
    static final PostgresCluster PG = PostgresCluster.shared(PgVersion.SYSTEM);
    static final String METADATA_DB = PG.createDatabase("recall_meta");
    static final String SECRETS_KEY = SecretCipher.generateKey();
    static final KafkaBroker KAFKA = KafkaBroker.shared();
    static final String SOURCES_TOPIC = "recall.sources";
    static final String CATALOG_TOPIC = "recall.catalog";
    static final java.time.Duration SLOT_RELEASE_TIMEOUT = java.time.Duration.ofSeconds(6);
    static final S3Endpoint S3 = S3Endpoint.shared();
    static final StorageSettings STORAGE = storageSettings();
    /** The coordinator's storage, as the workers (and the tests, in their place) write to it. */
    static final BlobStore STORE = BlobStores.open(STORAGE);

    private static final AtomicInteger REGISTERED = new AtomicInteger();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        coordinatorProperties().forEach((name, value) -> r.add(name, () -> value));
    }

    /** What every coordinator of these tests runs with: the shared context, and any other a test starts. */
    static Map<String, String> coordinatorProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("spring.datasource.url", PG.jdbcUrl(METADATA_DB));
        p.put("spring.datasource.username", PG.superuser());
        p.put("spring.datasource.password", PG.superuserPassword());
        p.put("recall.secrets.keys.k1", SECRETS_KEY);
        p.put("recall.secrets.active-key-id", "k1");
        p.put("recall.security.bootstrap-admin-token", ADMIN_TOKEN);
        p.put("spring.kafka.bootstrap-servers", KAFKA.bootstrapServers());
        p.put("recall.desired-state.reconcile-interval", "1s");
        p.put("recall.desired-state.slot-release-timeout", SLOT_RELEASE_TIMEOUT.toSeconds() + "s");
        p.put("recall.schedules.check-interval", "500ms");
        p.put("recall.retention.interval", "1h");
        p.put("recall.storage.type", "s3");
        p.put("recall.storage.bucket", STORAGE.bucket());
        p.put("recall.storage.prefix", STORAGE.prefix());
        p.put("recall.storage.endpoint", STORAGE.endpoint().toString());
        p.put("recall.storage.region", STORAGE.region());
        p.put("recall.storage.path-style", "true");
        p.put("recall.storage.access-key", STORAGE.accessKey());
        p.put("recall.storage.secret-key", STORAGE.secretKey());
        return p;
    }

    private static StorageSettings storageSettings() {
        String bucket = "coordinator-it";
        S3.createBucket(bucket);
        return StorageSettings.s3(bucket)
                .prefix("deployment-a")
                .endpoint(S3.endpoint())
                .region(S3.region())
                .pathStyle(true)
                .credentials(S3.accessKey(), S3.secretKey())
                .build();
    }

    Api admin() {
        return new Api(port, ADMIN_TOKEN);
    }

    /**
     * Registers a source (a fresh database with one table) through the API and returns its id.
     *
     * @param extra more fields of the request, as name-value pairs
     */
    String registerSource(String prefix, Object... extra) {
        SourceRegistrationIT.SourceDb src = SourceRegistrationIT.sourceDb(PG, "CREATE TABLE t (id int PRIMARY KEY)");
        Api.Response r = admin().post(
                        "/api/v1/sources",
                        SourceRegistrationIT.body(prefix + "-" + REGISTERED.incrementAndGet(), src.uri(), extra));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    /** Runs a query on the metadata database; each row as a list of its column values. */
    static List<List<Object>> query(String sql) {
        try (Connection c = PG.connect(METADATA_DB);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            List<List<Object>> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Runs statements on the metadata database. */
    static void execute(String... statements) {
        PG.execute(METADATA_DB, statements);
    }
}
