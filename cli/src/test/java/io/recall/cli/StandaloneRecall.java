package io.recall.cli;

import io.recall.restore.RestoreWorkerApplication;
import io.recall.testsupport.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Recall standalone started in the test JVM (every role it runs, state under a data directory of the test's, the
 * API and the embedded Kafka on free loopback ports), plus a restore worker beside it, which standalone does not run
 * (yet): it shares standalone's Kafka, storage and secrets key.
 *
 * <p>{@code StandaloneMain.start(String...)} is package-private, and when this module's tests compile after
 * standalone is packaged, the reactor hands them standalone's repackaged jar, whose classes a compiler cannot see: so
 * the method is looked up by name and called reflectively, and the result used only as an {@link AutoCloseable}.
 */
final class StandaloneRecall implements AutoCloseable {

    /** The id under which standalone keeps its generated secrets key ({@code StandaloneHome.SECRETS_KEY_ID}). */
    private static final String SECRETS_KEY_ID = "standalone-1";

    private final AutoCloseable standalone;
    private final Path dataDirectory;
    private final int port;
    private final int kafkaPort;
    private ConfigurableApplicationContext restoreWorker;

    private StandaloneRecall(AutoCloseable standalone, Path dataDirectory, int port, int kafkaPort) {
        this.standalone = standalone;
        this.dataDirectory = dataDirectory;
        this.port = port;
        this.kafkaPort = kafkaPort;
    }

    static StandaloneRecall start(Path dataDirectory, String... extraArguments) {
        int port = FreePorts.next();
        int kafkaPort = FreePorts.next();
        List<String> arguments = new ArrayList<>();
        arguments.add("--recall.data-dir=" + dataDirectory);
        arguments.add("--server.port=" + port);
        arguments.add("--recall.kafka.port=" + kafkaPort);
        arguments.add("--recall.kafka.controller-port=" + FreePorts.next());
        arguments.addAll(List.of(extraArguments));
        try {
            Method start =
                    Class.forName("io.recall.standalone.StandaloneMain").getDeclaredMethod("start", String[].class);
            start.setAccessible(true);
            Object started = start.invoke(null, (Object) arguments.toArray(String[]::new));
            return new StandaloneRecall((AutoCloseable) started, dataDirectory, port, kafkaPort);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("Recall standalone did not start", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("StandaloneMain.start(String...) is not on the test class path", e);
        }
    }

    /**
     * Starts a restore worker on standalone's Kafka, storage and secrets key. Like standalone does for its own roles,
     * it reads its own module's {@code application.yml} (the coordinator's and stream worker's are on the same class
     * path) and gets no DataSource from the coordinator's jars.
     */
    void startRestoreWorker(Path workDirectory) {
        String classFile = RestoreWorkerApplication.class.getName().replace('.', '/') + ".class";
        URL url = RestoreWorkerApplication.class.getClassLoader().getResource(classFile);
        String root = url.toString().substring(0, url.toString().length() - classFile.length());
        restoreWorker = new SpringApplicationBuilder(RestoreWorkerApplication.class)
                .registerShutdownHook(false)
                .run(
                        "--spring.config.location=" + root + "application.yml",
                        "--spring.autoconfigure.exclude=" + DataSourceAutoConfiguration.class.getName(),
                        "--server.port=0",
                        "--spring.kafka.bootstrap-servers=127.0.0.1:" + kafkaPort,
                        "--recall.worker-id=cli-it-restore",
                        "--recall.secrets.keys." + SECRETS_KEY_ID + "=" + read("secrets.key"),
                        "--recall.secrets.active-key-id=" + SECRETS_KEY_ID,
                        "--recall.storage.type=local",
                        "--recall.storage.local-root=" + dataDirectory.resolve("storage"),
                        "--recall.restore.work-dir=" + workDirectory,
                        "--recall.restore.progress-interval=500ms");
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The admin token its first start wrote to {@code <data>/admin-token}. */
    String adminToken() {
        return read("admin-token");
    }

    private String read(String file) {
        try {
            return Files.readString(dataDirectory.resolve(file)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (restoreWorker != null) {
                restoreWorker.close();
            }
        } finally {
            standalone.close();
        }
    }
}
