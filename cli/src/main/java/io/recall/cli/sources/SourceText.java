package io.recall.cli.sources;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.http.Json;
import io.recall.cli.text.Fields;
import io.recall.cli.text.Formats;
import io.recall.cli.text.ProbeReportText;
import io.recall.cli.text.Table;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Sources ({@code SourceView} of the API) as a list table and as one source's fields. */
final class SourceText {

    private SourceText() {}

    static Table list(JsonNode sources) {
        Table table =
                new Table("ID", "NAME", "STATUS", "TABLES", "DURABLE LSN", "ARCHIVED LSN", "ARCHIVED AT", "SLOT LAG");
        for (JsonNode s : sources) {
            Long lag = Json.number(s, "slotLagBytes");
            table.row(
                    Json.text(s, "id"),
                    Json.text(s, "name"),
                    status(s),
                    s.path("tables").size(),
                    Json.text(s, "durableLsn"),
                    Json.text(s, "archivedLsn"),
                    Formats.time(Json.text(s, "archivedTime")),
                    lag == null ? null : Formats.bytes(lag));
        }
        return table;
    }

    static List<String> show(JsonNode s) {
        Long lag = Json.number(s, "slotLagBytes");
        Fields fields = new Fields()
                .add("id", Json.text(s, "id"))
                .add("name", Json.text(s, "name"))
                .add("connection", Json.text(s, "connectionString"))
                .add("status", status(s) + detail(Json.text(s, "statusDetail")))
                .add("tables", Formats.joined(s.path("tables")))
                .add("selection", Formats.joined(s.path("tablePatterns")))
                .add("excluded", Formats.joined(s.path("excludeTables")))
                .add("slot", Json.text(s, "slotName"))
                .add("publication", Json.text(s, "publicationName"))
                .add("backup schedule", Json.text(s, "baseBackupSchedule"))
                .add("retention", retention(s.get("retention")))
                .add("ddl capture", Json.text(s, "ddlCaptureMode"))
                .add("durable", at(Json.text(s, "durableLsn"), Json.text(s, "durableCommitTime")))
                .add("archived", at(Json.text(s, "archivedLsn"), Json.text(s, "archivedTime")))
                .add("slot lag", lag == null ? null : Formats.bytes(lag))
                .add("last error", Json.text(s, "lastError"))
                .add("archive error", archiveError(s))
                .add("removal", pending(Json.text(s, "deletionRequestedAt")))
                .add("created", Formats.time(Json.text(s, "createdAt")))
                .add("updated", Formats.time(Json.text(s, "updatedAt")));
        List<String> lines = new ArrayList<>(fields.lines());
        JsonNode probe = Json.present(s, "probe");
        if (probe != null) {
            lines.add("");
            lines.addAll(ProbeReportText.lines(probe));
        }
        return lines;
    }

    /** What {@code sources add} says on success: the source, and its report when the probe warned. */
    static void registered(JsonNode s, PrintWriter out) {
        out.println("registered source '" + Json.text(s, "name") + "' as " + Json.text(s, "id") + ": " + status(s));
        JsonNode probe = Json.present(s, "probe");
        if (probe != null && !"PASS".equals(Json.text(probe, "outcome"))) {
            out.println();
            ProbeReportText.print(probe, out);
        }
    }

    private static String status(JsonNode s) {
        String status = Json.text(s, "status");
        return Json.flag(s, "paused") && !"PAUSED".equals(status) ? status + " (pausing)" : status;
    }

    private static String detail(String detail) {
        return detail == null || detail.isBlank() ? "" : " (" + detail + ")";
    }

    private static String retention(JsonNode retention) {
        if (retention == null || !retention.isObject() || retention.isEmpty()) {
            return null;
        }
        Long days = Json.number(retention, "days");
        return days != null && retention.size() == 1 ? days + " days" : retention.toString();
    }

    private static String at(String lsn, String time) {
        if (lsn == null) {
            return null;
        }
        return time == null ? lsn : lsn + " (" + Formats.time(time) + ")";
    }

    private static String archiveError(JsonNode s) {
        String error = Json.text(s, "archiveError");
        String since = Json.text(s, "archiveErrorSince");
        return error == null ? null : since == null ? error : error + " (since " + Formats.time(since) + ")";
    }

    private static String pending(String requestedAt) {
        return requestedAt == null ? null : "requested " + Formats.time(requestedAt) + ", not finished";
    }
}
