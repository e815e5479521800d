package io.recall.cli.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.http.Json;
import io.recall.cli.text.Formats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One line saying where a restore job stands, from its view ({@code GET /api/v1/restores/{id}}):
 * {@code RUNNING  replaying  segments 12/40  1,234,567 rows  58.2k rows/s  ETA 3m 12s  elapsed 1m 05s}. Parts the
 * worker has not reported yet are left out.
 */
final class ProgressLine {

    private ProgressLine() {}

    static String format(JsonNode view, Instant now) {
        String status = Json.text(view, "status");
        JsonNode progress = view.path("progress");
        List<String> parts = new ArrayList<>();
        parts.add(status == null ? "UNKNOWN" : status);
        switch (status == null ? "" : status) {
            case "QUEUED" -> parts.add("waiting for a restore worker");
            case "SUCCEEDED" -> {
                parts.add("restored to " + restoredTo(view));
                rows(progress, parts);
                took(view, parts);
            }
            case "FAILED" -> {
                String phase = phase(progress);
                parts.add((phase == null ? "" : "in " + phase + ": ") + Json.text(view, "error"));
            }
            case "CANCELLED" -> took(view, parts);
            default -> running(view, progress, now, parts);
        }
        if (Json.flag(view, "cancelRequested") && !"CANCELLED".equals(status)) {
            parts.add("(cancel requested)");
        }
        return String.join("  ", parts);
    }

    /** {@code 0/16B3748 (2026-11-23T10:00:00Z)}, or "-" when the job has not said. */
    static String restoredTo(JsonNode view) {
        JsonNode to = view.path("restoredTo");
        String lsn = Json.text(to, "lsn");
        if (lsn == null) {
            return Formats.NONE;
        }
        String time = Formats.time(Json.text(to, "time"));
        return time == null ? lsn : lsn + " (" + time + ")";
    }

    private static void running(JsonNode view, JsonNode progress, Instant now, List<String> parts) {
        String phase = phase(progress);
        parts.add(phase == null ? "starting" : phase);
        Long segmentsTotal = Json.number(progress, "segmentsTotal");
        Long bytesTotal = Json.number(progress, "bytesTotal");
        if (segmentsTotal != null) {
            Long applied = Json.number(progress, "segmentsApplied");
            parts.add("segments " + (applied == null ? 0 : applied) + "/" + segmentsTotal);
        } else if (bytesTotal != null && bytesTotal > 0) {
            Long read = Json.number(progress, "bytesRead");
            parts.add(Formats.bytes(read == null ? 0 : read) + "/" + Formats.bytes(bytesTotal));
        }
        rows(progress, parts);
        Double rate = Json.decimal(progress, "rowsPerSecond");
        if (rate != null && rate > 0) {
            parts.add(Formats.compact(rate) + " rows/s");
        }
        Long eta = Json.number(progress, "etaSeconds");
        if (eta != null) {
            parts.add("ETA " + Formats.duration(Duration.ofSeconds(eta)));
        }
        Instant started = Formats.instant(Json.text(view, "startedAt"));
        if (started != null) {
            parts.add("elapsed " + Formats.duration(Duration.between(started, now)));
        }
    }

    private static void rows(JsonNode progress, List<String> parts) {
        Long rows = Json.number(progress, "rowsApplied");
        if (rows != null) {
            parts.add(Formats.count(rows) + (rows == 1 ? " row" : " rows"));
        }
    }

    private static void took(JsonNode view, List<String> parts) {
        Instant started = Formats.instant(Json.text(view, "startedAt"));
        Instant finished = Formats.instant(Json.text(view, "finishedAt"));
        if (started != null && finished != null) {
            parts.add("in " + Formats.duration(Duration.between(started, finished)));
        }
    }

    /** {@code REPLAYING} as {@code replaying}, {@code RESTORING_BASE} as {@code restoring base}. */
    private static String phase(JsonNode progress) {
        String phase = Json.text(progress, "phase");
        return phase == null ? null : phase.toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
