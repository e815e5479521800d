package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How much memory one stream worker needs to hold many mostly idle sources: 200 sources, each with its slot,
 * replication connection and virtual thread, in a worker JVM of its own (-Xmx256m); its resident set size is read
 * from /proc and printed. The benchmark suite (benchmarks/) calls {@link #measure}. Goal: under 512 MiB. Run with {@code ./mvnw -Pbenchmarks verify -pl stream-worker -am
 * -Dit.test=IdleSourcesMemoryBenchmark}; the source count can be changed with {@code -Drecall.bench.sources=N}.
 */
public class IdleSourcesMemoryBenchmark {

    /**
     * What one run measured.
     *
     * @param secondsToStream from the first registration until every source reported streaming
     * @param rssKiB the worker's resident set after the sources sat idle ({@code VmRSS})
     * @param peakKiB the worker's peak resident set ({@code VmHWM}), base backups of 200 sources included
     */
    public record Result(int sources, long secondsToStream, long rssKiB, long peakKiB, String workerJvmOptions) {}

    /** The worker's JVM options: a small heap and the serial collector, as a dense deployment would run it. */
    static final List<String> WORKER_JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-Xss512k");

    @Test
    void residentMemoryOfAWorkerHoldingManyIdleSources() throws Exception {
        Result r = measure(Integer.getInteger("recall.bench.sources", 200));
        System.out.printf(
                "%n[benchmark] stream worker holding %d sources (%d s to stream all): RSS %.1f MiB, peak %.1f MiB"
                        + " (%s); goal < 512 MiB%n%n",
                r.sources(), r.secondsToStream(), r.rssKiB() / 1024.0, r.peakKiB() / 1024.0, r.workerJvmOptions());
        assertThat(r.rssKiB()).isPositive();
    }

    /**
     * Starts a cluster of its own and a worker JVM, registers {@code sources} sources with one small table each,
     * waits until all stream, writes a little to ten of them, lets them sit idle for 20 s and reads the worker's
     * memory from /proc.
     */
    public static Result measure(int sources) throws Exception {
        return measure(sources, System.getProperty("java.class.path"));
    }

    /** {@link #measure(int)} with the worker JVM on {@code classpath}. */
    public static Result measure(int sources, String classpath) throws Exception {
        try (PostgresCluster pg = PostgresCluster.start(
                        PgVersion.SYSTEM,
                        Map.of(
                                "max_connections", Integer.toString(2 * sources + 50),
                                "max_wal_senders", Integer.toString(sources + 20),
                                "max_replication_slots", Integer.toString(sources + 20),
                                "shared_buffers", "256MB"));
                CaptureHarness h = new CaptureHarness()) {
            Path log = Files.createTempFile("recall-bench-worker", ".log");
            Process worker =
                    h.startWorkerProcess("bench-worker", log, classpath, WORKER_JVM_OPTIONS.toArray(String[]::new));
            List<CaptureHarness.Source> all = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < sources; i++) {
                CaptureHarness.Source s = h.createSource(pg, "CREATE TABLE t (id int PRIMARY KEY, v text)");
                h.publish(s, List.of("public.t"), 1, false);
                all.add(s);
            }
            await().atMost(Duration.ofMinutes(15))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> {
                        h.drain();
                        return all.stream()
                                .allMatch(s -> h.catalogBodies(s).stream()
                                        .anyMatch(b -> b instanceof SourceStatusReport st
                                                && st.getState() == CaptureState.STREAMING));
                    });
            long secondsToStream = Duration.ofNanos(System.nanoTime() - started).toSeconds();
            // a little traffic on a few sources, then idle
            for (int i = 0; i < Math.min(10, sources); i++) {
                all.get(i).sql("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g");
            }
            Thread.sleep(20_000);
            if (!worker.isAlive()) {
                throw new IllegalStateException("the worker died; its log: " + log);
            }
            return new Result(
                    sources,
                    secondsToStream,
                    status(worker.pid(), "VmRSS:"),
                    status(worker.pid(), "VmHWM:"),
                    String.join(" ", WORKER_JVM_OPTIONS));
        }
    }

    /** A line of /proc/PID/status, in KiB. */
    public static long status(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + field + " for " + pid);
    }
}
