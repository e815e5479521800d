package io.recall.standalone.checker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Issue 8's randomized end-to-end checker, run small in every build: about ten checkpoints of a concurrent workload,
 * faults (a) and (b) once each, about four restores through the REST API, each compared table by table with the
 * source at its checkpoint. The report is printed at the end; every failure message carries the seed.
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
        assertThat(report.faultsSurvived())
                .as("faults survived, %s", seed)
                .isEqualTo(report.faults().size())
                .isEqualTo(settings.faults());
    }
}
