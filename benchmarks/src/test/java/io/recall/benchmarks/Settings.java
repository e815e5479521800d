package io.recall.benchmarks;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What one run of the suite does, from system properties ({@code -Dbench.*} on the Maven command line).
 *
 * @param repetitions runs of each figure ({@code bench.repetitions}, default 3): the table shows their median, min
 *     and max, and ratios are taken pair by pair (run i of Recall against run i of its peer)
 * @param scale multiplies every workload's size ({@code bench.scale}, default 1: the run fits in 20 minutes on two
 *     cores)
 * @param idleSources sources of the idle-memory figure ({@code bench.idle-sources}, default 200)
 * @param idleRepetitions runs of the idle-memory figure ({@code bench.idle-repetitions}, default 1: it takes about
 *     two minutes a run)
 * @param rpoRate offered load of the RPO figure, pgbench transactions per second ({@code bench.rpo.rate}, 200)
 * @param rpoSeconds how long that load runs ({@code bench.rpo.seconds}, 30)
 * @param workerHeap -Xmx of the Recall capture worker and of the Debezium engine ({@code bench.heap}, 2g)
 * @param jvmOptions more JVM options for both measured JVMs, the capture worker and the Debezium engine
 *     ({@code bench.jvm.options}, space separated), e.g. the same {@code -Xms} for both
 * @param workerOptions more JVM options for the Recall capture worker ({@code bench.worker.options}, space
 *     separated), e.g. to profile it with JFR
 * @param workerAot start the capture worker with the AOT cache its image builds ({@code bench.worker.aot}, default
 *     true): trained once per run by the image's own script, {@code docker/recall-aot-train}
 * @param workloads the workloads to run ({@code bench.workloads}: any of pgbench, insert-heavy, wide-toast; default
 *     all)
 * @param only the figure groups to run ({@code bench.only}: any of capture, replay, backup, storage, rpo, idle;
 *     default all), for working on one figure
 * @param output where results.md and results.json go ({@code bench.output})
 * @param workerClasspath the stream worker's runtime class path (its jar and dependencies, as its image has them)
 * @param peerClasspath Debezium's class path for the peer's JVM
 */
record Settings(
        int repetitions,
        double scale,
        int idleSources,
        int idleRepetitions,
        int rpoRate,
        int rpoSeconds,
        String workerHeap,
        List<String> jvmOptions,
        List<String> workerOptions,
        boolean workerAot,
        Set<String> only,
        Set<String> workloads,
        Path output,
        Path workerClasspath,
        Path peerClasspath,
        Path peerClasses) {

    static Settings fromSystemProperties() {
        String only = System.getProperty("bench.only", "");
        return new Settings(
                Integer.getInteger("bench.repetitions", 3),
                Double.parseDouble(System.getProperty("bench.scale", "1")),
                Integer.getInteger("bench.idle-sources", 200),
                Integer.getInteger("bench.idle-repetitions", 1),
                Integer.getInteger("bench.rpo.rate", 200),
                Integer.getInteger("bench.rpo.seconds", 30),
                System.getProperty("bench.heap", "2g"),
                options("bench.jvm.options"),
                options("bench.worker.options"),
                Boolean.parseBoolean(System.getProperty("bench.worker.aot", "true")),
                set(only),
                set(System.getProperty("bench.workloads", "")),
                Path.of(System.getProperty("bench.output", "target/benchmarks")),
                Path.of(System.getProperty("bench.worker.classpath", "target/worker-classpath.txt")),
                Path.of(System.getProperty("bench.peer.classpath", "debezium-peer/target/peer-classpath.txt")),
                Path.of(System.getProperty("bench.peer.classes", "debezium-peer/target/classes")));
    }

    private static List<String> options(String property) {
        String value = System.getProperty(property, "");
        return value.isBlank() ? List.of() : List.of(value.strip().split("\\s+"));
    }

    private static Set<String> set(String list) {
        return list.isBlank()
                ? Set.of()
                : Arrays.stream(list.split(",")).map(String::strip).collect(Collectors.toSet());
    }

    boolean runs(Workload w) {
        return workloads.isEmpty() || workloads.contains(w.name());
    }

    boolean runs(String group) {
        return only.isEmpty() || only.contains(group);
    }
}
