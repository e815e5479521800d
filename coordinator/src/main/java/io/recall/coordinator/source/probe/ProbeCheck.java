package io.recall.coordinator.source.probe;

/**
 * One line of a capability report.
 *
 * @param id stable identifier (e.g. {@code wal_level}), for scripts
 * @param status PASS, WARN or FAIL
 * @param found what the probe saw
 * @param why why it matters to Recall
 * @param fix the exact SQL or setting that fixes it; null when nothing needs fixing
 */
public record ProbeCheck(String id, CheckStatus status, String found, String why, String fix) {

    static ProbeCheck pass(String id, String found, String why) {
        return new ProbeCheck(id, CheckStatus.PASS, found, why, null);
    }

    static ProbeCheck warn(String id, String found, String why, String fix) {
        return new ProbeCheck(id, CheckStatus.WARN, found, why, fix);
    }

    static ProbeCheck fail(String id, String found, String why, String fix) {
        return new ProbeCheck(id, CheckStatus.FAIL, found, why, fix);
    }
}
