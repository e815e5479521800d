package io.recall.cli.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.http.Json;
import io.recall.common.Lsn;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A recovery window ({@code {"intervals": [...], "gaps": [...]}}, as {@code GET .../recovery-window} and a 422
 * refusal carry it) as a timeline: restorable intervals and gaps in LSN order, times in UTC, how long each interval
 * spans, and a summary line.
 */
public final class Timeline {

    private enum Kind {
        INTERVAL,
        GAP,
        APPROXIMATE
    }

    private record Entry(Lsn from, Kind kind, JsonNode node) {}

    private static final Comparator<Entry> IN_LSN_ORDER =
            Comparator.comparing(Entry::from).thenComparing(Entry::kind);

    private Timeline() {}

    public static void print(JsonNode window, PrintWriter out) {
        lines(window).forEach(out::println);
    }

    public static List<String> lines(JsonNode window) {
        List<Entry> entries = new ArrayList<>();
        int intervals = 0;
        int gaps = 0;
        Duration restorable = Duration.ZERO;
        Instant earliest = null;
        Instant latest = null;
        for (JsonNode i : window.path("intervals")) {
            entries.add(new Entry(Lsn.parse(Json.text(i, "fromLsn")), Kind.INTERVAL, i));
            intervals++;
            Instant from = Formats.instant(Json.text(i, "fromTime"));
            Instant to = Formats.instant(Json.text(i, "toTime"));
            if (from != null && to != null) {
                restorable = restorable.plus(Duration.between(from, to));
                earliest = earliest == null || from.isBefore(earliest) ? from : earliest;
                latest = latest == null || to.isAfter(latest) ? to : latest;
            }
        }
        for (JsonNode g : window.path("gaps")) {
            entries.add(new Entry(Lsn.parse(Json.text(g, "fromLsn")), Kind.GAP, g));
            gaps++;
        }
        int approximate = 0;
        for (JsonNode a : window.path("approximate")) {
            entries.add(new Entry(Lsn.parse(Json.text(a, "fromLsn")), Kind.APPROXIMATE, a));
            approximate++;
        }
        entries.sort(IN_LSN_ORDER);

        List<String> lines = new ArrayList<>();
        if (entries.isEmpty()) {
            lines.add("nothing restorable yet: no base backup has finished");
            return lines;
        }
        Table table = new Table("", "FROM LSN", "FROM (UTC)", "TO LSN", "TO (UTC)", "SPAN");
        for (Entry e : entries) {
            JsonNode n = e.node();
            if (e.kind() != Kind.INTERVAL) {
                String to = Json.text(n, "toLsn");
                String reason = Json.text(n, "reason");
                String what = e.kind() == Kind.GAP ? "not restorable" : "restorable, approximately";
                table.row(
                        e.kind() == Kind.GAP ? "gap" : "approximate",
                        Json.text(n, "fromLsn"),
                        "",
                        to == null ? "open" : to,
                        "",
                        reason == null ? what : what + ": " + reason);
            } else {
                Instant from = Formats.instant(Json.text(n, "fromTime"));
                Instant to = Formats.instant(Json.text(n, "toTime"));
                table.row(
                        "restorable",
                        Json.text(n, "fromLsn"),
                        Formats.time(Json.text(n, "fromTime")),
                        Json.text(n, "toLsn"),
                        Formats.time(Json.text(n, "toTime")),
                        from == null || to == null ? null : Formats.duration(Duration.between(from, to)));
            }
        }
        lines.addAll(table.lines());
        lines.add("");
        StringBuilder summary = new StringBuilder();
        if (intervals == 0) {
            summary.append("nothing restorable");
        } else {
            summary.append(intervals == 1 ? "1 restorable interval" : intervals + " restorable intervals")
                    .append(", ")
                    .append(Formats.duration(restorable))
                    .append(" in all");
            if (earliest != null) {
                summary.append(", from ").append(earliest).append(" to ").append(latest);
            }
        }
        summary.append("; ").append(gaps == 1 ? "1 gap" : gaps + " gaps");
        if (approximate > 0) {
            summary.append("; ")
                    .append(approximate == 1 ? "1 approximate range" : approximate + " approximate ranges")
                    .append(" (schema changes captured without event triggers)");
        }
        lines.add(summary.toString());
        return lines;
    }
}
