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
 * from /proc and printed. Goal: under 512 MiB. Run with {@code ./mvnw -Pbenchmarks verify -pl stream-worker -am
 * -Dit.test=IdleSourcesMemoryBenchmark}; the source count can be changed with {@code -Drecall.bench.sources=N}.
 */
class IdleSourcesMemoryBenchmark {

    @Test
    void residentMemoryOfAWorkerHoldingManyIdleSources() throws Exception {
        int sources = Integer.getInteger("recall.bench.sources", 200);
        try (PostgresCluster pg = PostgresCluster.start(
                        PgVersion.SYSTEM,
                        Map.of(
                                "max_connections", Integer.toString(2 * sources + 50),
                                "max_wal_senders", Integer.toString(sources + 20),
                                "max_replication_slots", Integer.toString(sources + 20),
                                "shared_buffers", "256MB"));
                CaptureHarness h = new CaptureHarness()) {
            Path log = Files.createTempFile("recall-bench-worker", ".log");
            Process worker = h.startWorkerProcess("bench-worker", log, "-Xmx256m", "-XX:+UseSerialGC", "-Xss512k");
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
            long rssKiB = rss(worker.pid());
            System.out.printf(
                    "%n[benchmark] stream worker holding %d sources (%d s to stream all): RSS %.1f MiB"
                            + " (-Xmx256m, SerialGC); goal < 512 MiB%n%n",
                    sources, secondsToStream, rssKiB / 1024.0);
            assertThat(worker.isAlive()).isTrue();
            assertThat(rssKiB).isPositive();
        }
    }

    private static long rss(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }
}
