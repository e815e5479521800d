package io.recall.coordinator.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.common.Lsn;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.layout.RestorePointMarker;
import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a restore restores to: exactly one of an LSN, a time, a transaction id, a named restore point, or the latest
 * durable change (DESIGN.md, "Target semantics"). Immutable.
 */
sealed interface RestoreTarget {

    /** Transactions with commit LSN up to {@code lsn}. */
    record AtLsn(Lsn lsn) implements RestoreTarget {}

    /** Transactions committed up to {@code time}, as PostgreSQL's recovery_target_time counts them. */
    record AtTime(Instant time) implements RestoreTarget {}

    /** Up to transaction {@code xid}: a 32-bit xid or an epoch-qualified xid8. */
    record AtXid(long xid) implements RestoreTarget {}

    /** A point created with {@code POST /api/v1/sources/{id}/restore-points}. */
    record AtRestorePoint(String name) implements RestoreTarget {}

    /** Everything durable when the job starts. */
    record Latest() implements RestoreTarget {}

    Set<String> KINDS = Set.of("lsn", "time", "xid", "restorePoint", "latest");

    /** Normal transaction ids start here (0 is invalid, 1 bootstrap, 2 frozen). */
    long FIRST_NORMAL_XID = 3;

    String EXAMPLES = "{\"lsn\": \"0/16B3748\"}, {\"time\": \"2026-11-23T10:00:00Z\"}, {\"xid\": 1234},"
            + " {\"restorePoint\": \"name\"} or {\"latest\": true}";

    /**
     * Parses the request's {@code target} object.
     *
     * @throws InvalidRequestException naming what is wrong and what a valid target looks like
     */
    static RestoreTarget parse(JsonNode node) {
        if (node == null || node.isNull()) {
            throw new InvalidRequestException("target is required: one of " + EXAMPLES);
        }
        if (!node.isObject()) {
            throw new InvalidRequestException("target must be an object, one of " + EXAMPLES);
        }
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        List<String> unknown = names.stream().filter(n -> !KINDS.contains(n)).toList();
        if (!unknown.isEmpty()) {
            throw new InvalidRequestException("target has unknown " + unknown + ": give exactly one of " + EXAMPLES);
        }
        if (names.size() != 1) {
            throw new InvalidRequestException(
                    "target names " + (names.isEmpty() ? "no kind" : names) + ": give exactly one of " + EXAMPLES);
        }
        String kind = names.getFirst();
        JsonNode value = node.get(kind);
        return switch (kind) {
            case "lsn" -> new AtLsn(lsn(value));
            case "time" -> new AtTime(time(value));
            case "xid" -> new AtXid(xid(value));
            case "restorePoint" -> new AtRestorePoint(restorePoint(value));
            default -> latest(value);
        };
    }

    private static Lsn lsn(JsonNode value) {
        try {
            if (!value.isTextual()) {
                throw new IllegalArgumentException("not text");
            }
            return Lsn.parse(value.asText().strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("target.lsn " + value + " is not an LSN: give it as PostgreSQL prints"
                    + " one, e.g. \"0/16B3748\" (SELECT pg_current_wal_lsn())");
        }
    }

    private static Instant time(JsonNode value) {
        try {
            if (!value.isTextual()) {
                throw new DateTimeParseException("not text", value.toString(), 0);
            }
            return OffsetDateTime.parse(value.asText().strip()).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException("target.time " + value + " is not an ISO-8601 time with a zone offset:"
                    + " use e.g. \"2026-11-23T10:00:00Z\" or \"2026-11-23T11:00:00+01:00\"");
        }
    }

    private static long xid(JsonNode value) {
        BigInteger xid = null;
        if (value.isIntegralNumber()) {
            xid = value.bigIntegerValue();
        } else if (value.isTextual() && value.asText().strip().matches("[0-9]{1,20}")) {
            xid = new BigInteger(value.asText().strip());
        }
        if (xid == null || xid.compareTo(BigInteger.valueOf(FIRST_NORMAL_XID)) < 0 || xid.bitLength() > 63) {
            throw new InvalidRequestException("target.xid " + value + " is not a transaction id: give a whole number"
                    + " from " + FIRST_NORMAL_XID + " up, a 32-bit xid or an epoch-qualified xid8 (SELECT"
                    + " pg_current_xact_id())");
        }
        return xid.longValueExact();
    }

    private static String restorePoint(JsonNode value) {
        if (!value.isTextual()) {
            throw new InvalidRequestException("target.restorePoint must be the name of a restore point, e.g."
                    + " {\"restorePoint\": \"before-migration\"}");
        }
        return RestorePointMarker.checkName(value.asText());
    }

    private static Latest latest(JsonNode value) {
        if (!value.isBoolean() || !value.booleanValue()) {
            throw new InvalidRequestException(
                    "target.latest must be true: {\"latest\": true} restores everything durable when the job starts");
        }
        return new Latest();
    }

    /** The target as the API shows it and the metadata database keeps it: one property, as requested. */
    default Map<String, Object> asJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        switch (this) {
            case AtLsn t -> json.put("lsn", t.lsn().toString());
            case AtTime t -> json.put("time", t.time().toString());
            case AtXid t -> json.put("xid", t.xid());
            case AtRestorePoint t -> json.put("restorePoint", t.name());
            case Latest t -> json.put("latest", true);
        }
        return json;
    }
}
