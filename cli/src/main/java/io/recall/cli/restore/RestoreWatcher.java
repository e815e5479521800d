package io.recall.cli.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.Session;
import io.recall.cli.http.ApiException;
import io.recall.cli.http.Json;
import io.recall.cli.text.Formats;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Follows a restore job until it ends, polling {@code GET /api/v1/restores/{id}}, and shows its progress on stderr:
 * on a terminal one line redrawn in place; elsewhere (logs, CI) a plain line whenever the status or phase changes and
 * at least every {@link #PLAIN_EVERY} otherwise. Recall not answering for a while (a coordinator restart) is waited
 * out for {@link #OUTAGE_PATIENCE}. Not thread-safe.
 */
final class RestoreWatcher {

    static final Duration PLAIN_EVERY = Duration.ofSeconds(10);
    static final Duration OUTAGE_PATIENCE = Duration.ofSeconds(60);
    /** Terminal width when {@code COLUMNS} does not say. */
    private static final int DEFAULT_WIDTH = 120;

    private final Session session;
    private final Duration pollInterval;
    private final Clock clock;

    RestoreWatcher(Session session, Duration pollInterval, Clock clock) {
        this.session = session;
        this.pollInterval = pollInterval;
        this.clock = clock;
    }

    /** @return the job's view once it has ended (SUCCEEDED, FAILED or CANCELLED) */
    JsonNode watch(JsonNode view) {
        String path = "/api/v1/restores/" + Json.text(view, "id");
        PrintWriter err = session.err();
        boolean terminal = session.context().stderrIsTerminal();
        int width = width();
        String lastStage = null;
        Instant lastPrinted = Instant.MIN;
        Instant failingSince = null;
        String outage = null;
        while (!RestoreText.finished(view)) {
            Instant now = clock.instant();
            String line = ProgressLine.format(view, now) + (outage == null ? "" : "  (" + outage + ")");
            String stage = Json.text(view, "status") + "/" + Json.text(view.path("progress"), "phase");
            if (terminal) {
                err.print("\r" + Formats.abbreviate(line, width - 1) + "\u001b[K");
                err.flush();
            } else if (!Objects.equals(stage, lastStage)
                    || !now.isBefore(lastPrinted.plus(PLAIN_EVERY))
                    || outage != null) {
                err.println(line);
                err.flush();
                lastPrinted = now;
            }
            lastStage = stage;
            sleep();
            try {
                view = session.api().get(path);
                failingSince = null;
                outage = null;
            } catch (ApiException e) {
                if (e.kind() != ApiException.Kind.UNAVAILABLE) {
                    throw e;
                }
                failingSince = failingSince == null ? clock.instant() : failingSince;
                if (Duration.between(failingSince, clock.instant()).compareTo(OUTAGE_PATIENCE) > 0) {
                    throw e;
                }
                outage = "Recall is not answering; still trying";
            }
        }
        if (terminal) {
            err.print("\r\u001b[K");
            err.flush();
        }
        return view;
    }

    private void sleep() {
        try {
            Thread.sleep(pollInterval);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while following the restore", e);
        }
    }

    private int width() {
        try {
            return Integer.parseInt(
                    session.context().env().getOrDefault("COLUMNS", "").strip());
        } catch (NumberFormatException e) {
            return DEFAULT_WIDTH;
        }
    }
}
