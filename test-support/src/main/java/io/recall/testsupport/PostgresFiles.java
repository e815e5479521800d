package io.recall.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** File-level chores shared by the ways of running a server. Stateless and thread-safe. */
final class PostgresFiles {

    /**
     * Password authentication for every connection, including physical ({@code replication}) and logical
     * ({@code replication=database}, matched by the database lines) replication connections. The server listens
     * on 127.0.0.1 only.
     */
    static final String PG_HBA = """
            # Written by io.recall.testsupport.PostgresCluster: password authentication everywhere.
            # TYPE  DATABASE     USER  ADDRESS        METHOD
            local   all          all                  scram-sha-256
            local   replication  all                  scram-sha-256
            host    all          all   127.0.0.1/32   scram-sha-256
            host    replication  all   127.0.0.1/32   scram-sha-256
            """;

    private PostgresFiles() {}

    static void writeHba(Path dataDirectory) {
        try {
            // Overwrites in place, so the file keeps the owner initdb gave it.
            Files.writeString(
                    dataDirectory.resolve("pg_hba.conf"),
                    PG_HBA,
                    StandardCharsets.UTF_8,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write pg_hba.conf in " + dataDirectory, e);
        }
    }

    /** Appends {@code settings} to postgresql.conf; later lines win, so they override initdb's values. */
    static void appendSettings(Path dataDirectory, Map<String, String> settings) {
        StringBuilder text = new StringBuilder("\n# Settings of io.recall.testsupport.PostgresCluster\n");
        settings.forEach((key, value) ->
                text.append(key).append(" = '").append(value.replace("'", "''")).append("'\n"));
        try {
            Files.writeString(
                    dataDirectory.resolve("postgresql.conf"),
                    text,
                    StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not append to postgresql.conf in " + dataDirectory, e);
        }
    }

    /** Hands {@code path} to the operating-system user and group {@code name}. */
    static void chown(Path path, String name) {
        try {
            UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
            UserPrincipal user = lookup.lookupPrincipalByName(name);
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(name);
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            view.setOwner(user);
            view.setGroup(group);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not hand " + path + " to user " + name, e);
        }
    }

    /**
     * Waits for the postmaster recorded in {@code postmaster.pid} to exit; kills it after {@code grace}. Used after a
     * stop request whose own wait may have given up, and after a failed start, so no server outlives its cluster.
     */
    static void awaitPostmasterExit(Path dataDirectory, Duration grace) {
        Optional<ProcessHandle> postmaster = postmaster(dataDirectory);
        if (postmaster.isEmpty()) {
            return;
        }
        ProcessHandle process = postmaster.get();
        long deadline = System.nanoTime() + grace.toNanos();
        while (process.isAlive() && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(50));
        }
        if (process.isAlive()) {
            process.destroyForcibly();
            long killDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (process.isAlive() && System.nanoTime() < killDeadline) {
                sleep(Duration.ofMillis(50));
            }
        }
    }

    private static Optional<ProcessHandle> postmaster(Path dataDirectory) {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        try {
            if (!Files.isRegularFile(pidFile)) {
                return Optional.empty();
            }
            String firstLine = Files.readAllLines(pidFile, StandardCharsets.UTF_8).stream()
                    .findFirst()
                    .orElse("")
                    .strip();
            if (firstLine.isEmpty()) {
                return Optional.empty();
            }
            return ProcessHandle.of(Long.parseLong(firstLine));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete " + root, e);
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
