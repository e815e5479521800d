package io.recall.cli.text;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rows under a header, each column as wide as its widest cell, two spaces apart, no trailing blanks: readable by
 * people and by {@code awk}/{@code column}. An absent cell shows as {@link Formats#NONE}. Not thread-safe.
 */
public final class Table {

    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers = List.of(headers);
    }

    /** Adds a row of as many cells as there are headers; null cells show as {@link Formats#NONE}. */
    public Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException(
                    "a row of " + cells.length + " cells under " + headers.size() + " headers");
        }
        rows.add(Arrays.stream(cells)
                .map(c -> c == null ? Formats.NONE : c.toString())
                .toList());
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    public List<String> lines() {
        int[] widths = new int[headers.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> row : all) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], width(row.get(i)));
            }
        }
        List<String> lines = new ArrayList<>();
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                String cell = row.get(i);
                line.append(cell);
                if (i < widths.length - 1) {
                    line.append(" ".repeat(widths[i] - width(cell) + 2));
                }
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }

    public void print(PrintWriter out) {
        lines().forEach(out::println);
    }

    private static int width(String cell) {
        return cell.codePointCount(0, cell.length());
    }
}
