package io.recall.standalone.checker;

import io.recall.restore.RestoreWorkerApplication;
import io.recall.worker.StreamWorkerApplication;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Recall's worker roles as processes of their own, so that the checker can stop one as a crash does: {@code SIGKILL}
 * ({@link Process#destroyForcibly()}), nothing flushed, no slot released, no offset committed, no goodbye to the
 * consumer group. The capture and sink roles of the stream worker run in separate processes, so each can be killed
 * alone.
 *
 * <p>Each start of a role appends to that role's log file in the run's directory; the report names them. Not
 * thread-safe: the checker's thread starts and kills.
 */
final class WorkerProcesses implements AutoCloseable {

    /** A role run in a process of its own. */
    enum Role {
        CAPTURE(StreamWorkerApplication.class, "--recall.sink.enabled=false"),
        SINK(StreamWorkerApplication.class, "--recall.capture.enabled=false"),
        RESTORE(RestoreWorkerApplication.class);

        private final Class<?> application;
        private final List<String> arguments;

        Role(Class<?> application, String... arguments) {
            this.application = application;
            this.arguments = List.of(arguments);
        }
    }

    /**
     * Settings every worker process gets: a dead member leaves its consumer group after 10 s rather than Kafka's
     * default 45 s, so a restarted process takes over sooner (an operator tuning for failover does the same); an
     * ephemeral port for the actuator endpoints.
     */
    private static final List<String> COMMON = List.of(
            "--server.port=0",
            "--spring.kafka.consumer.properties.session.timeout.ms=10000",
            "--spring.kafka.consumer.properties.heartbeat.interval.ms=2000");

    private final Map<Role, List<String>> arguments = new EnumMap<>(Role.class);
    private final Map<Role, Process> running = new EnumMap<>(Role.class);
    private final Map<Role, Integer> starts = new EnumMap<>(Role.class);
    private final Path logs;

    /**
     * @param streamWorker the stream worker's arguments ({@code RecallUnderTest#streamWorkerArguments})
     * @param restoreWorker the restore worker's
     * @param logs where each role's output goes ({@code <role>.log})
     */
    WorkerProcesses(List<String> streamWorker, List<String> restoreWorker, Path logs) {
        arguments.put(Role.CAPTURE, streamWorker);
        arguments.put(Role.SINK, streamWorker);
        arguments.put(Role.RESTORE, restoreWorker);
        this.logs = logs;
    }

    /** Starts the role's process (a new one: its previous one must have been killed). */
    void start(Role role) throws IOException {
        if (running.containsKey(role)) {
            throw new IllegalStateException(role + " runs already");
        }
        int n = starts.merge(role, 1, Integer::sum);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.recall.schemas",
                "-cp",
                System.getProperty("java.class.path"),
                role.application.getName()));
        List<String> own = new ArrayList<>(COMMON);
        own.addAll(role.arguments);
        // one worker id per role and start: what a new pod gets
        own.add("--recall.worker-id=checker-" + role.name().toLowerCase() + "-" + n);
        // a setting given twice would be read as a list: these replace the standalone's
        for (String a : arguments.get(role)) {
            int eq = a.indexOf('=');
            if (eq < 0 || own.stream().noneMatch(o -> o.startsWith(a.substring(0, eq + 1)))) {
                command.add(a);
            }
        }
        command.addAll(own);
        Path log = log(role);
        Files.writeString(
                log,
                "---- start " + n + "\n",
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        running.put(role, p);
    }

    /** Kills the role's process with SIGKILL and waits until it is gone; returns its pid. */
    long kill(Role role) throws InterruptedException {
        Process p = running.remove(role);
        if (p == null) {
            throw new IllegalStateException(role + " does not run");
        }
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(role + " process " + p.pid() + " did not die within 30 s of SIGKILL");
        }
        return p.pid();
    }

    /** Whether every started process still runs; the first one that died on its own is named. */
    String dead() {
        for (Map.Entry<Role, Process> e : running.entrySet()) {
            if (!e.getValue().isAlive()) {
                return e.getKey() + " process " + e.getValue().pid() + " exited with "
                        + e.getValue().exitValue() + " (log: " + log(e.getKey()) + ")";
            }
        }
        return null;
    }

    Path log(Role role) {
        return logs.resolve(role.name().toLowerCase() + ".log");
    }

    /** Stops every process (SIGTERM, then SIGKILL after a grace period). */
    @Override
    public void close() throws InterruptedException {
        for (Process p : running.values()) {
            p.destroy();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (Process p : running.values()) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        running.clear();
    }
}
