package io.recall.standalone;

import io.recall.common.pg.SqlIdentifiers;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata database of standalone mode: an embedded PostgreSQL whose data survives restarts (under
 * {@code ./data/metadata}), listening on loopback only, with password authentication switched on at first start.
 */
final class EmbeddedMetadata implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMetadata.class);
    static final String DATABASE = "postgres";
    static final String USER = "postgres";

    private static final String PG_HBA = """
            # Written by Recall standalone: password authentication only, loopback only.
            local   all  all                 scram-sha-256
            host    all  all  127.0.0.1/32   scram-sha-256
            host    all  all  ::1/128        scram-sha-256
            """;

    private final EmbeddedPostgres postgres;
    private final int port;

    private EmbeddedMetadata(EmbeddedPostgres postgres, int port) {
        this.postgres = postgres;
        this.port = port;
    }

    /**
     * @param ownShutdownHook whether the database stops itself when the JVM exits; false when the caller's hook stops
     *     it, after what uses it
     */
    static EmbeddedMetadata start(Path dataDirectory, String password, boolean ownShutdownHook) {
        Path marker = dataDirectory.resolveSibling(dataDirectory.getFileName() + ".initialised");
        int port = freePort();
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(ownShutdownHook)
                    .setPort(port)
                    .setPGStartupWait(Duration.ofMinutes(2))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setLocaleConfig("locale", "C")
                    .setLocaleConfig("encoding", "UTF8")
                    // ignored while a fresh cluster still trusts local connections; needed afterwards
                    .setConnectConfig("password", password)
                    .start();
            if (!Files.exists(marker)) {
                requirePassword(pg, dataDirectory, password);
                Files.writeString(marker, "password authentication on\n", StandardCharsets.UTF_8);
            }
            log.info("metadata database: embedded PostgreSQL on 127.0.0.1:{}, data in {}", port, dataDirectory);
            return new EmbeddedMetadata(pg, port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded metadata database in " + dataDirectory, e);
        }
    }

    private static void requirePassword(EmbeddedPostgres pg, Path dataDirectory, String password) throws IOException {
        try (Connection c = pg.getPostgresDatabase().getConnection();
                Statement st = c.createStatement()) {
            st.execute("ALTER ROLE " + SqlIdentifiers.quote(USER) + " PASSWORD " + SqlIdentifiers.literal(password));
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), PG_HBA, StandardCharsets.UTF_8);
            st.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot switch the metadata database to password authentication", e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for the metadata database", e);
        }
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop the embedded metadata database", e);
        }
    }
}
