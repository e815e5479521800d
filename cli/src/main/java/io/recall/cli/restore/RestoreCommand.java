package io.recall.cli.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.ApiCommand;
import io.recall.cli.Session;
import io.recall.cli.http.Json;
import io.recall.cli.sources.SourceArgument;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code recall restore <source> --to <target> --into <dsn>}: requests a restore job and, unless {@code --no-wait},
 * follows it to its end. Exits 0 when it SUCCEEDED and 1 when it FAILED or was CANCELLED.
 */
@Command(
        name = "restore",
        description = {
            "Restore a source into another database, to a point in its recovery window, and follow the job to its"
                    + " end (progress on stderr; the outcome on stdout). Exits 0 when the restore SUCCEEDED, 1 when"
                    + " it FAILED or was CANCELLED. Ctrl-C stops following, not the restore.",
        })
public final class RestoreCommand extends ApiCommand {

    @Mixin
    SourceArgument source;

    @Option(
            names = "--to",
            required = true,
            paramLabel = "<target>",
            converter = TargetSpec.Converter.class,
            description = "latest; an LSN (0/16B3748); an ISO-8601 time with a zone offset (2026-11-23T10:00:00Z);"
                    + " xid:1234 (or 1234); point:<name> (a restore point)")
    TargetSpec to;

    @Option(
            names = "--into",
            required = true,
            paramLabel = "<dsn>",
            description = "the database to restore into, as postgresql://user:password@host/db or a libpq string;"
                    + " '-' reads it from standard input")
    String into;

    @Option(
            names = "--exclusive",
            description = "stop just before the target (the transaction at the LSN or xid, or committed at the time,"
                    + " is not applied)")
    boolean exclusive;

    @Option(
            names = "--overwrite",
            description = "replace what the target database holds (default: refuse a target that is not empty)")
    boolean overwrite;

    @Option(names = "--create-database", description = "create the target database if it does not exist")
    boolean createDatabase;

    @Option(
            names = "--table",
            paramLabel = "<schema.table|schema.*>",
            description = "restore only these tables (repeatable; default: every captured table)")
    List<String> tables;

    @Option(names = "--no-wait", description = "print the job and return at once; follow it with 'restores show'")
    boolean noWait;

    @Option(names = "--poll-interval", hidden = true, paramLabel = "<ms>", defaultValue = "1000")
    long pollMillis;

    @Override
    protected int run(Session s) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sourceId", source.id(s.api()));
        body.put("target", to.json());
        body.put("inclusive", !exclusive);
        body.put("targetConnectionString", s.connectionString(into));
        if (tables != null) {
            body.put("tables", tables);
        }
        body.put("mode", overwrite ? "overwrite" : "empty");
        body.put("createDatabase", createDatabase);
        JsonNode view = s.api().post("/api/v1/restores", body);
        String id = Json.text(view, "id");
        if (noWait) {
            return s.print(
                    view, out -> out.println("restore " + id + " " + Json.text(view, "status") + ": " + summary(view)));
        }
        s.err().println("restore " + id + " " + Json.text(view, "status") + ": " + summary(view));
        s.err().println("(Ctrl-C stops following it, not the restore; 'recall restores cancel " + id + "' cancels it)");
        JsonNode done = new RestoreWatcher(s, Duration.ofMillis(pollMillis), Clock.systemUTC()).watch(view);
        return RestoresCommand.outcome(s, done);
    }

    private static String summary(JsonNode view) {
        return "to " + RestoreText.target(view) + " into " + Json.text(view, "targetDatabase");
    }
}
