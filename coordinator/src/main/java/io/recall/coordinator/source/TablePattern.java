package io.recall.coordinator.source;

import io.recall.common.errors.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One entry of a source's table selection: {@code schema.table} or {@code schema.*}. Unquoted parts fold to lower
 * case as PostgreSQL folds unquoted identifiers; double-quoted parts are taken literally.
 *
 * @param table null for {@code schema.*}
 */
public record TablePattern(String schema, String table) {

    public static TablePattern parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidRequestException("a table entry is empty: use \"schema.table\" or \"schema.*\"");
        }
        List<String> parts = new ArrayList<>();
        List<Boolean> quoted = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inQuotes = false;
        boolean wasQuoted = false;
        String s = text.strip();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inQuotes) {
                if (c == '"') {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        inQuotes = false;
                    }
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                inQuotes = true;
                wasQuoted = true;
            } else if (c == '.') {
                parts.add(cur.toString());
                quoted.add(wasQuoted);
                cur.setLength(0);
                wasQuoted = false;
            } else {
                cur.append(c);
            }
        }
        if (inQuotes) {
            throw new InvalidRequestException("table entry '" + text + "' has an unterminated double quote");
        }
        parts.add(cur.toString());
        quoted.add(wasQuoted);
        if (parts.size() != 2 || parts.get(0).isEmpty() || parts.get(1).isEmpty()) {
            throw new InvalidRequestException("table entry '" + text
                    + "' must be \"schema.table\" or \"schema.*\" (quote parts that contain dots)");
        }
        String schema = quoted.get(0) ? parts.get(0) : parts.get(0).toLowerCase(Locale.ROOT);
        String table = parts.get(1);
        if (!quoted.get(1) && table.equals("*")) {
            return new TablePattern(schema, null);
        }
        return new TablePattern(schema, quoted.get(1) ? table : table.toLowerCase(Locale.ROOT));
    }

    public boolean isWildcard() {
        return table == null;
    }

    public boolean matches(TableName t) {
        return schema.equals(t.schema()) && (table == null || table.equals(t.name()));
    }

    @Override
    public String toString() {
        return TableName.display(schema) + "." + (table == null ? "*" : TableName.display(table));
    }
}
