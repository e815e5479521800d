package io.recall.cli.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.ApiCommand;
import io.recall.cli.Session;
import io.recall.cli.http.Json;
import io.recall.cli.sources.SourceArgument;
import io.recall.cli.text.Formats;
import io.recall.cli.text.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code recall backups ...}: a source's base backups. */
@Command(
        name = "backups",
        description = "List a source's base backups, or take one now.",
        subcommands = {BackupsCommand.ListBackups.class, BackupsCommand.Create.class})
public final class BackupsCommand {

    @Command(name = "list", description = "List the source's base backups, newest first.")
    static final class ListBackups extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Override
        protected int run(Session s) {
            JsonNode backups = s.api().get(source.path(s.api()) + "/base-backups");
            return s.printList(
                    backups, "no base backups yet", out -> table(backups).print(out));
        }

        private static Table table(JsonNode backups) {
            Table table = new Table(
                    "ID", "STATUS", "REASON", "CONSISTENT LSN", "SNAPSHOT AT", "SIZE", "FINISHED AT", "ERROR");
            for (JsonNode b : backups) {
                Long size = Json.number(b, "totalBytes");
                table.row(
                        Json.text(b, "id"),
                        Json.text(b, "status"),
                        Json.text(b, "reason"),
                        Json.text(b, "consistentLsn"),
                        Formats.time(Json.text(b, "snapshotTime")),
                        size == null ? null : Formats.bytes(size),
                        Formats.time(Json.text(b, "finishedAt")),
                        Formats.abbreviate(Json.text(b, "error"), 60));
            }
            return table;
        }
    }

    @Command(
            name = "create",
            description = "Take a base backup now; a capture worker takes it (follow it with 'backups list').")
    static final class Create extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Override
        protected int run(Session s) {
            JsonNode requested = s.api().post(source.path(s.api()) + "/base-backups", null);
            return s.print(requested, out -> {
                out.println("base backup requested: " + Json.text(requested, "requestId") + " ("
                        + Json.text(requested, "status") + ")");
                String message = Json.text(requested, "message");
                if (message != null) {
                    out.println(message);
                }
            });
        }
    }
}
