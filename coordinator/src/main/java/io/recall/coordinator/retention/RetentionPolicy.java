package io.recall.coordinator.retention;

import io.recall.common.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A source's retention ({@code "retention": {"days": N, "baseBackups": M}}, either or both) and what it keeps. Pure
 * logic; immutable.
 *
 * <p>Successful base backups are ordered by consistent point. Each rule keeps a newest part of them, and a backup is
 * kept when any rule keeps it (the rules only ever add):
 *
 * <ul>
 *   <li>{@code baseBackups: M} keeps the {@code M} newest;
 *   <li>{@code days: N} keeps a recovery window of {@code N} days: every backup whose snapshot is within the last
 *       {@code N} days, and the newest one taken at or before that cut-off, since restoring to the cut-off itself
 *       starts from it;
 *   <li>the newest backup is always kept, whatever the rules say;
 *   <li>a backup a restore is using (queued or running) is kept, and so is every backup after it.
 * </ul>
 *
 * <p>The oldest kept backup is the boundary: every backup before it goes, and the kept window is from its consistent
 * point on. Nothing newer than the boundary is deleted, even a backup no rule names (a faster starting point inside the
 * kept window costs little and saves replay time). With no successful backup, nothing is deleted.
 *
 * @param days keep a recovery window of this many days; null when not set
 * @param baseBackups keep at least this many base backups; null when not set
 */
public record RetentionPolicy(Integer days, Integer baseBackups) {

    public RetentionPolicy {
        if (days == null && baseBackups == null) {
            throw new IllegalArgumentException("a retention policy names days, baseBackups or both");
        }
        if ((days != null && days < 1) || (baseBackups != null && baseBackups < 1)) {
            throw new IllegalArgumentException("retention days and baseBackups are positive");
        }
    }

    /** A successful base backup, as retention sees it. */
    public record Backup(UUID id, Lsn consistentLsn, Instant snapshotTime) {
        public Backup {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(consistentLsn, "consistentLsn");
            Objects.requireNonNull(snapshotTime, "snapshotTime");
        }
    }

    /**
     * What the policy decides.
     *
     * @param oldestKept the boundary; empty when there is no backup
     * @param delete the backups before it, oldest first
     */
    public record Plan(Optional<Backup> oldestKept, List<Backup> delete) {
        public Plan {
            delete = List.copyOf(delete);
        }
    }

    /**
     * Reads the policy stored with a source ({@code {"days": N}} and/or {@code {"baseBackups": N}}, validated at
     * registration). Empty when the source has none: then nothing is ever deleted.
     *
     * @throws IllegalArgumentException if it is not such a map
     */
    public static Optional<RetentionPolicy> of(Map<String, Object> retention) {
        if (retention == null || retention.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RetentionPolicy(number(retention, "days"), number(retention, "baseBackups")));
    }

    private static Integer number(Map<String, Object> retention, String name) {
        Object value = retention.get(name);
        if (value == null) {
            return null;
        }
        if (value instanceof Number n && n.doubleValue() == n.intValue()) {
            return n.intValue();
        }
        throw new IllegalArgumentException("retention." + name + " is not a whole number: " + value);
    }

    /**
     * Decides which backups go.
     *
     * @param backups the source's successful base backups, in any order
     * @param now the current time (the injected clock's)
     * @param inUse backups a queued or running restore uses
     */
    public Plan plan(List<Backup> backups, Instant now, Set<UUID> inUse) {
        List<Backup> sorted = backups.stream()
                .sorted(Comparator.comparing(Backup::consistentLsn).thenComparing(Backup::snapshotTime))
                .toList();
        if (sorted.isEmpty()) {
            return new Plan(Optional.empty(), List.of());
        }
        int keepFrom = sorted.size() - 1;
        if (baseBackups != null) {
            keepFrom = Math.min(keepFrom, Math.max(0, sorted.size() - baseBackups));
        }
        if (days != null) {
            Instant cutOff = now.minus(Duration.ofDays(days));
            int atOrBefore = -1;
            for (int i = 0; i < sorted.size(); i++) {
                if (!sorted.get(i).snapshotTime().isAfter(cutOff)) {
                    atOrBefore = i;
                }
            }
            // no backup as old as the cut-off: every one of them is inside the window
            keepFrom = Math.min(keepFrom, Math.max(0, atOrBefore));
        }
        for (int i = 0; i < keepFrom; i++) {
            if (inUse.contains(sorted.get(i).id())) {
                keepFrom = i;
                break;
            }
        }
        return new Plan(Optional.of(sorted.get(keepFrom)), sorted.subList(0, keepFrom));
    }
}
