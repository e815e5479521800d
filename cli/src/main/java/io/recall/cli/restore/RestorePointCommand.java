package io.recall.cli.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.ApiCommand;
import io.recall.cli.Session;
import io.recall.cli.http.Json;
import io.recall.cli.sources.SourceArgument;
import io.recall.cli.text.Formats;
import io.recall.cli.text.Table;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code recall restore-point ...}: named points to restore to. */
@Command(
        name = "restore-point",
        description = "Create and list named restore points (restore to one with --to point:<name>).",
        subcommands = {RestorePointCommand.Create.class, RestorePointCommand.ListPoints.class})
public final class RestorePointCommand {

    @Command(
            name = "create",
            description = "Mark the source's current WAL position under a name: restoring to it applies every"
                    + " transaction committed before it.")
    static final class Create extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Parameters(index = "1", paramLabel = "<name>", description = "the point's name, e.g. before-migration")
        String name;

        @Override
        protected int run(Session s) {
            JsonNode point = s.api().post(source.path(s.api()) + "/restore-points", Map.of("name", name));
            return s.print(
                    point,
                    out -> out.println("restore point '" + Json.text(point, "name") + "' at " + Json.text(point, "lsn")
                            + " (" + Formats.time(Json.text(point, "time")) + ")"));
        }
    }

    @Command(name = "list", description = "List the source's restore points in LSN order.")
    static final class ListPoints extends ApiCommand {

        @Mixin
        SourceArgument source;

        @Override
        protected int run(Session s) {
            JsonNode points = s.api().get(source.path(s.api()) + "/restore-points");
            return s.printList(points, "no restore points yet", out -> {
                Table table = new Table("NAME", "LSN", "TIME (UTC)");
                points.forEach(
                        p -> table.row(Json.text(p, "name"), Json.text(p, "lsn"), Formats.time(Json.text(p, "time"))));
                table.print(out);
            });
        }
    }
}
