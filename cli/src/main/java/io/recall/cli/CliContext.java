package io.recall.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the client uses besides the API: its streams, environment and working directory. Tests pass their own;
 * {@link #system()} is the real process.
 *
 * @param stderrIsTerminal the restore progress line is redrawn in place only on a terminal; elsewhere (a log file, a
 *     CI job) it prints plain lines now and then
 */
public record CliContext(
        PrintWriter out,
        PrintWriter err,
        BufferedReader in,
        Map<String, String> env,
        Path workingDirectory,
        boolean stderrIsTerminal) {

    /**
     * Set by the {@code ./recall} launcher from {@code [ -t 2 ]}: the JVM itself cannot tell whether stderr alone is a
     * terminal.
     */
    static final String STDERR_TTY_PROPERTY = "recall.stderr-tty";

    static CliContext system() {
        Charset charset = Charset.defaultCharset();
        return new CliContext(
                new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), charset), true),
                new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), charset), true),
                new BufferedReader(new InputStreamReader(System.in, charset)),
                System.getenv(),
                Path.of("").toAbsolutePath(),
                detectStderrTerminal());
    }

    private static boolean detectStderrTerminal() {
        String told = System.getProperty(STDERR_TTY_PROPERTY);
        if (told != null) {
            return Boolean.parseBoolean(told);
        }
        // Without the launcher: on JDK 21 a console exists only when stdin and stdout are terminals; from JDK 22 it
        // always exists and isTerminal() says so. Neither looks at stderr, hence the launcher's property.
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
