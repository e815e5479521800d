package io.recall.coordinator.source.probe;

import io.recall.common.errors.RecallException;
import java.util.stream.Collectors;

/** Registration refused: a blocking check failed. Carries the whole report; maps to 422. */
public class ProbeFailedException extends RecallException {

    private final ProbeReport report;

    public ProbeFailedException(ProbeReport report) {
        super("the source cannot be protected until these checks pass: "
                + report.failures().stream()
                        .map(c -> c.id() + " (" + c.found() + ")")
                        .collect(Collectors.joining("; "))
                + ". Each check in 'report' says how to fix it.");
        this.report = report;
    }

    public ProbeReport report() {
        return report;
    }
}
