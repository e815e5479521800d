package io.recall.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the client does before it sends anything: help, and usage errors (exit 2). */
class CliUsageTest {

    @TempDir
    Path workingDirectory;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int recall(String... args) {
        CliContext context = new CliContext(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                new BufferedReader(new StringReader("")),
                Map.of(),
                workingDirectory,
                false);
        return RecallCli.commandLine(context).execute(args);
    }

    @Test
    void helpListsTheCommandsAndTheExitCodes() {
        assertThat(recall("--help")).isZero();
        assertThat(out.toString())
                .contains("sources", "backups", "window", "restore-point", "restore", "restores")
                .contains("Exit codes:")
                .containsPattern("(?m)^  0 +success")
                .containsPattern("(?m)^  1 +the API refused")
                .containsPattern("(?m)^  2 +usage error")
                .containsPattern("(?m)^  3 +Recall could not be reached")
                .containsPattern("(?m)^  4 +authentication failed");
    }

    @Test
    void aMalformedTargetIsAUsageErrorAndTheConnectionStringIsNotEchoed() {
        int exit = recall("restore", "orders", "--to", "yesterday", "--into", "postgresql://app:hunter2@db/x");
        assertThat(exit).isEqualTo(RecallCli.USAGE);
        assertThat(err.toString())
                .contains("'yesterday' is not a restore target")
                .contains("See 'recall restore --help'")
                .doesNotContain("hunter2");
    }

    @Test
    void aMisspelledCommandIsSuggestedAndItsArgumentsMasked() {
        assertThat(recall("sourcs", "add", "x", "--connection", "postgresql://app:hunter2@db/x"))
                .isEqualTo(RecallCli.USAGE);
        assertThat(err.toString())
                .contains("Did you mean", "recall sources")
                .contains("postgresql://app:****@db/x")
                .doesNotContain("hunter2");
    }

    @Test
    void aGroupNeedsASubcommandAndACommandItsArguments() {
        assertThat(recall("sources")).isEqualTo(RecallCli.USAGE);
        assertThat(err.toString()).contains("Missing required subcommand");
        assertThat(recall("sources", "add", "orders")).isEqualTo(RecallCli.USAGE);
        assertThat(err.toString()).contains("Missing required option: '--connection=<dsn>'");
    }

    @Test
    void aBadUrlOrAnUnreadableTokenFileIsAUsageError() {
        assertThat(recall("--url", "ftp://x", "sources", "list")).isEqualTo(RecallCli.USAGE);
        assertThat(err.toString()).contains("--url 'ftp://x' is not an http(s) URL");
        assertThat(recall("sources", "list", "--token-file", "missing-token")).isEqualTo(RecallCli.USAGE);
        assertThat(err.toString()).contains("--token-file", "missing-token", "cannot be read");
    }
}
