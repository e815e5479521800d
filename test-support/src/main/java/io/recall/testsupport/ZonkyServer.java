package io.recall.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Runs a server from a zonky PostgreSQL bundle packaged in this library ({@link BundledPostgres}).
 *
 * <p>zonky creates the cluster with trust authentication; the first start therefore sets the superuser's password,
 * replaces pg_hba.conf with password authentication and reloads, before anyone else gets the port. Later starts
 * (after {@link #stop()}) reuse the data directory. As root, zonky itself runs the server in a user namespace
 * ({@code unshare -U}). Not thread-safe.
 */
final class ZonkyServer implements PostgresServer {

    /** Settings zonky always passes on the server's command line, where they beat postgresql.conf. */
    private static final Set<String> COMMAND_LINE_SETTINGS =
            Set.of("timezone", "synchronous_commit", "max_connections");

    private static final Duration STARTUP_WAIT = Duration.ofMinutes(2);

    private final BundledPostgres bundle;
    private final Path dataDirectory;
    private final Path socketDirectory;
    private final int port;
    private final String superuserPassword;
    private final Map<String, String> settings;
    private EmbeddedPostgres running;
    private boolean initialised;

    ZonkyServer(int major, Path baseDirectory, int port, String superuserPassword, Map<String, String> settings) {
        this.bundle = new BundledPostgres(major);
        if (!bundle.available()) {
            throw new IllegalStateException("No packaged PostgreSQL " + major + " server for this platform ("
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        }
        this.dataDirectory = baseDirectory.resolve("data");
        this.socketDirectory = baseDirectory.resolve("socket");
        this.port = port;
        this.superuserPassword = superuserPassword;
        this.settings = settings;
        for (String key : COMMAND_LINE_SETTINGS) {
            String value = settings.get(key);
            if (value != null
                    && (value.isBlank() || value.chars().anyMatch(c -> Character.isWhitespace(c) || c == '\''))) {
                // zonky joins command-line settings with spaces into one shell-parsed string.
                throw new IllegalArgumentException(
                        "Setting " + key + " must be a single word on packaged servers, not '" + value + "'");
            }
        }
    }

    @Override
    public void start() {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPgBinaryResolver(bundle)
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setPort(port)
                .setPGStartupWait(STARTUP_WAIT)
                .setLocaleConfig("locale", "C")
                // Ignored while pg_hba.conf still trusts everyone, needed by zonky's readiness probe afterwards.
                .setConnectConfig("password", superuserPassword);
        for (String key : COMMAND_LINE_SETTINGS) {
            String value = settings.get(key);
            if (value != null) {
                builder.setServerConfig(key, value);
            }
        }
        if (!initialised) {
            builder.setDataDirectoryCustomizer(directory -> configure());
        }
        try {
            Files.createDirectories(socketDirectory);
            running = builder.start();
        } catch (IOException | RuntimeException | ExceptionInInitializerError e) {
            PostgresFiles.awaitPostmasterExit(dataDirectory, Duration.ZERO);
            throw new IllegalStateException("PostgreSQL " + bundle.major() + " did not start", e);
        }
        if (!initialised) {
            requirePasswords();
            initialised = true;
        }
    }

    @Override
    public void stop() {
        EmbeddedPostgres server = running;
        running = null;
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not stop PostgreSQL " + bundle.major(), e);
        } finally {
            // zonky's pg_ctl stop gives up after 5 s (e.g. while a walsender drains); wait for the real exit.
            PostgresFiles.awaitPostmasterExit(dataDirectory, Duration.ofSeconds(60));
        }
    }

    @Override
    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public String description() {
        return "packaged PostgreSQL " + bundle.major() + " (zonky bundle)";
    }

    /** Runs between zonky's initdb and the first start. */
    private void configure() {
        Map<String, String> all = new LinkedHashMap<>(settings);
        COMMAND_LINE_SETTINGS.forEach(all::remove);
        all.put("unix_socket_directories", socketDirectory.toString());
        PostgresFiles.appendSettings(dataDirectory, all);
    }

    private void requirePasswords() {
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        Properties trusted = new Properties();
        trusted.setProperty("user", PostgresCluster.SUPERUSER);
        try (Connection connection = DriverManager.getConnection(url, trusted);
                Statement statement = connection.createStatement()) {
            // password_encryption is scram-sha-256 (set in postgresql.conf), so the stored verifier is SCRAM.
            statement.execute("ALTER ROLE " + PostgresCluster.SUPERUSER + " PASSWORD "
                    + PostgresCluster.quoteLiteral(superuserPassword));
            PostgresFiles.writeHba(dataDirectory);
            statement.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new IllegalStateException("Could not switch PostgreSQL " + bundle.major() + " to passwords", e);
        }
        awaitPasswordsEnforced(url);
    }

    /** The postmaster rereads pg_hba.conf asynchronously after the reload signal; wait until it has. */
    private void awaitPasswordsEnforced(String url) {
        Properties wrong = new Properties();
        wrong.setProperty("user", PostgresCluster.SUPERUSER);
        wrong.setProperty("password", superuserPassword + "-wrong");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection ignored = DriverManager.getConnection(url, wrong)) {
                PostgresFiles.sleep(Duration.ofMillis(50));
            } catch (SQLException e) {
                if ("28P01".equals(e.getSQLState())) {
                    return;
                }
                throw new IllegalStateException("Unexpected failure while checking password authentication", e);
            }
        }
        throw new IllegalStateException("PostgreSQL " + bundle.major() + " still accepts any password after reload");
    }
}
