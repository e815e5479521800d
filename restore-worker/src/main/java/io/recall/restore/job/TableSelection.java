package io.recall.restore.job;

import io.recall.common.errors.InvalidRequestException;
import io.recall.common.pg.SqlIdentifiers;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code tables} of a restore request: {@code schema.table} or {@code schema.*}, each part folded to lower case
 * like unquoted SQL unless written in double quotes ({@code "Mixed Case"."T"}, with {@code ""} for a quote). Immutable.
 */
final class TableSelection {

    /** One pattern; {@code table} null matches every table of the schema. */
    private record Pattern(String schema, String table) {}

    private final List<Pattern> patterns;
    private final List<String> text;

    private TableSelection(List<Pattern> patterns, List<String> text) {
        this.patterns = patterns;
        this.text = text;
    }

    /**
     * Parses the request's patterns.
     *
     * @throws InvalidRequestException if the list is empty or a pattern is not {@code schema.table} or {@code schema.*}
     */
    static TableSelection parse(List<String> tables) {
        if (tables.isEmpty()) {
            throw new InvalidRequestException("'tables' is empty: leave it out to restore every captured table");
        }
        List<Pattern> patterns = new ArrayList<>();
        for (String t : tables) {
            List<String> parts = split(t);
            if (parts.size() != 2 || parts.get(0).isEmpty() || parts.get(1).isEmpty()) {
                throw new InvalidRequestException("'tables' entry '" + t
                        + "' is not schema.table or schema.* (quote names with dots or capitals)");
            }
            patterns.add(
                    new Pattern(parts.get(0), parts.get(1).equals("*") && !t.endsWith("\"") ? null : parts.get(1)));
        }
        return new TableSelection(List.copyOf(patterns), List.copyOf(tables));
    }

    /** Whether a table (its catalog names, exact) is selected. */
    boolean matches(String schema, String table) {
        return patterns.stream()
                .anyMatch(p -> p.schema().equals(schema)
                        && (p.table() == null || p.table().equals(table)));
    }

    /** Whether a qualified name as the base backup's manifest lists it ({@code schema.table}, quoted where needed). */
    boolean matches(String qualified) {
        List<String> parts = split(qualified);
        return parts.size() == 2 && matches(parts.get(0), parts.get(1));
    }

    @Override
    public String toString() {
        return String.join(", ", text);
    }

    /** Splits at dots outside double quotes; unquoted parts fold to lower case, quoted ones keep their text. */
    static List<String> split(String name) {
        try {
            return SqlIdentifiers.splitName(name, true);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("table name '" + name + "': " + e.getMessage() + " (quote names with"
                    + " dots or capitals in double quotes)");
        }
    }
}
