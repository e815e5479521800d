package io.recall.cli.sources;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.ApiCommand;
import io.recall.cli.Session;
import io.recall.cli.http.Json;
import io.recall.cli.text.ProbeReportText;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code recall sources ...}: register, list, inspect, re-probe, pause, resume and remove sources. */
@Command(
        name = "sources",
        description = "Register, list, inspect, probe, pause, resume and remove sources.",
        subcommands = {
            SourcesCommand.Add.class,
            SourcesCommand.ListSources.class,
            SourcesCommand.Show.class,
            SourcesCommand.Probe.class,
            SourcesCommand.Pause.class,
            SourcesCommand.Resume.class,
            SourcesCommand.Remove.class
        })
public final class SourcesCommand {

    @Command(
            name = "add",
            description = {
                "Register a source. Recall probes it first: a failing check refuses it (exit 1) and the report says"
                        + " what to fix; warnings are shown and the source is registered."
            })
    static final class Add extends ApiCommand {

        @Parameters(index = "0", paramLabel = "<name>", description = "a unique name for the source")
        String name;

        @Option(
                names = "--connection",
                required = true,
                paramLabel = "<dsn>",
                description = "postgresql://user:password@host:5432/db?sslmode=verify-full, or a libpq string"
                        + " ('host=... dbname=... user=... password=...'); '-' reads it from standard input, which"
                        + " keeps the password out of the process list")
        String connection;

        @Option(
                names = "--table",
                paramLabel = "<schema.table|schema.*>",
                description = "a table or every table of a schema to capture (repeatable; default: every user table)")
        List<String> tables;

        @Option(
                names = "--exclude-table",
                paramLabel = "<schema.table|schema.*>",
                description = "leave a table out of the selection (repeatable)")
        List<String> excludeTables;

        @Option(
                names = "--schedule",
                paramLabel = "<cron>",
                description = "base backup schedule, a Spring cron expression (six fields, seconds first), e.g."
                        + " '0 0 3 * * *'")
        String schedule;

        @Option(names = "--retention-days", paramLabel = "<N>", description = "keep backups and changes for N days")
        Integer retentionDays;

        @Override
        protected int run(Session s) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("connectionString", s.connectionString(connection));
            if (tables != null) {
                body.put("tables", tables);
            }
            if (excludeTables != null) {
                body.put("excludeTables", excludeTables);
            }
            if (schedule != null) {
                body.put("baseBackupSchedule", schedule);
            }
            if (retentionDays != null) {
                body.put("retention", Map.of("days", retentionDays));
            }
            JsonNode created = s.api().post("/api/v1/sources", body);
            return s.print(created, out -> SourceText.registered(created, out));
        }
    }

    @Command(name = "list", description = "List the sources with their capture status and watermarks.")
    static final class ListSources extends ApiCommand {

        @Override
        protected int run(Session s) {
            JsonNode sources = s.api().get("/api/v1/sources");
            return s.printList(
                    sources,
                    "no sources yet: register one with 'recall sources add'",
                    out -> SourceText.list(sources).print(out));
        }
    }

    @Command(name = "show", description = "Show one source: configuration, status, watermarks, latest probe report.")
    static final class Show extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Override
        protected int run(Session s) {
            JsonNode view = SourceRef.find(s.api(), source.ref());
            return s.print(view, out -> SourceText.show(view).forEach(out::println));
        }
    }

    @Command(
            name = "probe",
            description = "Run the capability probe again (picks up new tables that match the selection). Exits 0"
                    + " whatever the outcome: read it from the report ('outcome' with --output json).")
    static final class Probe extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Override
        protected int run(Session s) {
            JsonNode report = s.api().post(source.path(s.api()) + "/probe", null);
            return s.print(report, out -> ProbeReportText.print(report, out));
        }
    }

    @Command(
            name = "pause",
            description = "Pause capture. The replication slot is kept, so nothing is lost, and the source retains"
                    + " WAL for it until it is resumed or removed.")
    static final class Pause extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Override
        protected int run(Session s) {
            return control(s, source, "pause");
        }
    }

    @Command(name = "resume", description = "Resume capture from where the replication slot stopped.")
    static final class Resume extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Override
        protected int run(Session s) {
            return control(s, source, "resume");
        }
    }

    @Command(
            name = "remove",
            description = "Stop capture, drop the slot and publication on the source, and forget it. Stored backups"
                    + " and changes are kept unless --purge.")
    static final class Remove extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Option(
                names = "--force",
                description = "forget the source even if it cannot be reached; the answer says what to drop on it by"
                        + " hand")
        boolean force;

        @Option(names = "--purge", description = "also delete everything stored for it: base backups and segments")
        boolean purge;

        @Override
        protected int run(Session s) {
            JsonNode removed = s.api().delete(source.path(s.api()) + "?force=" + force + "&purge=" + purge);
            return s.print(removed, out -> {
                Long deleted = Json.number(removed, "objectsDeleted");
                out.println("removed source " + Json.text(removed, "id") + ": slot "
                        + (Json.flag(removed, "slotDropped") ? "dropped" : "not dropped") + ", publication "
                        + (Json.flag(removed, "publicationDropped") ? "dropped" : "not dropped")
                        + (deleted == null
                                ? "; stored backups and segments kept"
                                : "; " + deleted + " stored objects deleted"));
                removed.path("warnings").forEach(w -> out.println("warning: " + w.asText()));
            });
        }
    }

    private static int control(Session s, SourceArgument source, String action) {
        JsonNode answer = s.api().post(source.path(s.api()) + "/" + action, null);
        return s.print(answer, out -> out.println(Json.text(answer, "message")));
    }
}
