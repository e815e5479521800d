package io.recall.cli.sources;

import io.recall.cli.http.ApiClient;
import picocli.CommandLine.Parameters;

/** The {@code <source>} argument of the commands that act on one source (a picocli mixin): its id or its name. */
public final class SourceArgument {

    @Parameters(index = "0", paramLabel = "<source>", description = "the source's id, or its name")
    String ref;

    /** {@code /api/v1/sources/{id}}, looking the name up when a name was given. */
    public String path(ApiClient api) {
        return SourceRef.path(id(api));
    }

    public String id(ApiClient api) {
        return SourceRef.id(api, ref);
    }

    String ref() {
        return ref;
    }
}
