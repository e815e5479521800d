package io.recall.cli.restore;

import io.recall.common.Lsn;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A restore target as typed after {@code --to}, and the API's {@code target} object it stands for (DESIGN.md,
 * "Target semantics"):
 *
 * <ul>
 *   <li>{@code latest} → {@code {"latest": true}}
 *   <li>an LSN, {@code 0/16B3748} (or {@code lsn:0/16B3748}) → {@code {"lsn": "0/16B3748"}}
 *   <li>an ISO-8601 time with a zone offset, {@code 2026-11-23T10:00:00Z}, also as psql prints one
 *       ({@code 2026-11-23 11:00:00.5+01}) → {@code {"time": "2026-11-23T10:00:00Z"}} (in UTC)
 *   <li>{@code xid:1234}, or a plain whole number → {@code {"xid": 1234}} (a 32-bit xid or an epoch-qualified xid8)
 *   <li>{@code point:<name>} → {@code {"restorePoint": "<name>"}}
 * </ul>
 *
 * @param kind the API's name for it: {@code latest}, {@code lsn}, {@code time}, {@code xid} or {@code restorePoint}
 * @param value {@code true}, the LSN or time as text, or the xid as a {@code Long}
 */
public record TargetSpec(String kind, Object value) {

    static final String FORMS = "latest, an LSN (0/16B3748), an ISO-8601 time with a zone offset"
            + " (2026-11-23T10:00:00Z), xid:1234 (or just 1234), or point:<name>";

    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
    private static final Pattern XID = Pattern.compile("[0-9]{1,20}");
    private static final Pattern PSQL_DATE_TIME = Pattern.compile("(\\d{4}-\\d{2}-\\d{2}) (\\d{2}:.*)");
    private static final Pattern HOURS_ONLY_OFFSET = Pattern.compile(".*[+-]\\d{2}");
    private static final BigInteger MAX_XID = BigInteger.valueOf(Long.MAX_VALUE);

    /** @throws IllegalArgumentException saying which forms are accepted */
    public static TargetSpec parse(String text) {
        String spec = text == null ? "" : text.strip();
        if (spec.equalsIgnoreCase("latest")) {
            return new TargetSpec("latest", true);
        }
        String lower = spec.toLowerCase(Locale.ROOT);
        if (lower.startsWith("point:")) {
            String name = spec.substring("point:".length()).strip();
            if (name.isEmpty()) {
                throw new IllegalArgumentException("point: needs a restore point's name, e.g. point:before-migration");
            }
            return new TargetSpec("restorePoint", name);
        }
        if (lower.startsWith("xid:")) {
            return xid(spec.substring("xid:".length()).strip(), spec);
        }
        if (XID.matcher(spec).matches()) {
            return xid(spec, spec);
        }
        String lsn = lower.startsWith("lsn:") ? spec.substring("lsn:".length()).strip() : spec;
        if (LSN.matcher(lsn).matches()) {
            return new TargetSpec("lsn", Lsn.parse(lsn).toString());
        }
        return new TargetSpec("time", time(spec).toString());
    }

    /** The API's {@code target} object. */
    public Map<String, Object> json() {
        return Map.of(kind, value);
    }

    /** For people: {@code latest}, {@code LSN 0/16B3748}, {@code time 2026-...Z}, {@code xid 1234}, {@code point x}. */
    public String describe() {
        return describe(kind, String.valueOf(value));
    }

    /** The same for a {@code target} property the API answered with. */
    static String describe(String kind, String value) {
        return switch (kind) {
            case "latest" -> "latest";
            case "lsn" -> "LSN " + value;
            case "time" -> "time " + value;
            case "xid" -> "xid " + value;
            case "restorePoint" -> "point " + value;
            default -> kind + " " + value;
        };
    }

    private static TargetSpec xid(String digits, String spec) {
        if (!XID.matcher(digits).matches() || new BigInteger(digits).compareTo(MAX_XID) > 0) {
            throw new IllegalArgumentException(
                    "'" + spec + "' is not a transaction id: give a whole number, e.g. xid:1234 (SELECT"
                            + " pg_current_xact_id() on the source)");
        }
        return new TargetSpec("xid", Long.parseLong(digits));
    }

    private static Instant time(String spec) {
        String iso = PSQL_DATE_TIME.matcher(spec).replaceFirst("$1T$2");
        if (HOURS_ONLY_OFFSET.matcher(iso).matches() && iso.contains("T")) {
            iso = iso + ":00";
        }
        try {
            return OffsetDateTime.parse(iso).toInstant();
        } catch (DateTimeParseException notWithOffset) {
            if (looksLikeLocalTime(iso)) {
                throw new IllegalArgumentException(
                        "'" + spec + "' has no zone offset: add one, e.g. " + iso + "Z for UTC or " + iso + "+01:00");
            }
            throw new IllegalArgumentException("'" + spec + "' is not a restore target: give " + FORMS);
        }
    }

    private static boolean looksLikeLocalTime(String iso) {
        try {
            LocalDateTime.parse(iso);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** Picocli's conversion of {@code --to}: a malformed target is a usage error (exit 2). */
    static final class Converter implements ITypeConverter<TargetSpec> {
        @Override
        public TargetSpec convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
