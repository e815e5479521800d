package io.recall.cli;

import io.recall.cli.http.ApiException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the API. Every API failure ends here: its problem is printed on stderr and the command
 * exits with the failure's code (see {@link RecallCli}), whichever way the command line was built.
 */
public abstract class ApiCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    /** Does the work; returns the exit code. */
    protected abstract int run(Session session);

    @Override
    public final Integer call() {
        RecallCli cli = (RecallCli) spec.root().userObject();
        Session session = cli.open(spec.commandLine());
        try {
            return run(session);
        } catch (ApiException e) {
            ErrorReport.print(e, session);
            return e.exitCode();
        } finally {
            session.api().close();
            session.out().flush();
            session.err().flush();
        }
    }
}
