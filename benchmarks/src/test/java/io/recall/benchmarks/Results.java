package io.recall.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one run: each a list of repetitions for Recall and, where there is one, for its peer measured in
 * the same run. Renders the Markdown table (median, min and max of each side; the ratio's median, min and max over
 * the pairs run i / peer run i) and a JSON file with every repetition. Not thread-safe.
 */
final class Results {

    /** A goal on the ratio to the peer, or on Recall's own value where there is no peer. */
    record Goal(boolean atLeast, double value, String text) {

        static Goal atLeast(double value, String text) {
            return new Goal(true, value, text);
        }

        static Goal atMost(double value, String text) {
            return new Goal(false, value, text);
        }

        /** A figure shown for context: no goal of its own. */
        static Goal none() {
            return new Goal(false, Double.POSITIVE_INFINITY, "—");
        }

        boolean judged() {
            return value != Double.POSITIVE_INFINITY;
        }

        boolean met(double measured) {
            return atLeast ? measured >= value : measured <= value;
        }
    }

    /**
     * @param recall Recall's repetitions, in {@code unit}
     * @param peer the peer's repetitions in the same order (empty when the figure has none)
     * @param format how a value prints ({@link String#format}), e.g. {@code "%,.0f rows/s"}
     */
    record Figure(
            String figure,
            String workload,
            String format,
            List<Double> recall,
            String peerName,
            List<Double> peer,
            Goal goal,
            String note) {

        List<Double> ratios() {
            List<Double> out = new ArrayList<>();
            for (int i = 0; i < Math.min(recall.size(), peer.size()); i++) {
                out.add(recall.get(i) / peer.get(i));
            }
            return out;
        }

        /** The value the goal is judged on: the median ratio, or Recall's median without a peer. */
        double judged() {
            return peer.isEmpty() ? median(recall) : median(ratios());
        }
    }

    private final List<Figure> figures = new ArrayList<>();
    private final Map<String, String> workloads = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    void add(Figure f) {
        figures.add(f);
        System.out.println("[bench] " + row(f));
    }

    void workload(String name, String description) {
        workloads.put(name, description);
        System.out.println("[bench] workload " + name + ": " + description);
    }

    void note(String note) {
        notes.add(note);
        System.out.println("[bench] note: " + note);
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String spread(String format, List<Double> values) {
        if (values.isEmpty()) {
            return "—";
        }
        String median = String.format(Locale.ROOT, format, median(values));
        if (values.size() == 1) {
            return median;
        }
        double min = values.stream().mapToDouble(d -> d).min().orElseThrow();
        double max = values.stream().mapToDouble(d -> d).max().orElseThrow();
        return median + " (" + String.format(Locale.ROOT, format, min) + " – " + String.format(Locale.ROOT, format, max)
                + ")";
    }

    private static String row(Figure f) {
        String peer = f.peer().isEmpty() ? "—" : f.peerName() + ": " + spread(f.format(), f.peer());
        String ratio = f.peer().isEmpty() ? "—" : spread("%.2fx", f.ratios());
        String verdict = !f.goal().judged() ? "" : f.goal().met(f.judged()) ? "met" : "**missed**";
        return "| " + f.figure() + " | " + f.workload() + " | " + spread(f.format(), f.recall()) + " | " + peer
                + " | " + ratio + " | " + f.goal().text() + " | " + verdict
                + (f.note() == null || f.note().isBlank() ? "" : " — " + f.note()) + " |";
    }

    String markdown(String title, List<String> environment, String command) {
        StringBuilder b = new StringBuilder();
        b.append("## ").append(title).append("\n\n");
        b.append("| figure | workload | Recall: median (min – max) | peer in the same run | ratio Recall/peer,"
                + " pair by pair | goal | |\n");
        b.append("|---|---|---|---|---|---|---|\n");
        figures.forEach(f -> b.append(row(f)).append('\n'));
        b.append("\nWorkloads:\n\n");
        workloads.forEach(
                (k, v) -> b.append("- **").append(k).append("**: ").append(v).append('\n'));
        b.append("\nMachine and run:\n\n");
        environment.forEach(e -> b.append("- ").append(e).append('\n'));
        if (!notes.isEmpty()) {
            b.append("\nNotes:\n\n");
            notes.forEach(n -> b.append("- ").append(n).append('\n'));
        }
        b.append("\nReproduce: `").append(command).append("`\n");
        return b.toString();
    }

    void write(Path dir, String title, List<String> environment, String command) throws IOException {
        Files.createDirectories(dir);
        String md = markdown(title, environment, command);
        Files.writeString(dir.resolve("results.md"), md);
        List<Map<String, Object>> json = new ArrayList<>();
        for (Figure f : figures) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("figure", f.figure());
            m.put("workload", f.workload());
            m.put("recall", f.recall());
            m.put("peer", f.peerName());
            m.put("peerRuns", f.peer());
            m.put("ratios", f.ratios());
            m.put("goal", f.goal().text());
            m.put("met", f.goal().judged() ? f.goal().met(f.judged()) : null);
            m.put("note", f.note());
            json.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("figures", json);
        root.put("workloads", workloads);
        root.put("environment", environment);
        root.put("notes", notes);
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("results.json").toFile(), root);
        System.out.println();
        System.out.println(md);
    }
}
