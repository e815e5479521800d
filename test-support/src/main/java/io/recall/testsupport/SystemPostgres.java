package io.recall.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The PostgreSQL server installed on this machine, as {@code pg_config} describes it. */
record SystemPostgres(int major, Path binDirectory) {

    private static final Pattern VERSION = Pattern.compile("PostgreSQL (\\d+)");

    private static final class Holder {
        // Detected once per JVM: the installation does not change while tests run.
        static final Optional<SystemPostgres> DETECTED = probe();
    }

    static Optional<SystemPostgres> detect() {
        return Holder.DETECTED;
    }

    static SystemPostgres require() {
        return detect().orElseThrow(() -> new IllegalStateException(
                "No PostgreSQL server installation found: pg_config is not on the PATH or its bindir has no"
                        + " initdb/pg_ctl"));
    }

    private static Optional<SystemPostgres> probe() {
        try {
            String version = Commands.run(List.of("pg_config", "--version"), Duration.ofSeconds(30))
                    .strip();
            String bindir = Commands.run(List.of("pg_config", "--bindir"), Duration.ofSeconds(30))
                    .strip();
            Matcher matcher = VERSION.matcher(version);
            Path binDirectory = Path.of(bindir);
            if (!matcher.find()
                    || !Files.isExecutable(binDirectory.resolve("initdb"))
                    || !Files.isExecutable(binDirectory.resolve("pg_ctl"))) {
                return Optional.empty();
            }
            return Optional.of(new SystemPostgres(Integer.parseInt(matcher.group(1)), binDirectory));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
