package io.recall.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A throwaway PostgreSQL cluster on a free loopback port, with real password authentication.
 *
 * <p>The cluster lives in a fresh temporary directory, listens on 127.0.0.1 only, and accepts only SCRAM password
 * authentication, for ordinary and replication connections alike (so {@code replication=database} logical
 * replication connections work with the superuser or with any role created with {@code REPLICATION}). Its
 * superuser is {@value #SUPERUSER} with a random password. Default settings: {@code wal_level=logical},
 * {@code max_replication_slots=40}, {@code max_wal_senders=40}, {@code timezone=UTC}, {@code fsync=off} (tests
 * never outlive an operating-system crash; packaged servers force it off anyway), {@code synchronous_commit=on},
 * {@code max_connections=200}; the settings passed to {@link #start} override them. {@code port} and
 * {@code unix_socket_directories} belong to this class and cannot be set.
 *
 * <p>Lifecycle: {@link #start} creates and starts a cluster owned by the caller, who must {@link #close} it (stop
 * plus deletion of all its files). {@link #shared} returns one cluster per version for the whole JVM, started on
 * first use and closed by a JVM shutdown hook; do not {@link #stop} or {@link #restart} a shared cluster (other
 * tests use it), and do not close it ({@link #close} refuses). {@link #stop} and {@link #restart} keep the data
 * directory and the port, for fault injection. Clusters still open when the JVM exits are closed by the same hook.
 *
 * <p>Thread-safe: lifecycle methods are serialised; the query helpers open a new connection per call.
 */
public final class PostgresCluster implements AutoCloseable {

    /** The superuser of every cluster. */
    public static final String SUPERUSER = "postgres";

    private static final String HOST = "127.0.0.1";
    private static final Set<String> MANAGED_SETTINGS = Set.of("port", "unix_socket_directories");
    private static final Pattern DATABASE_PREFIX = Pattern.compile("[a-z_][a-z0-9_]{0,39}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<PgVersion, PostgresCluster> SHARED = new ConcurrentHashMap<>();
    /** Every cluster not yet closed: the shared ones and any a test forgot to close. */
    private static final Set<PostgresCluster> OPEN = ConcurrentHashMap.newKeySet();

    static {
        // Servers are separate processes that would outlive the JVM; stop whatever is still open at exit.
        Runtime.getRuntime().addShutdownHook(new Thread(PostgresCluster::closeOpen, "recall-postgres-shutdown"));
    }

    private final PgVersion version;
    private final Path baseDirectory;
    private final PostgresServer server;
    private final int port;
    private final String superuserPassword;
    private final boolean shared;
    private final AtomicLong databaseCounter = new AtomicLong();
    private int majorVersion;
    private boolean running;
    private boolean closed;

    private PostgresCluster(
            PgVersion version,
            Path baseDirectory,
            PostgresServer server,
            int port,
            String superuserPassword,
            boolean shared) {
        this.version = version;
        this.baseDirectory = baseDirectory;
        this.server = server;
        this.port = port;
        this.superuserPassword = superuserPassword;
        this.shared = shared;
    }

    /**
     * Creates and starts a new cluster, owned by the caller.
     *
     * @param version the server version; {@link PgVersion#SYSTEM} is the installed server
     * @param settings server settings ({@code postgresql.conf} names) that override the defaults
     * @throws IllegalStateException if the server cannot be set up or started
     */
    public static PostgresCluster start(PgVersion version, Map<String, String> settings) {
        return start(version, settings, false);
    }

    /**
     * The JVM-wide cluster for {@code version} with default settings, started on first use and closed when the JVM
     * exits. Versions that run on the same server binaries ({@code SYSTEM} and its numbered twin) share one
     * cluster.
     */
    public static PostgresCluster shared(PgVersion version) {
        Objects.requireNonNull(version, "version");
        PgVersion key = version.usesSystemServer() ? PgVersion.SYSTEM : version;
        return SHARED.computeIfAbsent(key, v -> start(v, Map.of(), true));
    }

    private static PostgresCluster start(PgVersion version, Map<String, String> settings, boolean shared) {
        Objects.requireNonNull(version, "version");
        Map<String, String> merged = mergeSettings(settings);
        int port = FreePorts.next();
        String password = randomPassword();
        Path baseDirectory;
        try {
            baseDirectory = Files.createTempDirectory("recall-pg-");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create a directory for a PostgreSQL cluster", e);
        }
        PostgresCluster cluster = null;
        try {
            PostgresServer server = version.usesSystemServer()
                    ? new PgCtlServer(SystemPostgres.require().binDirectory(), baseDirectory, port, password, merged)
                    : new ZonkyServer(version.major(), baseDirectory, port, password, merged);
            cluster = new PostgresCluster(version, baseDirectory, server, port, password, shared);
            OPEN.add(cluster);
            cluster.startServer();
            return cluster;
        } catch (RuntimeException | Error e) {
            if (cluster != null) {
                cluster.destroy();
            } else {
                PostgresFiles.deleteRecursively(baseDirectory);
            }
            throw e;
        }
    }

    private static Map<String, String> mergeSettings(Map<String, String> settings) {
        Objects.requireNonNull(settings, "settings");
        Map<String, String> merged = new LinkedHashMap<>();
        merged.put("listen_addresses", HOST);
        merged.put("wal_level", "logical");
        merged.put("max_replication_slots", "40");
        merged.put("max_wal_senders", "40");
        merged.put("password_encryption", "scram-sha-256");
        merged.put("timezone", "UTC");
        merged.put("fsync", "off");
        merged.put("synchronous_commit", "on");
        merged.put("max_connections", "200");
        settings.forEach((key, value) -> {
            String name = Objects.requireNonNull(key, "setting name").toLowerCase(Locale.ROOT);
            if (MANAGED_SETTINGS.contains(name)) {
                throw new IllegalArgumentException("Setting " + name + " is managed by PostgresCluster");
            }
            merged.put(name, Objects.requireNonNull(value, () -> "value of setting " + name));
        });
        return merged;
    }

    /** Always {@code 127.0.0.1}. */
    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    /** Always {@value #SUPERUSER}. */
    public String superuser() {
        return SUPERUSER;
    }

    public String superuserPassword() {
        return superuserPassword;
    }

    /** The version asked for (for a shared cluster, {@link PgVersion#SYSTEM} when it runs on the installed server). */
    public PgVersion version() {
        return version;
    }

    /** The running server's major version ({@code server_version_num / 10000}). */
    public synchronized int majorVersion() {
        return majorVersion;
    }

    /** A pgjdbc URL for {@code database}, without credentials. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + percentEncode(requireName(database, "database"));
    }

    /**
     * A libpq connection URI ({@code postgresql://user:password@127.0.0.1:port/database}), with user, password and
     * database percent-encoded. {@code password} may be {@code null} to leave it out.
     */
    public String connectionUri(String user, String password, String database) {
        StringBuilder uri = new StringBuilder("postgresql://").append(percentEncode(requireName(user, "user")));
        if (password != null) {
            uri.append(':').append(percentEncode(password));
        }
        return uri.append('@')
                .append(HOST)
                .append(':')
                .append(port)
                .append('/')
                .append(percentEncode(requireName(database, "database")))
                .toString();
    }

    /** A new connection to {@code database} as the superuser; the caller closes it. */
    public Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", SUPERUSER);
        properties.setProperty("password", superuserPassword);
        return DriverManager.getConnection(jdbcUrl(database), properties);
    }

    /**
     * Runs each statement in order, as the superuser, in autocommit mode, on one connection.
     *
     * @throws IllegalStateException wrapping the {@link SQLException} (with its SQLSTATE) of the failing statement
     */
    public void execute(String database, String... sql) {
        try (Connection connection = connect(database);
                Statement statement = connection.createStatement()) {
            for (String each : sql) {
                try {
                    statement.execute(each);
                } catch (SQLException e) {
                    throw new IllegalStateException(
                            "Statement failed (SQLSTATE " + e.getSQLState() + ") on " + database + ": " + each, e);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not connect to database " + database + " on port " + port, e);
        }
    }

    /**
     * Creates a database named {@code prefix} plus a unique suffix and returns the name.
     *
     * @param prefix lower-case letters, digits and underscores, starting with a letter or underscore, at most 40
     */
    public String createDatabase(String prefix) {
        if (prefix == null || !DATABASE_PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("Database prefix must match " + DATABASE_PREFIX + ": " + prefix);
        }
        String name = prefix + "_" + databaseCounter.incrementAndGet();
        execute("postgres", "CREATE DATABASE " + quoteIdentifier(name));
        return name;
    }

    /**
     * Creates a role with a password.
     *
     * @param attributes role options as in {@code CREATE ROLE}, e.g. {@code "LOGIN REPLICATION"}; may be empty
     */
    public void createRole(String name, String password, String attributes) {
        requireName(name, "role name");
        Objects.requireNonNull(password, "password");
        String options = attributes == null ? "" : attributes.strip();
        execute(
                "postgres",
                "CREATE ROLE " + quoteIdentifier(name) + " WITH " + options + " PASSWORD " + quoteLiteral(password));
    }

    /** The data directory (PGDATA). */
    public Path dataDirectory() {
        return server.dataDirectory();
    }

    /** Whether the server is running (it is after {@link #start} and {@link #restart}, not after {@link #stop}). */
    public synchronized boolean isRunning() {
        return running;
    }

    /** Stops the server (fast shutdown: connections are cut, the checkpoint is written); no-op if stopped. */
    public synchronized void stop() {
        requireOpen();
        if (running) {
            running = false;
            server.stop();
        }
    }

    /** Stops the server if it runs and starts it again on the same port and data directory. */
    public synchronized void restart() {
        stop();
        startServer();
    }

    /**
     * Stops the server and deletes all its files.
     *
     * @throws IllegalStateException for a {@link #shared} cluster, which the JVM shutdown hook closes
     */
    @Override
    public void close() {
        if (shared) {
            throw new IllegalStateException("Shared clusters are closed when the JVM exits, not by tests");
        }
        destroy();
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + version + " on " + HOST + ":" + port + ", " + server.description() + "]";
    }

    private synchronized void startServer() {
        requireOpen();
        server.start();
        running = true;
        try (Connection connection = connect("postgres");
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SHOW server_version_num")) {
            result.next();
            majorVersion = Integer.parseInt(result.getString(1)) / 10000;
        } catch (SQLException e) {
            throw new IllegalStateException("Started " + this + " but cannot log in as " + SUPERUSER, e);
        }
    }

    private synchronized void destroy() {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.remove(this);
        running = false;
        try {
            // Also after a failed start, which may have left a server behind.
            server.stop();
        } finally {
            PostgresFiles.awaitPostmasterExit(server.dataDirectory(), Duration.ofSeconds(10));
            PostgresFiles.deleteRecursively(baseDirectory);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private static void closeOpen() {
        for (PostgresCluster cluster : List.copyOf(OPEN)) {
            try {
                cluster.destroy();
            } catch (RuntimeException e) {
                System.err.println("Could not close " + cluster + ": " + e);
            }
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String requireName(String value, String what) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        return value;
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters, as libpq and pgjdbc both decode it. */
    static String percentEncode(String value) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '.'
                    || c == '_'
                    || c == '~') {
                encoded.append(c);
            } else {
                encoded.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return encoded.toString();
    }

    static String quoteIdentifier(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    static String quoteLiteral(String literal) {
        return "'" + literal.replace("'", "''") + "'";
    }
}
