package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.change.Op;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Two workers in the group; one is killed hard (SIGKILL of its JVM) while sources are being written to. The other
 * takes over every source through the group rebalance, the slot being the fence, and no committed transaction is
 * missing from Kafka.
 */
class CaptureFailoverIT {

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);

    @Test
    void killingAWorkerMovesItsSourcesWithNoTransactionLost() throws Exception {
        try (CaptureHarness h = new CaptureHarness()) {
            Path log = Files.createTempFile("recall-worker-a", ".log");
            Process a = h.startWorkerProcess("worker-a", log);
            var b = h.startWorker("worker-b");
            CaptureManager managerB =
                    b.getBean(CaptureConfiguration.CaptureRunner.class).manager();

            // sources are spread over the group by key hash: add them until the worker to be killed holds some
            List<CaptureHarness.Source> sources = new ArrayList<>();
            while (sources.size() < 4 || (managerB.capturing().size() == sources.size() && sources.size() < 12)) {
                CaptureHarness.Source s = h.createSource(pg, "CREATE TABLE t (id int PRIMARY KEY)");
                h.publish(s, List.of("public.t"), 1, false);
                sources.add(s);
                for (CaptureHarness.Source each : sources) {
                    h.awaitState(each, CaptureState.STREAMING);
                }
            }
            assertThat(managerB.capturing().size())
                    .as("worker A holds some of the %d sources before it is killed", sources.size())
                    .isLessThan(sources.size());
            int total = sources.size();

            // writers commit one row per transaction on every source, before, during and after the kill
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger next = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (CaptureHarness.Source s : sources) {
                writers.add(Thread.ofVirtual().start(() -> {
                    while (writing.get()) {
                        s.sql("INSERT INTO t VALUES (" + next.incrementAndGet() + ")");
                    }
                }));
            }
            Thread.sleep(1500);
            a.destroyForcibly().waitFor();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(300))
                    .until(() -> managerB.capturing().size() == total);
            Thread.sleep(1500);
            writing.set(false);
            for (Thread w : writers) {
                w.join();
            }

            for (CaptureHarness.Source s : sources) {
                Set<String> committed = new TreeSet<>();
                try (var c = pg.connect(s.db());
                        var st = c.createStatement();
                        var rs = st.executeQuery("SELECT id FROM t")) {
                    while (rs.next()) {
                        committed.add(rs.getString(1));
                    }
                }
                assertThat(committed).isNotEmpty();
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(300))
                        .untilAsserted(() -> {
                            h.drain();
                            Set<String> captured = new TreeSet<>();
                            h.chunks(s).stream()
                                    .flatMap(c -> c.getChanges().stream())
                                    .filter(c -> c.getOp() == Op.INSERT)
                                    .forEach(c -> captured.add(
                                            (String) c.getNewValues().getFirst()));
                            assertThat(captured).as(s.db()).containsAll(committed);
                        });
            }
        }
    }
}
