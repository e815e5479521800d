package io.recall.common.pg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the local PostgreSQL client tools and their major versions. Order: the configured directory, then
 * {@code PATH}, then the newest {@code /usr/lib/postgresql/<major>/bin}. Thread-safe; versions are cached per path.
 */
public class ClientTools {

    /** A tool found on this host, with its major version. */
    public record Tool(String name, Path path, int major, String version) {}

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(\\.\\d+)?");

    private final Path configuredBinDir;
    private final Map<Path, Tool> cache = new ConcurrentHashMap<>();

    /** @param configuredBinDir where pg_dump and friends live; null to search PATH and the Debian layout */
    public ClientTools(Path configuredBinDir) {
        this.configuredBinDir = configuredBinDir;
    }

    /** The tool, or empty when it is not installed where Recall looks. */
    public Optional<Tool> find(String name) {
        return locate(name).map(p -> cache.computeIfAbsent(p, q -> describe(name, q)));
    }

    /** Where Recall looks, for error messages. */
    public String searchPath() {
        return (configuredBinDir != null ? configuredBinDir + ", " : "") + "PATH, /usr/lib/postgresql/*/bin";
    }

    private Optional<Path> locate(String name) {
        if (configuredBinDir != null) {
            Path p = configuredBinDir.resolve(name);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> majors = Files.list(debian)) {
                return majors.filter(d -> d.getFileName().toString().matches("\\d+"))
                        .sorted(Comparator.comparingInt((Path d) ->
                                        Integer.parseInt(d.getFileName().toString()))
                                .reversed())
                        .map(d -> d.resolve("bin").resolve(name))
                        .filter(Files::isExecutable)
                        .findFirst();
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static Tool describe(String name, Path path) {
        try {
            Process p = new ProcessBuilder(path.toString(), "--version")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(path + " --version did not finish");
            }
            Matcher m = VERSION.matcher(out);
            if (!m.find()) {
                throw new IllegalStateException(path + " --version printed no PostgreSQL version: " + out);
            }
            return new Tool(name, path, Integer.parseInt(m.group(1)), out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + path, e);
        }
    }
}
