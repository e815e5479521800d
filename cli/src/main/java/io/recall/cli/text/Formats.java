package io.recall.cli.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How values read in a table: times in UTC, short durations, grouped counts, binary byte sizes. */
public final class Formats {

    /** What a table shows for a value that is absent. */
    public static final String NONE = "-";

    private Formats() {}

    /** An API time (ISO-8601 with an offset) as UTC ISO-8601, keeping its precision; null stays null. */
    public static String time(String iso) {
        Instant instant = instant(iso);
        return instant == null ? iso : instant.toString();
    }

    /** The API time as an instant; null when absent or not a time. */
    public static Instant instant(String iso) {
        if (iso == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(iso).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * The two largest units of a duration: {@code 45s}, {@code 3m 07s}, {@code 2h 05m}, {@code 3d 04h}; under a second
     * in milliseconds. Negative durations (clocks apart) read as zero.
     */
    public static String duration(Duration d) {
        long millis = Math.max(0, d.toMillis());
        if (millis < 1000) {
            return millis + "ms";
        }
        long s = millis / 1000;
        long days = s / 86_400;
        long hours = s / 3600 % 24;
        long minutes = s / 60 % 60;
        long seconds = s % 60;
        if (days > 0) {
            return String.format(Locale.ROOT, "%dd %02dh", days, hours);
        }
        if (hours > 0) {
            return String.format(Locale.ROOT, "%dh %02dm", hours, minutes);
        }
        if (minutes > 0) {
            return String.format(Locale.ROOT, "%dm %02ds", minutes, seconds);
        }
        return seconds + "s";
    }

    /** {@code 1,234,567} */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** {@code 950}, {@code 58.2k}, {@code 1.3M}: for rates, where three digits say enough. */
    public static String compact(double n) {
        if (n < 1000) {
            return String.format(Locale.ROOT, "%.0f", n);
        }
        if (n < 1_000_000) {
            return String.format(Locale.ROOT, "%.1fk", n / 1000);
        }
        return String.format(Locale.ROOT, "%.1fM", n / 1_000_000);
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 3.2 GiB} */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = n;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** A JSON array's items, comma-separated; null when it is empty or not an array. */
    public static String joined(JsonNode array) {
        if (array == null || !array.isArray() || array.isEmpty()) {
            return null;
        }
        List<String> items = new ArrayList<>();
        array.forEach(n -> items.add(n.asText()));
        return String.join(", ", items);
    }

    /** At most {@code max} characters, the cut marked with an ellipsis. */
    public static String abbreviate(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, max - 1) + "…";
    }
}
