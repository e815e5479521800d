package io.recall.testsupport;

import static io.recall.testsupport.PostgresClusterIT.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The packaged (zonky) servers: one per major that the machine does not have installed. */
class PostgresVersionsIT {

    @ParameterizedTest
    @EnumSource(
            value = PgVersion.class,
            names = {"V13", "V14", "V16", "V17"})
    void packagedServerRunsItsMajorWithLogicalWalAndPasswords(PgVersion version) throws SQLException {
        PostgresCluster cluster = PostgresCluster.shared(version);

        assertThat(cluster.majorVersion()).isEqualTo(version.major());
        int versionNum = Integer.parseInt(query(cluster, "postgres", "SHOW server_version_num"));
        assertThat(versionNum / 10000).isEqualTo(version.major());
        assertThat(query(cluster, "postgres", "SHOW wal_level")).isEqualTo("logical");
        assertThat(query(cluster, "postgres", "SHOW listen_addresses")).isEqualTo("127.0.0.1");
        assertThat(query(cluster, "postgres", "SHOW synchronous_commit")).isEqualTo("on");

        assertWrongPasswordRejected(cluster);
        assertThatThrownBy(() -> DriverManager.getConnection(
                                cluster.jdbcUrl("postgres"),
                                PostgresClusterIT.replicationProperties(cluster.superuser(), "wrong"))
                        .close())
                .isInstanceOfSatisfying(
                        SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));

        String database = cluster.createDatabase("slots");
        assertThat(query(
                        cluster,
                        database,
                        "SELECT slot_name FROM pg_create_logical_replication_slot('recall_it', 'pgoutput')"))
                .isEqualTo("recall_it");
        cluster.execute(database, "SELECT pg_drop_replication_slot('recall_it')");
    }

    @Test
    void packagedServerRestartsWithItsDataAndPasswords() throws SQLException {
        try (PostgresCluster own = PostgresCluster.start(PgVersion.V16, Map.of("max_connections", "50"))) {
            own.execute("postgres", "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (7)");
            int port = own.port();

            own.restart();

            assertThat(own.port()).isEqualTo(port);
            assertThat(query(own, "postgres", "SELECT id FROM kept")).isEqualTo("7");
            assertThat(query(own, "postgres", "SHOW max_connections")).isEqualTo("50");
            assertThat(query(own, "postgres", "SHOW wal_level")).isEqualTo("logical");
            assertWrongPasswordRejected(own);
        }
    }

    private static void assertWrongPasswordRejected(PostgresCluster cluster) {
        Properties properties = new Properties();
        properties.setProperty("user", cluster.superuser());
        properties.setProperty("password", "wrong-" + cluster.superuserPassword());
        assertThatThrownBy(() -> DriverManager.getConnection(cluster.jdbcUrl("postgres"), properties)
                        .close())
                .isInstanceOfSatisfying(
                        SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }
}
