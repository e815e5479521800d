package io.recall.standalone.checker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Issue 8's randomized end-to-end checker, run small in every build: ten checkpoints of a concurrent workload, every
 * kind of fault once (the walsender terminated, with and without a transaction open across it; the capture process
 * killed with a transaction in flight; the sink process killed; the Kafka broker restarted; S3 down for a while; the
 * source restarted; a restore worker killed mid-job), schema changes under load, and restores through the REST API
 * after each fault, each compared table by table (and by schema) with the source at its checkpoint. The report is
 * printed at the end; every failure message carries the seed.
 *
 * <p>Rerun a seed: {@code -Dchecker.seed=<n>}. The large run: {@code -Dchecker.checkpoints=200
 * -Dchecker.restores=60} (see the README, "Run the tests").
 */
class CheckerIT {

    @Test
    void everyRestoreEqualsTheSourceAtItsCheckpoint() throws Exception {
        CheckerSettings settings = CheckerSettings.fromSystemProperties();
        Checker checker = new Checker(settings);
        Report report;
        try {
            report = checker.run();
        } catch (Exception | AssertionError e) {
            throw new AssertionError(
                    "the checker run broke, seed " + settings.seed() + " (rerun: " + settings.rerun() + ")\n"
                            + checker.report().render(),
                    e);
        }
        String printed = report.render();
        System.out.println(printed);

        String seed = "seed " + settings.seed() + " (rerun: " + settings.rerun() + ")\n" + printed;
        assertThat(report.workloadFailures())
                .as("unexpected errors of the workload, %s", seed)
                .isEmpty();
        assertThat(report.failedRestores()).as("failed restores, %s", seed).isEmpty();
        assertThat(report.differences()).as("differences, %s", seed).isEmpty();
        assertThat(report.restoresDone()).as("restores, %s", seed).isGreaterThanOrEqualTo(settings.restores());
        assertThat(report.faults().stream().filter(f -> f.kind().duringWorkload()))
                .as("faults injected while the writers ran, %s", seed)
                .hasSize(settings.faults());
        assertThat(report.faults().stream().filter(f -> !f.kind().duringWorkload()))
                .as("restore workers killed mid-job, %s", seed)
                .hasSize(settings.restoreKills());
        if (settings.schemaChanges()) {
            assertThat(report.schemaChanges())
                    .as("schema changes under load, %s", seed)
                    .isPositive();
        }
        assertThat(report.faultsSurvived())
                .as("faults survived, %s", seed)
                .isEqualTo(report.faults().size());
    }
}
