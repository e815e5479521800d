package io.recall.coordinator.source;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.recall.common.pg.SqlIdentifiers;
import java.util.Objects;

/** A schema-qualified table name as the catalog spells it (case and all). Serialised as {@code schema.table}. */
public record TableName(String schema, String name) implements Comparable<TableName> {

    public TableName {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    /** Both parts quoted, ready for generated SQL. */
    public String quoted() {
        return SqlIdentifiers.qualified(schema, name);
    }

    /**
     * Reads the display form back: {@code schema.table}, where either part may be double-quoted to hold dots or
     * upper case ({@code "My.Schema"."T"}).
     */
    @JsonCreator
    public static TableName parse(String text) {
        TablePattern p = TablePattern.parse(text);
        if (p.table() == null) {
            throw new IllegalArgumentException("'" + text + "' names a whole schema, not a table");
        }
        return new TableName(p.schema(), p.table());
    }

    @JsonValue
    @Override
    public String toString() {
        return display(schema) + "." + display(name);
    }

    static String display(String part) {
        return part.matches("[a-z_][a-z0-9_$]*") ? part : SqlIdentifiers.quote(part);
    }

    @Override
    public int compareTo(TableName o) {
        int c = schema.compareTo(o.schema);
        return c != 0 ? c : name.compareTo(o.name);
    }
}
