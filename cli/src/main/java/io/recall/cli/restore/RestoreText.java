package io.recall.cli.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.http.Json;
import io.recall.cli.text.Fields;
import io.recall.cli.text.Formats;
import io.recall.cli.text.Table;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Restore jobs ({@code RestoreView} of the API) as a list table and as one job's fields. */
final class RestoreText {

    static final List<String> TERMINAL = List.of("SUCCEEDED", "FAILED", "CANCELLED");

    private RestoreText() {}

    static boolean finished(JsonNode view) {
        return TERMINAL.contains(Json.text(view, "status"));
    }

    /** The {@code target} property as {@code LSN 0/16B3748}, {@code latest}, ... */
    static String target(JsonNode view) {
        JsonNode target = view.path("target");
        if (!target.isObject() || target.isEmpty()) {
            return null;
        }
        Map.Entry<String, JsonNode> only = target.fields().next();
        return TargetSpec.describe(only.getKey(), only.getValue().asText());
    }

    /** @param sourceNames source id to name, to show names instead of ids where known */
    static Table list(JsonNode restores, Map<String, String> sourceNames) {
        Table table = new Table("ID", "STATUS", "SOURCE", "TARGET", "REQUESTED AT", "FINISHED AT", "RESTORED TO");
        for (JsonNode r : restores) {
            String source = Json.text(r, "sourceId");
            table.row(
                    Json.text(r, "id"),
                    Json.text(r, "status"),
                    sourceNames.getOrDefault(source, source),
                    target(r),
                    Formats.time(Json.text(r, "requestedAt")),
                    Formats.time(Json.text(r, "finishedAt")),
                    ProgressLine.restoredTo(r));
        }
        return table;
    }

    static List<String> show(JsonNode r, Instant now) {
        String requestedBy = Json.text(r, "requestedBy");
        String requestedAt = Formats.time(Json.text(r, "requestedAt"));
        String tables = Formats.joined(r.get("tables"));
        Long attempt = Json.number(r, "attempt");
        Fields fields = new Fields()
                .add("id", Json.text(r, "id"))
                .add("source", Json.text(r, "sourceId"))
                .add("status", Json.text(r, "status"))
                .add("target", target(r) + (Json.flag(r, "inclusive") ? " (inclusive)" : " (exclusive)"))
                .add("into", Json.text(r, "targetDatabase"))
                .add("mode", Json.text(r, "mode"))
                .add("create database", Json.flag(r, "createDatabase") ? "yes" : null)
                .add("tables", tables == null ? "all captured" : tables)
                .add("requested", requestedBy == null ? requestedAt : requestedAt + " by " + requestedBy)
                .add("started", Formats.time(Json.text(r, "startedAt")))
                .add("finished", Formats.time(Json.text(r, "finishedAt")))
                .add("cancel", Json.flag(r, "cancelRequested") ? "requested" : null)
                .add("base backup", Json.text(r, "baseBackupId"))
                .add("cut-off LSN", Json.text(r, "cutoffLsn"))
                .add("restored to", Json.present(r, "restoredTo") == null ? null : ProgressLine.restoredTo(r))
                .add("error", Json.text(r, "error"))
                .add("worker", Json.text(r, "worker"))
                .add("attempt", attempt == null || attempt <= 1 ? null : attempt)
                .add("progress", finished(r) ? null : ProgressLine.format(r, now));
        String message = Json.text(r.path("progress"), "message");
        if (message != null && !finished(r)) {
            fields.add("worker says", message);
        }
        return new ArrayList<>(fields.lines());
    }
}
