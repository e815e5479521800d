package io.recall.standalone.checker;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Random;
import java.util.UUID;

/**
 * Column values as users have them, edge cases included: text with quotes, backslashes, control characters, the COPY
 * null marker and characters outside the BMP; NaN and huge numerics; infinite timestamps; arrays with NULLs and two
 * dimensions; nested JSON. Every value is returned as the text PostgreSQL parses (cast in the SQL), or as Java values
 * where JDBC binds them directly. Not thread-safe: one per writer.
 */
final class Values {

    private static final String[] PIECES = {
        "a", "b", "z", "Q", "0", "7", " ", "  ", "'", "''", "\"", "\\", "\\N", "\n", "\t", "\r", ",", "{", "}", "(",
        ")", "[", "]", ":", ";", "NULL", "null", "é", "ß", "中文", "😀", "\u00a0", "|", "$$", "%", "_", "E'"
    };
    private static final String[] MOODS = {"calm", "busy", "angry", "very busy"};

    private final Random random;

    Values(Random random) {
        this.random = random;
    }

    Random random() {
        return random;
    }

    boolean chance(double p) {
        return random.nextDouble() < p;
    }

    int between(int from, int to) {
        return from + random.nextInt(to - from + 1);
    }

    /** Short text, sometimes empty, made of awkward pieces. */
    String text() {
        if (chance(0.05)) {
            return "";
        }
        if (chance(0.03)) {
            return "\\N";
        }
        StringBuilder s = new StringBuilder();
        int n = between(1, 8);
        for (int i = 0; i < n; i++) {
            s.append(chance(0.6) ? Integer.toString(random.nextInt(1000)) : PIECES[random.nextInt(PIECES.length)]);
        }
        return s.toString();
    }

    /** A key: printable, no NUL, unique enough. */
    String key() {
        return "k" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36) + (chance(0.2) ? "é'\\" : "");
    }

    /** The md5 seed of a TOASTed value: {@code repeat(md5(seed), 400)} is 12,800 characters. */
    String toastSeed() {
        return text() + random.nextLong();
    }

    String numeric14_2() {
        return BigDecimal.valueOf(random.nextLong() % 1_000_000_000_000L, 2).toPlainString();
    }

    /** A price as numeric(10,2) and numeric(12,2) accept it, sometimes null. */
    String price() {
        return chance(0.05)
                ? null
                : BigDecimal.valueOf(random.nextInt(10_000_000), 2).toPlainString();
    }

    /** Unconstrained numeric: NaN, tiny, huge, negative, many digits. */
    String numeric() {
        return switch (random.nextInt(8)) {
            case 0 -> "NaN";
            case 1 -> "0.00000000000000000001";
            case 2 -> new BigInteger(200, random).toString() + "." + random.nextInt(1000);
            case 3 -> "-" + random.nextInt(1_000_000) + ".5000";
            default -> BigDecimal.valueOf(random.nextLong(), between(0, 12)).toPlainString();
        };
    }

    String float8() {
        return switch (random.nextInt(12)) {
            case 0 -> "NaN";
            case 1 -> "Infinity";
            case 2 -> "-Infinity";
            case 3 -> "-0";
            default -> Double.toString(random.nextGaussian() * Math.pow(10, between(-20, 20)));
        };
    }

    String timestamptz() {
        if (chance(0.02)) {
            return chance(0.5) ? "infinity" : "-infinity";
        }
        long micros = (random.nextLong() & Long.MAX_VALUE) % (200L * 365 * 86_400_000_000L);
        Instant i = Instant.parse("1900-01-01T00:00:00Z").plusNanos(micros * 1000);
        return i.toString();
    }

    /** A day in 2025 or 2026: the partitions of {@code readings}. */
    String day() {
        return LocalDate.of(2025, 1, 1).plusDays(random.nextInt(730)).toString();
    }

    UUID uuid() {
        return new UUID(random.nextLong(), random.nextLong());
    }

    String mood() {
        return chance(0.1) ? null : MOODS[random.nextInt(MOODS.length)];
    }

    byte[] bytes(int max) {
        if (chance(0.1)) {
            return null;
        }
        byte[] b = new byte[random.nextInt(max + 1)];
        random.nextBytes(b);
        return b;
    }

    /** A text[] literal: NULL elements, empty strings, awkward characters, sometimes empty. */
    String[] textArray() {
        if (chance(0.05)) {
            return null;
        }
        String[] a = new String[random.nextInt(5)];
        for (int i = 0; i < a.length; i++) {
            a[i] = chance(0.15) ? null : text();
        }
        return a;
    }

    /** An int[] literal: one or two dimensions, with NULLs. */
    String intArray() {
        if (chance(0.05)) {
            return null;
        }
        if (chance(0.2)) {
            return "{{" + element() + "," + element() + "},{" + element() + "," + element() + "}}";
        }
        StringBuilder s = new StringBuilder("{");
        int n = random.nextInt(6);
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : ",").append(element());
        }
        return s.append('}').toString();
    }

    private String element() {
        return chance(0.15) ? "NULL" : Integer.toString(random.nextInt());
    }

    /** Nested JSON with awkward strings and numbers jsonb keeps exactly. */
    String json(int depth) {
        return switch (depth <= 0 ? random.nextInt(4) : random.nextInt(6)) {
            case 0 -> jsonString(text());
            case 1 ->
                chance(0.5)
                        ? Long.toString(random.nextLong())
                        : new BigDecimal(new BigInteger(90, random), 7).toString();
            case 2 -> chance(0.5) ? "true" : "null";
            case 3 -> jsonString("\u2028 " + text());
            case 4 -> {
                StringBuilder s = new StringBuilder("[");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    s.append(i == 0 ? "" : ",").append(json(depth - 1));
                }
                yield s.append(']').toString();
            }
            default -> {
                StringBuilder s = new StringBuilder("{");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    s.append(i == 0 ? "" : ",")
                            .append(jsonString(text()))
                            .append(':')
                            .append(json(depth - 1));
                }
                yield s.append('}').toString();
            }
        };
    }

    private static String jsonString(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
