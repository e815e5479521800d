package io.recall.coordinator.source;

import java.util.List;

/**
 * Which tables of a source Recall captures: {@code include} patterns (empty = every user table) minus
 * {@code exclude} patterns.
 */
public record TableSelection(List<TablePattern> include, List<TablePattern> exclude) {

    public TableSelection {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
    }

    public static TableSelection of(List<String> include, List<String> exclude) {
        return new TableSelection(
                include == null
                        ? List.of()
                        : include.stream().map(TablePattern::parse).toList(),
                exclude == null
                        ? List.of()
                        : exclude.stream().map(TablePattern::parse).toList());
    }

    public boolean excludes(TableName t) {
        return exclude.stream().anyMatch(p -> p.matches(t));
    }

    public List<String> includeText() {
        return include.stream().map(TablePattern::toString).toList();
    }

    public List<String> excludeText() {
        return exclude.stream().map(TablePattern::toString).toList();
    }
}
