package io.recall.cli;

import io.recall.testsupport.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Recall standalone started in the test JVM: every role, state under a data directory of the test's, the API on a
 * free loopback port.
 *
 * <p>{@code StandaloneMain.start(String...)} is package-private, and when this module's tests compile after
 * standalone is packaged, the reactor hands them standalone's repackaged jar, whose classes a compiler cannot see: so
 * the method is looked up by name and called reflectively, and the result used only as an {@link AutoCloseable}.
 */
final class StandaloneRecall implements AutoCloseable {

    private final AutoCloseable standalone;
    private final Path dataDirectory;
    private final int port;

    private StandaloneRecall(AutoCloseable standalone, Path dataDirectory, int port) {
        this.standalone = standalone;
        this.dataDirectory = dataDirectory;
        this.port = port;
    }

    static StandaloneRecall start(Path dataDirectory, String... extraArguments) {
        int port = FreePorts.next();
        List<String> arguments = new ArrayList<>();
        arguments.add("--recall.data-dir=" + dataDirectory);
        arguments.add("--server.port=" + port);
        arguments.addAll(List.of(extraArguments));
        try {
            Method start =
                    Class.forName("io.recall.standalone.StandaloneMain").getDeclaredMethod("start", String[].class);
            start.setAccessible(true);
            Object started = start.invoke(null, (Object) arguments.toArray(String[]::new));
            return new StandaloneRecall((AutoCloseable) started, dataDirectory, port);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("Recall standalone did not start", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("StandaloneMain.start(String...) is not on the test class path", e);
        }
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The admin token its first start wrote to {@code <data>/admin-token}. */
    String adminToken() {
        try {
            return Files.readString(dataDirectory.resolve("admin-token")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        standalone.close();
    }
}
