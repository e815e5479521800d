package io.recall.standalone.checker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a checker run did and found, printed at its end (and in every failure message). Not thread-safe: the run's
 * main thread fills it.
 */
final class Report {

    private final CheckerSettings settings;
    private final List<Checkpoint> checkpoints = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<Difference> differences = new ArrayList<>();
    private final List<String> failedRestores = new ArrayList<>();
    private final List<String> restores = new ArrayList<>();
    private final Map<String, Long> workload = new TreeMap<>();
    private final List<String> workloadFailures = new ArrayList<>();
    private final Map<String, String> notes = new TreeMap<>();
    private int tablesCompared;
    private int sequencesCompared;
    private Duration elapsed = Duration.ZERO;

    Report(CheckerSettings settings) {
        this.settings = settings;
    }

    void checkpoint(Checkpoint c) {
        checkpoints.add(c);
    }

    void fault(Fault f) {
        faults.add(f);
    }

    void restored(String line, int tables, int sequences, List<Difference> found) {
        restores.add(line + (found.isEmpty() ? ": equal" : ": " + found.size() + " difference(s)"));
        tablesCompared += tables;
        sequencesCompared += sequences;
        differences.addAll(found);
    }

    void restoreFailed(String line) {
        restores.add(line + ": FAILED");
        failedRestores.add(line);
    }

    void workload(Map<String, Long> counts, List<String> failures) {
        workload.putAll(counts);
        workloadFailures.addAll(failures);
    }

    void note(String name, String value) {
        notes.put(name, value);
    }

    void elapsed(Duration d) {
        elapsed = d;
    }

    List<Difference> differences() {
        return List.copyOf(differences);
    }

    List<String> failedRestores() {
        return List.copyOf(failedRestores);
    }

    List<String> workloadFailures() {
        return List.copyOf(workloadFailures);
    }

    int restoresDone() {
        return restores.size();
    }

    int tablesCompared() {
        return tablesCompared;
    }

    /** Schema changes the workload committed ({@link Migrator}'s counts start with "ddl:"). */
    long schemaChanges() {
        return workload.entrySet().stream()
                .filter(e -> e.getKey().startsWith("ddl:"))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    /** Faults after which capture recovered and every restore to a later checkpoint equalled the source. */
    long faultsSurvived() {
        return faults.stream().filter(this::survived).count();
    }

    List<Fault> faults() {
        return List.copyOf(faults);
    }

    private boolean survived(Fault f) {
        boolean laterRestored = restores.stream().anyMatch(r -> checkpointOf(r) >= f.beforeCheckpoint());
        boolean laterDiffers = differences.stream().anyMatch(d -> d.checkpoint() >= f.beforeCheckpoint())
                || failedRestores.stream().anyMatch(r -> checkpointOf(r) >= f.beforeCheckpoint());
        return f.recovered() && laterRestored && !laterDiffers;
    }

    /** Restore lines start with "checkpoint N ". */
    private static int checkpointOf(String restoreLine) {
        String rest = restoreLine.substring("checkpoint ".length());
        return Integer.parseInt(rest.substring(0, rest.indexOf(' ')));
    }

    /** The whole report, as printed. */
    String render() {
        StringBuilder out = new StringBuilder();
        out.append("\n==================== Recall correctness checker ====================\n");
        out.append("seed:                ").append(settings.seed()).append('\n');
        out.append("rerun with:          ").append(settings.rerun()).append('\n');
        out.append("elapsed:             ").append(elapsed.toSeconds()).append(" s\n");
        out.append("checkpoints:         ").append(checkpoints.size()).append('\n');
        out.append("restores done:       ")
                .append(restores.size())
                .append(" (failed: ")
                .append(failedRestores.size())
                .append(")\n");
        out.append("tables compared:     ").append(tablesCompared).append('\n');
        out.append("sequences compared:  ").append(sequencesCompared).append('\n');
        out.append("differences:         ").append(differences.size()).append('\n');
        out.append("schema changes:      ").append(schemaChanges()).append(" (under load, see workload)\n");
        out.append("faults injected:     ")
                .append(faults.size())
                .append(", survived: ")
                .append(faultsSurvived())
                .append('\n');
        for (Fault.Kind k : Fault.Kind.values()) {
            long injected = faults.stream().filter(f -> f.kind() == k).count();
            long survived =
                    faults.stream().filter(f -> f.kind() == k && survived(f)).count();
            out.append("  (")
                    .append(k.letter())
                    .append(") ")
                    .append(injected)
                    .append(" injected, ")
                    .append(survived)
                    .append(" survived: ")
                    .append(k.description())
                    .append('\n');
        }
        for (Fault f : faults) {
            out.append(f.kind().duringWorkload() ? "  before checkpoint " : "  restoring checkpoint ")
                    .append(f.beforeCheckpoint())
                    .append(": (")
                    .append(f.kind().letter())
                    .append(") ")
                    .append(f.detail())
                    .append(survived(f) ? " - survived" : " - NOT survived")
                    .append('\n');
        }
        out.append("restores:\n");
        restores.forEach(r -> out.append("  ").append(r).append('\n'));
        if (!differences.isEmpty()) {
            out.append("DIFFERENCES:\n");
            for (Difference d : differences) {
                out.append("  checkpoint ")
                        .append(d.checkpoint())
                        .append(" via ")
                        .append(d.target())
                        .append(", ")
                        .append(d.table())
                        .append(": expected ")
                        .append(d.expected())
                        .append(", restored ")
                        .append(d.actual())
                        .append(" [")
                        .append(d.restore())
                        .append("]\n");
                if (d.missingRow() != null) {
                    out.append("    missing row: ").append(d.missingRow()).append('\n');
                }
                if (d.extraRow() != null) {
                    out.append("    extra row:   ").append(d.extraRow()).append('\n');
                }
            }
        }
        if (!failedRestores.isEmpty()) {
            out.append("FAILED RESTORES:\n");
            failedRestores.forEach(r -> out.append("  ").append(r).append('\n'));
        }
        if (!workloadFailures.isEmpty()) {
            out.append("WORKLOAD ERRORS (unexpected on the source):\n");
            workloadFailures.forEach(r -> out.append("  ").append(r).append('\n'));
        }
        out.append("checkpoints:\n");
        for (Checkpoint c : checkpoints) {
            out.append("  ")
                    .append(c.index())
                    .append(": ")
                    .append(c.restorePoint())
                    .append(" at ")
                    .append(c.restorePointLsn())
                    .append(", wal ")
                    .append(c.walLsn())
                    .append(", ")
                    .append(c.time())
                    .append(", rows ")
                    .append(rows(c))
                    .append(c.note() == null ? "" : " (" + c.note() + ")")
                    .append('\n');
        }
        out.append("workload:\n");
        workload.forEach(
                (k, n) -> out.append("  ").append(k).append(": ").append(n).append('\n'));
        notes.forEach((k, v) -> out.append(k).append(": ").append(v).append('\n'));
        out.append("=====================================================================\n");
        return out.toString();
    }

    private static long rows(Checkpoint c) {
        return c.tables().entrySet().stream()
                .filter(e -> !e.getKey().matches(".*_20\\d\\d")) // partitions are counted in their parent
                .mapToLong(e ->
                        Long.parseLong(e.getValue().substring(0, e.getValue().indexOf(':'))))
                .sum();
    }
}
