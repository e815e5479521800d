package io.recall.common.pg;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Quoting for identifiers and literals in SQL that Recall generates. Every identifier is quoted, whatever its
 * spelling, so no table, schema or role name can change the meaning of a statement.
 */
public final class SqlIdentifiers {

    private SqlIdentifiers() {}

    /** {@code "name"}, with embedded double quotes doubled (PostgreSQL's quote_ident, applied always). */
    public static String quote(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains a NUL character");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** {@code "schema"."name"}. */
    public static String qualified(String schema, String name) {
        return quote(schema) + "." + quote(name);
    }

    /**
     * {@code schema.name} as Recall shows table names: a part is double-quoted only when it is not a plain lower-case
     * identifier. {@link #splitName} reads it back.
     */
    public static String display(String schema, String name) {
        return displayPart(schema) + "." + displayPart(name);
    }

    private static String displayPart(String part) {
        return part.matches("[a-z_][a-z0-9_$]*") ? part : quote(part);
    }

    /**
     * Splits a dotted name ({@code schema.table}) at the dots outside double quotes, undoing the quoting ({@code ""} is
     * one quote). With {@code foldUnquoted}, a part written without quotes is stripped and lower-cased as SQL folds
     * unquoted identifiers; otherwise it is kept as written.
     *
     * @throws IllegalArgumentException on an unbalanced double quote
     */
    public static List<String> splitName(String name, boolean foldUnquoted) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < name.length() && name.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                    wasQuoted = true;
                }
            } else if (c == '.' && !quoted) {
                parts.add(part(cur, wasQuoted, foldUnquoted));
                cur.setLength(0);
                wasQuoted = false;
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unbalanced double quote in '" + name + "'");
        }
        parts.add(part(cur, wasQuoted, foldUnquoted));
        return parts;
    }

    private static String part(StringBuilder text, boolean quoted, boolean fold) {
        return quoted || !fold ? text.toString() : text.toString().strip().toLowerCase(Locale.ROOT);
    }

    /** A standard-conforming string literal {@code 'text'}, single quotes doubled. */
    public static String literal(String text) {
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal contains a NUL character");
        }
        return "'" + text.replace("'", "''") + "'";
    }
}
