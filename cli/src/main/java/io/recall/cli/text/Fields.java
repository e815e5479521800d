package io.recall.cli.text;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * One thing's properties as {@code label:  value} lines with the values aligned; absent values are left out. Not
 * thread-safe.
 */
public final class Fields {

    private final List<String[]> lines = new ArrayList<>();

    /** Adds a line unless {@code value} is null. */
    public Fields add(String label, Object value) {
        if (value != null) {
            lines.add(new String[] {label + ":", value.toString()});
        }
        return this;
    }

    public List<String> lines() {
        int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0);
        return lines.stream()
                .map(l -> (l[0] + " ".repeat(width - l[0].length() + 2) + l[1]).stripTrailing())
                .toList();
    }

    public void print(PrintWriter out) {
        lines().forEach(out::println);
    }
}
