package io.recall.cli;

import io.recall.cli.catalog.BackupsCommand;
import io.recall.cli.catalog.WindowCommand;
import io.recall.cli.http.ApiClient;
import io.recall.cli.http.ApiException;
import io.recall.cli.restore.RestoreCommand;
import io.recall.cli.restore.RestorePointCommand;
import io.recall.cli.restore.RestoresCommand;
import io.recall.cli.sources.SourcesCommand;
import io.recall.cli.text.Secrets;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code recall}: the command-line client of Recall's REST API. The global options may stand before or after the
 * subcommand. Exit codes are a contract for scripts, listed in {@code --help} and the README.
 */
@Command(
        name = "recall",
        scope = ScopeType.INHERIT,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Command-line client of Recall: point-in-time recovery for PostgreSQL.",
        subcommands = {
            SourcesCommand.class,
            BackupsCommand.class,
            WindowCommand.class,
            RestorePointCommand.class,
            RestoreCommand.class,
            RestoresCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success (a restore: it SUCCEEDED)",
            "1:the API refused the request (HTTP 4xx other than 401/403: unknown source or restore, failed probe,"
                    + " target outside the recovery window, ...), or a restore ended FAILED or CANCELLED",
            "2:usage error: unknown command or option, missing or malformed argument",
            "3:Recall could not be reached, or it answered HTTP 5xx or something that is not its API",
            "4:authentication failed (HTTP 401: no token or an unknown one) or the token's role may not do this"
                    + " (HTTP 403)"
        },
        footer = {
            "",
            "Environment: RECALL_URL (for --url), RECALL_TOKEN (for --token).",
            "--output json prints the API's JSON unchanged on stdout; errors go to stderr (as the API's problem"
                    + " document with --output json)."
        })
public final class RecallCli {

    public static final int OK = 0;
    public static final int REFUSED = ApiException.Kind.REFUSED.exitCode();
    /** Picocli's own code for a command line it cannot parse. */
    public static final int USAGE = CommandLine.ExitCode.USAGE;

    public static final int UNAVAILABLE = ApiException.Kind.UNAVAILABLE.exitCode();
    public static final int UNAUTHORIZED = ApiException.Kind.UNAUTHORIZED.exitCode();

    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    /** Where {@code ./recall-standalone} keeps its admin token, relative to the working directory. */
    static final Path DEFAULT_TOKEN_FILE = Path.of("data", "admin-token");

    private final CliContext context;
    private String url;
    private String token;
    private Path tokenFile;
    private OutputFormat output = OutputFormat.TABLE;

    public RecallCli(CliContext context) {
        this.context = context;
    }

    public static void main(String[] args) {
        CliContext context = CliContext.system();
        int code = commandLine(context).execute(args);
        context.out().flush();
        context.err().flush();
        System.exit(code);
    }

    /** The command line as {@code main} runs it: the context's streams, case-insensitive enums, masked usage errors. */
    public static CommandLine commandLine(CliContext context) {
        CommandLine cli = new CommandLine(new RecallCli(context));
        cli.setOut(context.out());
        cli.setErr(context.err());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(RecallCli::usageError);
        return cli;
    }

    @Option(
            scope = ScopeType.INHERIT,
            order = 1,
            names = "--url",
            paramLabel = "<url>",
            description = "Recall's API address (default: RECALL_URL, else " + DEFAULT_URL + ")")
    void url(String url) {
        this.url = url;
    }

    @Option(
            scope = ScopeType.INHERIT,
            order = 2,
            names = "--token",
            paramLabel = "<token>",
            description = "API token (default: RECALL_TOKEN, else the token file); visible to other users in the"
                    + " process list: prefer RECALL_TOKEN or --token-file")
    void token(String token) {
        this.token = token;
    }

    @Option(
            scope = ScopeType.INHERIT,
            order = 3,
            names = "--token-file",
            paramLabel = "<file>",
            description = "file holding the API token (default: data/admin-token in the working directory, when"
                    + " it exists: Recall standalone writes it there)")
    void tokenFile(Path tokenFile) {
        this.tokenFile = tokenFile;
    }

    @Option(
            scope = ScopeType.INHERIT,
            order = 4,
            names = {"-o", "--output"},
            paramLabel = "table|json",
            description = "table (default): aligned text for people; json: the API's JSON unchanged, for jq")
    void output(OutputFormat output) {
        this.output = output;
    }

    @Option(
            scope = ScopeType.INHERIT,
            names = {"-h", "--help"},
            usageHelp = true,
            description = "show this help")
    boolean help;

    /** The API client and streams for one command, from the options, the environment and the token file. */
    Session open(CommandLine command) {
        return new Session(new ApiClient(baseUri(command), token(command)), context, output);
    }

    private URI baseUri(CommandLine command) {
        String text = url != null ? url : env("RECALL_URL", DEFAULT_URL);
        try {
            URI uri = URI.create(text.strip());
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command, "--url '" + text + "' is not an http(s) URL such as " + DEFAULT_URL);
        }
    }

    private String token(CommandLine command) {
        if (token != null) {
            return token.strip();
        }
        String fromEnv = env("RECALL_TOKEN", null);
        if (fromEnv != null) {
            return fromEnv.strip();
        }
        Path file = context.workingDirectory().resolve(tokenFile != null ? tokenFile : DEFAULT_TOKEN_FILE);
        if (tokenFile == null && !Files.isRegularFile(file)) {
            return null;
        }
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new ParameterException(command, "--token-file " + file + " cannot be read: " + e);
        }
    }

    private String env(String name, String fallback) {
        String value = context.env().get(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    /** Picocli's report of a bad command line, short, with any connection-string password masked. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println("error: " + Secrets.mask(e.getMessage()));
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("See '" + command.getCommandSpec().qualifiedName() + " --help'.");
        err.flush();
        return USAGE;
    }
}
