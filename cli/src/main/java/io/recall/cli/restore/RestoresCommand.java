package io.recall.cli.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.ApiCommand;
import io.recall.cli.RecallCli;
import io.recall.cli.Session;
import io.recall.cli.http.Json;
import io.recall.cli.sources.SourceRef;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code recall restores ...}: restore jobs, past and running. */
@Command(
        name = "restores",
        description = "List, show and cancel restore jobs.",
        subcommands = {RestoresCommand.ListRestores.class, RestoresCommand.Show.class, RestoresCommand.Cancel.class})
public final class RestoresCommand {

    @Command(name = "list", description = "List restore jobs, newest first.")
    static final class ListRestores extends ApiCommand {

        @Option(names = "--source", paramLabel = "<source>", description = "only this source's (id or name)")
        String source;

        @Option(
                names = "--status",
                paramLabel = "<status>",
                description = "only jobs in this status: QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
        String status;

        @Override
        protected int run(Session s) {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("sourceId", source == null ? null : SourceRef.id(s.api(), source));
            query.put("status", status == null ? null : status.toUpperCase(Locale.ROOT));
            JsonNode restores = s.api().get("/api/v1/restores", query);
            return s.printList(
                    restores, "no restores" + (source != null || status != null ? " match" : " yet"), out -> {
                        Map<String, String> names = new HashMap<>();
                        s.api()
                                .get("/api/v1/sources")
                                .forEach(src -> names.put(Json.text(src, "id"), Json.text(src, "name")));
                        RestoreText.list(restores, names).print(out);
                    });
        }
    }

    @Command(
            name = "show",
            description =
                    "Show one restore job: target, status, progress, where it ended. Exits 0 whatever its status.")
    static final class Show extends ApiCommand {

        @Parameters(index = "0", paramLabel = "<id>", description = "the restore's id")
        String id;

        @Override
        protected int run(Session s) {
            JsonNode view = s.api().get("/api/v1/restores/" + id);
            return s.print(view, out -> RestoreText.show(view, Instant.now()).forEach(out::println));
        }
    }

    @Command(
            name = "cancel",
            description = "Cancel a restore job: a queued one at once, a running one when its worker stops it (exit 1"
                    + " if it has already ended).")
    static final class Cancel extends ApiCommand {

        @Parameters(index = "0", paramLabel = "<id>", description = "the restore's id")
        String id;

        @Override
        protected int run(Session s) {
            JsonNode view = s.api().post("/api/v1/restores/" + id + "/cancel", null);
            return s.print(
                    view, out -> out.println("cancel requested: restore " + id + " is " + Json.text(view, "status")));
        }
    }

    /** Prints how a followed restore ended: 0 when it SUCCEEDED, 1 (with the error on stderr) otherwise. */
    static int outcome(Session s, JsonNode view) {
        boolean succeeded = "SUCCEEDED".equals(Json.text(view, "status"));
        if (s.json()) {
            s.printJson(view);
        } else if (succeeded) {
            s.out().println("restore " + Json.text(view, "id") + " " + ProgressLine.format(view, Instant.now()));
        } else {
            s.err().println("error: restore " + Json.text(view, "id") + " " + ProgressLine.format(view, Instant.now()));
        }
        return succeeded ? RecallCli.OK : RecallCli.REFUSED;
    }
}
