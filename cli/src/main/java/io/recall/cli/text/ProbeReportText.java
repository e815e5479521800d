package io.recall.cli.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.http.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A capability report ({@code {"outcome", "probedAt", "serverVersion", "checks": [{"id", "status", "found", "why",
 * "fix"}]}}) as an outcome line, a table of checks, and for each WARN and FAIL why it matters and its fix.
 */
public final class ProbeReportText {

    /** Longer findings are cut in the table; {@code --output json} has them whole. */
    static final int FOUND_WIDTH = 70;

    private ProbeReportText() {}

    public static void print(JsonNode report, PrintWriter out) {
        lines(report).forEach(out::println);
    }

    public static List<String> lines(JsonNode report) {
        List<String> lines = new ArrayList<>();
        StringBuilder head = new StringBuilder("capability probe: ").append(Json.text(report, "outcome"));
        String version = Json.text(report, "serverVersion");
        String at = Json.text(report, "probedAt");
        if (version != null || at != null) {
            head.append(" (");
            if (version != null) {
                head.append("PostgreSQL ").append(version);
            }
            if (at != null) {
                head.append(version != null ? ", " : "").append("probed ").append(Formats.time(at));
            }
            head.append(')');
        }
        lines.add(head.toString());
        Table checks = new Table("CHECK", "STATUS", "FOUND");
        List<JsonNode> notable = new ArrayList<>();
        for (JsonNode c : report.path("checks")) {
            checks.row(
                    Json.text(c, "id"), Json.text(c, "status"), Formats.abbreviate(Json.text(c, "found"), FOUND_WIDTH));
            if (!"PASS".equals(Json.text(c, "status"))) {
                notable.add(c);
            }
        }
        if (!checks.isEmpty()) {
            checks.lines().forEach(l -> lines.add("  " + l));
        }
        for (JsonNode c : notable) {
            lines.add("");
            lines.add(Json.text(c, "id") + " " + Json.text(c, "status") + ": " + Json.text(c, "found"));
            String why = Json.text(c, "why");
            if (why != null) {
                lines.add("  why: " + why);
            }
            String fix = Json.text(c, "fix");
            if (fix != null) {
                lines.add("  fix: " + fix);
            }
        }
        return lines;
    }
}
