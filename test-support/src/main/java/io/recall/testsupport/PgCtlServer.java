package io.recall.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a server from an installed PostgreSQL ({@code initdb} and {@code pg_ctl} in {@code binDirectory}).
 *
 * <p>PostgreSQL refuses to run as root, so as root every command runs as the operating-system user
 * {@code postgres} through {@code runuser}, in a directory tree handed to that user. Not thread-safe.
 */
final class PgCtlServer implements PostgresServer {

    private static final String SERVER_USER = "postgres";
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);

    private final Path binDirectory;
    private final Path baseDirectory;
    private final Path dataDirectory;
    private final Path socketDirectory;
    private final Path logFile;
    private final int port;
    private final String superuserPassword;
    private final Map<String, String> settings;
    private final List<String> runAsServerUser;
    private boolean initialised;

    PgCtlServer(
            Path binDirectory, Path baseDirectory, int port, String superuserPassword, Map<String, String> settings) {
        this.binDirectory = binDirectory;
        this.baseDirectory = baseDirectory;
        this.dataDirectory = baseDirectory.resolve("data");
        this.socketDirectory = baseDirectory.resolve("socket");
        this.logFile = baseDirectory.resolve("server.log");
        this.port = port;
        this.superuserPassword = superuserPassword;
        this.settings = settings;
        this.runAsServerUser = isRoot() ? List.of("runuser", "-u", SERVER_USER, "--") : List.of();
    }

    @Override
    public void start() {
        if (!initialised) {
            initdb();
            initialised = true;
        }
        try {
            pgCtl("-D", dataDirectory.toString(), "-l", logFile.toString(), "-w", "-t", "120", "start");
        } catch (RuntimeException e) {
            PostgresFiles.awaitPostmasterExit(dataDirectory, Duration.ZERO);
            throw new IllegalStateException("PostgreSQL did not start; server log:\n" + logTail(), e);
        }
    }

    @Override
    public void stop() {
        if (!Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            return;
        }
        try {
            pgCtl("-D", dataDirectory.toString(), "-m", "fast", "-w", "-t", "120", "stop");
        } finally {
            PostgresFiles.awaitPostmasterExit(dataDirectory, Duration.ofSeconds(10));
        }
    }

    @Override
    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public String description() {
        return "installed PostgreSQL in " + binDirectory + " (server log " + logFile + ")";
    }

    private void initdb() {
        Path passwordFile = baseDirectory.resolve("superuser-password");
        try {
            Files.createDirectories(socketDirectory);
            Files.writeString(passwordFile, superuserPassword + "\n", StandardCharsets.UTF_8);
            if (!runAsServerUser.isEmpty()) {
                PostgresFiles.chown(baseDirectory, SERVER_USER);
                PostgresFiles.chown(socketDirectory, SERVER_USER);
                PostgresFiles.chown(passwordFile, SERVER_USER);
            }
            run(
                    binDirectory.resolve("initdb").toString(),
                    "-D",
                    dataDirectory.toString(),
                    "-U",
                    PostgresCluster.SUPERUSER,
                    "--pwfile=" + passwordFile,
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not prepare " + baseDirectory, e);
        } finally {
            try {
                Files.deleteIfExists(passwordFile);
            } catch (IOException ignored) {
                // The whole base directory is deleted when the cluster closes.
            }
        }
        PostgresFiles.writeHba(dataDirectory);
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.put("port", Integer.toString(port));
        all.put("unix_socket_directories", socketDirectory.toString());
        PostgresFiles.appendSettings(dataDirectory, all);
    }

    private void pgCtl(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(binDirectory.resolve("pg_ctl").toString());
        command.addAll(List.of(arguments));
        run(command.toArray(String[]::new));
    }

    private void run(String... command) {
        List<String> full = new ArrayList<>(runAsServerUser);
        full.addAll(List.of(command));
        // The server user may not be allowed into the caller's working directory; initdb would complain.
        Commands.run(full, baseDirectory, COMMAND_TIMEOUT);
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no server log at " + logFile + ")";
        }
    }

    private static boolean isRoot() {
        return ProcessHandle.current().info().user().map("root"::equals).orElse(false);
    }
}
