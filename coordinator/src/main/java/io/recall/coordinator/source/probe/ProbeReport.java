package io.recall.coordinator.source.probe;

import java.time.Instant;
import java.util.List;

/**
 * A capability report: one check per line, and the worst status as the outcome.
 *
 * @param serverVersion the server's version string, when the probe got that far
 */
public record ProbeReport(CheckStatus outcome, Instant probedAt, String serverVersion, List<ProbeCheck> checks) {

    public ProbeReport {
        checks = List.copyOf(checks);
    }

    static ProbeReport of(Instant at, String serverVersion, List<ProbeCheck> checks) {
        CheckStatus worst = CheckStatus.PASS;
        for (ProbeCheck c : checks) {
            worst = worst.worst(c.status());
        }
        return new ProbeReport(worst, at, serverVersion, checks);
    }

    public List<ProbeCheck> failures() {
        return checks.stream().filter(c -> c.status() == CheckStatus.FAIL).toList();
    }
}
