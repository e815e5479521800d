package io.recall.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;

class PostgresClusterIT {

    private final PostgresCluster cluster = PostgresCluster.shared(PgVersion.SYSTEM);

    @Test
    void systemClusterRunsTheInstalledMajorWithLogicalWal() throws SQLException {
        assertThat(cluster.host()).isEqualTo("127.0.0.1");
        assertThat(cluster.superuser()).isEqualTo("postgres");
        assertThat(cluster.majorVersion()).isEqualTo(PgVersion.SYSTEM.major());
        assertThat(query(cluster, "postgres", "SHOW server_version_num"))
                .startsWith(Integer.toString(PgVersion.SYSTEM.major()));
        assertThat(query(cluster, "postgres", "SHOW wal_level")).isEqualTo("logical");
        assertThat(query(cluster, "postgres", "SHOW max_replication_slots")).isEqualTo("40");
        assertThat(query(cluster, "postgres", "SHOW password_encryption")).isEqualTo("scram-sha-256");
        assertThat(Files.isDirectory(cluster.dataDirectory().resolve("base"))).isTrue();
        assertThat(PostgresCluster.shared(PgVersion.V15)).isSameAs(cluster);
    }

    @Test
    void wrongPasswordIsRejected() {
        Properties properties = new Properties();
        properties.setProperty("user", cluster.superuser());
        properties.setProperty("password", cluster.superuserPassword() + "x");

        assertThatThrownBy(() -> DriverManager.getConnection(cluster.jdbcUrl("postgres"), properties)
                        .close())
                .isInstanceOfSatisfying(
                        SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    void replicationConnectionWithWrongPasswordIsRejected() {
        Properties properties = replicationProperties(cluster.superuser(), "not-the-password");

        assertThatThrownBy(() -> DriverManager.getConnection(cluster.jdbcUrl("postgres"), properties)
                        .close())
                .isInstanceOfSatisfying(
                        SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    void replicationRoleCreatesLogicalSlotOverReplicationConnection() throws SQLException {
        String database = cluster.createDatabase("slots");
        String role = "recall_replicator_" + uniqueSuffix();
        cluster.createRole(role, "s3cret'pw", "LOGIN REPLICATION");
        String slot = "recall_slot_" + uniqueSuffix();

        try (Connection replication =
                DriverManager.getConnection(cluster.jdbcUrl(database), replicationProperties(role, "s3cret'pw"))) {
            replication
                    .unwrap(PGConnection.class)
                    .getReplicationAPI()
                    .createReplicationSlot()
                    .logical()
                    .withSlotName(slot)
                    .withOutputPlugin("pgoutput")
                    .make();
        }

        assertThat(query(
                        cluster,
                        "postgres",
                        "SELECT plugin || '/' || database FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
                .isEqualTo("pgoutput/" + database);
        cluster.execute("postgres", "SELECT pg_drop_replication_slot('" + slot + "')");
    }

    @Test
    void createDatabaseReturnsFreshNames() throws SQLException {
        String first = cluster.createDatabase("fresh");
        String second = cluster.createDatabase("fresh");

        assertThat(first).startsWith("fresh_").isNotEqualTo(second);
        assertThat(query(
                        cluster,
                        "postgres",
                        "SELECT count(*) FROM pg_database WHERE datname IN ('" + first + "', '" + second + "')"))
                .isEqualTo("2");
        assertThatThrownBy(() -> cluster.createDatabase("Bad-Prefix")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void connectionUriEncodesCredentialsForLibpq() {
        String suffix = uniqueSuffix();
        String user = "recall uri " + suffix;
        String password = "p@ss:w/rd %?#é'";
        cluster.createRole(user, password, "LOGIN");
        String uri = cluster.connectionUri(user, password, "postgres");

        assertThat(uri)
                .isEqualTo("postgresql://recall%20uri%20" + suffix + ":p%40ss%3Aw%2Frd%20%25%3F%23%C3%A9%27@127.0.0.1:"
                        + cluster.port() + "/postgres");
        Path psql = SystemPostgres.require().binDirectory().resolve("psql");
        String output = Commands.run(
                List.of(psql.toString(), uri, "-X", "-tA", "-c", "SELECT current_user || '|' || current_database()"),
                Duration.ofSeconds(30));
        assertThat(output.strip()).isEqualTo(user + "|postgres");
    }

    @Test
    void ownClusterTakesSettingsSurvivesRestartAndIsDeletedOnClose() throws SQLException {
        Path dataDirectory;
        try (PostgresCluster own = PostgresCluster.start(PgVersion.SYSTEM, Map.of("wal_level", "replica"))) {
            dataDirectory = own.dataDirectory();
            int port = own.port();
            assertThat(port).isNotEqualTo(cluster.port());
            assertThat(query(own, "postgres", "SHOW wal_level")).isEqualTo("replica");
            own.execute("postgres", "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (42)");

            own.restart();

            assertThat(own.port()).isEqualTo(port);
            assertThat(query(own, "postgres", "SELECT id FROM kept")).isEqualTo("42");

            own.stop();
            assertThat(own.isRunning()).isFalse();
            assertThatThrownBy(() -> own.connect("postgres").close())
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08001"));

            own.restart();
            assertThat(query(own, "postgres", "SELECT id FROM kept")).isEqualTo("42");
        }
        assertThat(dataDirectory).doesNotExist();
    }

    @Test
    void managedSettingsAreRefusedAndSharedClusterCannotBeClosed() {
        assertThatThrownBy(() -> PostgresCluster.start(PgVersion.SYSTEM, Map.of("port", "5432")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port");
        assertThatThrownBy(cluster::close).isInstanceOf(IllegalStateException.class);
    }

    private static String uniqueSuffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static Properties replicationProperties(String user, String password) {
        Properties properties = new Properties();
        PGProperty.USER.set(properties, user);
        PGProperty.PASSWORD.set(properties, password);
        PGProperty.REPLICATION.set(properties, "database");
        PGProperty.PREFER_QUERY_MODE.set(properties, "simple");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(properties, "10");
        return properties;
    }

    static String query(PostgresCluster cluster, String database, String sql) throws SQLException {
        try (Connection connection = cluster.connect(database);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            assertThat(result.next()).as("a row from %s", sql).isTrue();
            return result.getString(1);
        }
    }
}
