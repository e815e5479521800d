package io.recall.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.http.ApiException;
import io.recall.cli.http.Json;
import io.recall.cli.text.ProbeReportText;
import io.recall.cli.text.Secrets;
import io.recall.cli.text.Timeline;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * An API failure on stderr: {@code error: <title>: <detail>}, then what the problem carries besides — a probe report
 * and a recovery window readably, other properties as {@code name: value} — and a hint where one helps. With
 * {@code --output json} the problem document itself, so that scripts can read it.
 */
final class ErrorReport {

    private static final Set<String> STANDARD = Set.of("type", "title", "status", "detail", "instance");

    private ErrorReport() {}

    static void print(ApiException e, Session session) {
        PrintWriter err = session.err();
        JsonNode problem = e.problem();
        if (session.json() && e.status() > 0) {
            err.println(Secrets.mask(Json.pretty(problem)));
            return;
        }
        String title = Json.text(problem, "title");
        String detail = Secrets.mask(Json.text(problem, "detail"));
        StringBuilder head = new StringBuilder("error: ").append(title == null ? "HTTP " + e.status() : title);
        if (e.status() > 0) {
            head.append(" (HTTP ").append(e.status()).append(')');
        }
        if (detail != null && !detail.isBlank()) {
            head.append(": ").append(detail);
        }
        err.println(head);
        for (Iterator<Map.Entry<String, JsonNode>> it = problem.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> property = it.next();
            String name = property.getKey();
            JsonNode value = property.getValue();
            if (STANDARD.contains(name)) {
                continue;
            }
            if (name.equals("report") && value.isObject()) {
                err.println();
                ProbeReportText.print(value, err);
            } else if (name.equals("window") && value.isObject()) {
                err.println();
                err.println("recovery window:");
                Timeline.lines(value).forEach(l -> err.println(l.isEmpty() ? l : "  " + l));
            } else if (value.isValueNode()) {
                err.println("  " + name + ": " + Secrets.mask(value.asText()));
            } else {
                err.println("  " + name + ": " + Secrets.mask(value.toString()));
            }
        }
        if (e.status() == 401) {
            err.println("hint: give a token with --token, RECALL_TOKEN or --token-file (Recall standalone writes one"
                    + " to data/admin-token)");
        }
    }
}
