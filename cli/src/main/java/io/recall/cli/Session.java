package io.recall.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.http.ApiClient;
import io.recall.cli.http.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/** One command's run: the API, the process's streams, and the output form asked for. Not thread-safe. */
public record Session(ApiClient api, CliContext context, OutputFormat format) {

    public boolean json() {
        return format == OutputFormat.JSON;
    }

    public PrintWriter out() {
        return context.out();
    }

    public PrintWriter err() {
        return context.err();
    }

    /** Prints an API document as it came, pretty-printed. */
    public void printJson(JsonNode document) {
        context.out().println(Json.pretty(document));
    }

    /**
     * Prints an answer: as it came with {@code --output json}, else as {@code asText} writes it on stdout.
     *
     * @return {@link RecallCli#OK}, as a command that got its answer exits
     */
    public int print(JsonNode document, Consumer<PrintWriter> asText) {
        if (json()) {
            printJson(document);
        } else {
            asText.accept(context.out());
        }
        return RecallCli.OK;
    }

    /** {@link #print} for a list: {@code none} says there is nothing in it. */
    public int printList(JsonNode list, String none, Consumer<PrintWriter> asText) {
        return print(list, out -> {
            if (list.isEmpty()) {
                out.println(none);
            } else {
                asText.accept(out);
            }
        });
    }

    /**
     * A connection string given as an option: {@code -} reads it from the first line of standard input, which keeps
     * its password out of the process list and the shell history.
     */
    public String connectionString(String option) {
        if (!"-".equals(option)) {
            return option;
        }
        try {
            String line = context.in().readLine();
            return line == null ? "" : line.strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
