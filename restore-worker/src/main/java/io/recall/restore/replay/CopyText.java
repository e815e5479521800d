package io.recall.restore.replay;

/**
 * PostgreSQL's COPY text format: columns separated by tabs, rows ended by newlines, {@code \N} for NULL, and
 * backslash, newline, carriage return and tab escaped with a backslash. Every other character stands for itself, so
 * a value's text form goes through unchanged and the column's input function parses it, exactly as a cast from text
 * would.
 */
final class CopyText {

    private CopyText() {}

    static void appendRow(StringBuilder out, Object[] row) {
        for (int i = 0; i < row.length; i++) {
            if (i > 0) {
                out.append('\t');
            }
            appendValue(out, row[i]);
        }
        out.append('\n');
    }

    static void appendValue(StringBuilder out, Object value) {
        if (value == null) {
            out.append("\\N");
            return;
        }
        String s = (String) value;
        int n = s.length();
        int plain = 0;
        while (plain < n && !special(s.charAt(plain))) {
            plain++;
        }
        if (plain == n) {
            out.append(s);
            return;
        }
        out.append(s, 0, plain);
        for (int i = plain; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
    }

    private static boolean special(char c) {
        return c == '\\' || c == '\n' || c == '\r' || c == '\t';
    }
}
