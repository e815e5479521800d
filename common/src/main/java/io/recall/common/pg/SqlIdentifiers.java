package io.recall.common.pg;

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

    /** A standard-conforming string literal {@code 'text'}, single quotes doubled. */
    public static String literal(String text) {
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal contains a NUL character");
        }
        return "'" + text.replace("'", "''") + "'";
    }
}
