package io.recall.benchmarks;

import io.recall.testsupport.PgVersion;
import io.recall.worker.capture.IdleSourcesMemoryBenchmark;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Issue 9's benchmark suite: capture, replay, storage and RPO figures of Recall beside their peers, each measured on
 * this machine in this run, written as a Markdown table (and JSON) to {@code target/benchmarks/}. Runs only in the
 * {@code benchmarks} profile; the README's Benchmarks section has the one command and the latest table.
 *
 * <p>Per workload (see {@link Workload}): its tables and initial data; {@code bench.repetitions} Recall sources
 * registered one after the other with an in-JVM worker (each takes its base backup: the backup figure); then a slot
 * per repetition for each peer, all at the same point; then the backlog. Every consumer then drains the same backlog
 * from its own slot: see {@link WorkloadRun}. Last, 200 idle sources in a worker of their own.
 */
class BenchmarkSuite {

    @Test
    void run() throws Exception {
        Settings settings = Settings.fromSystemProperties();
        Results results = new Results();
        Instant started = Instant.now();
        String loadBefore = loadAverage();
        String pgVersion;
        try (Fixture f = new Fixture(settings)) {
            pgVersion = "PostgreSQL " + f.pg.majorVersion() + " (" + PgVersion.SYSTEM + " server, fsync off)";
            for (Workload w : Workload.all(settings.scale())) {
                if (!settings.runs(w)) {
                    continue;
                }
                new WorkloadRun(f, settings, w, results).run();
            }
        }
        if (settings.runs("idle")) {
            idleSources(settings, results);
        }
        Duration took = Duration.between(started, Instant.now()).truncatedTo(ChronoUnit.SECONDS);
        List<String> env = new ArrayList<>();
        env.add("date: " + started.truncatedTo(ChronoUnit.SECONDS) + ", whole run " + took.toMinutesPart() + " min "
                + took.toSecondsPart() + " s");
        env.add("machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpuModel() + "), " + memory()
                + "; load average before " + loadBefore + ", after " + loadAverage());
        env.add("JVM: " + System.getProperty("java.vm.name") + " " + Runtime.version() + "; suite JVM (Kafka broker,"
                + " replay, in-JVM setup worker) -Xmx" + Runtime.getRuntime().maxMemory() / (1 << 20) + "m; capture"
                + " worker and Debezium engine each in a JVM of its own with -Xmx" + settings.workerHeap()
                + " and the default collector (G1)"
                + (settings.workerAot()
                        ? "; the capture worker with its image's"
                                + " AOT cache (JDK 25, trained once per run by docker/recall-aot-train)"
                        : ""));
        env.add(pgVersion + "; Kafka: one in-JVM KRaft broker (spring-kafka-test), 4 partitions per topic");
        env.add("repetitions: " + settings.repetitions() + " (idle sources: " + settings.idleRepetitions() + "), scale "
                + settings.scale());
        results.note("Ratios are Recall's run i over the peer's run i, then median, min and max over the pairs; a"
                + " goal is judged on the median ratio (or Recall's median where there is no peer).");
        results.write(
                settings.output(),
                "Benchmarks (" + started.truncatedTo(ChronoUnit.DAYS).toString().substring(0, 10) + ")",
                env,
                COMMAND);
    }

    static final String COMMAND = "./mvnw -B verify -Pbenchmarks -pl benchmarks -am -Dit.test=BenchmarkSuite"
            + " -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false";

    private static void idleSources(Settings settings, Results results) throws Exception {
        List<Double> rss = new ArrayList<>();
        List<Double> peak = new ArrayList<>();
        String options = "";
        long secondsToStream = 0;
        for (int i = 0; i < settings.idleRepetitions(); i++) {
            IdleSourcesMemoryBenchmark.Result r = IdleSourcesMemoryBenchmark.measure(
                    settings.idleSources(),
                    Files.readString(settings.workerClasspath()).strip());
            rss.add(r.rssKiB() / 1024.0);
            peak.add(r.peakKiB() / 1024.0);
            options = r.workerJvmOptions();
            secondsToStream = r.secondsToStream();
        }
        results.add(new Results.Figure(
                "stream-worker RSS with " + settings.idleSources() + " idle sources",
                "one small table each",
                "%.0f MiB",
                rss,
                null,
                List.of(),
                Results.Goal.atMost(512, "< 512 MiB"),
                String.format(
                        Locale.ROOT,
                        "worker %s; peak RSS %.0f MiB (base backups of all sources); %d s until all streamed",
                        options,
                        Results.median(peak),
                        secondsToStream)));
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (Exception e) {
            return "?";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst()
                    .orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }

    private static String memory() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return String.format(Locale.ROOT, "%.1f GiB memory", os.getTotalMemorySize() / (double) (1L << 30));
    }
}
