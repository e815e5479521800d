package io.recall.cli.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.ApiCommand;
import io.recall.cli.Session;
import io.recall.cli.sources.SourceArgument;
import io.recall.cli.text.Timeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code recall window <source>}: what the source can be restored to. */
@Command(
        name = "window",
        description = "Show the source's recovery window: the intervals it can be restored to and the gaps in its"
                + " stream, in LSN order, times in UTC.")
public final class WindowCommand extends ApiCommand {

    @Mixin
    SourceArgument source;

    @Override
    protected int run(Session s) {
        JsonNode window = s.api().get(source.path(s.api()) + "/recovery-window");
        return s.print(window, out -> Timeline.print(window, out));
    }
}
