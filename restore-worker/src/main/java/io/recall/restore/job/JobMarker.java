package io.recall.restore.job;

import io.recall.common.Lsn;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a restore job writes as the comment of its target database ({@code COMMENT ON DATABASE}), so that a job
 * delivered again (a worker died before committing its offset, or its partition moved) knows what happened to it:
 *
 * <ul>
 *   <li>{@code recall restore <id> running <attempt>}: the target was accepted and is being written;
 *   <li>{@code recall restore <id> succeeded <lsn> <time>}: done, restored to the transaction that committed at
 *       {@code lsn} at {@code time} (ISO-8601), or to the base backup's consistent point and snapshot time;
 *   <li>{@code recall restore <id> failed <error>} and {@code recall restore <id> cancelled}.
 * </ul>
 *
 * The database comment is kept by {@code pg_restore} (which restores no database-level comment without
 * {@code --create}) and by emptying the target. Immutable.
 *
 * @param restoreId the job
 * @param state what happened
 * @param attempt the attempt that wrote {@code running}; 0 for the other states
 * @param restoredToLsn for {@code succeeded}
 * @param restoredToTime for {@code succeeded}
 * @param error for {@code failed}
 */
record JobMarker(String restoreId, State state, int attempt, Lsn restoredToLsn, Instant restoredToTime, String error) {

    enum State {
        RUNNING,
        SUCCEEDED,
        FAILED,
        CANCELLED
    }

    private static final String PREFIX = "recall restore ";
    private static final Pattern FORM =
            Pattern.compile("recall restore (\\S+) (running|succeeded|failed|cancelled)(?: (.*))?", Pattern.DOTALL);

    JobMarker {
        Objects.requireNonNull(restoreId, "restoreId");
        Objects.requireNonNull(state, "state");
    }

    static JobMarker running(String restoreId, int attempt) {
        return new JobMarker(restoreId, State.RUNNING, attempt, null, null, null);
    }

    static JobMarker succeeded(String restoreId, Lsn lsn, Instant time) {
        return new JobMarker(
                restoreId, State.SUCCEEDED, 0, Objects.requireNonNull(lsn), Objects.requireNonNull(time), null);
    }

    static JobMarker failed(String restoreId, String error) {
        return new JobMarker(restoreId, State.FAILED, 0, null, null, error);
    }

    static JobMarker cancelled(String restoreId) {
        return new JobMarker(restoreId, State.CANCELLED, 0, null, null, null);
    }

    /** The comment text. */
    String format() {
        String head = PREFIX + restoreId + " ";
        return switch (state) {
            case RUNNING -> head + "running " + attempt;
            case SUCCEEDED -> head + "succeeded " + restoredToLsn + " " + restoredToTime;
            case FAILED -> head + "failed " + (error == null ? "" : error);
            case CANCELLED -> head + "cancelled";
        };
    }

    /** The marker a database comment holds, or empty when it is not one (no comment, or someone else's). */
    static Optional<JobMarker> parse(String comment) {
        if (comment == null) {
            return Optional.empty();
        }
        Matcher m = FORM.matcher(comment.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        String id = m.group(1);
        String rest = m.group(3) == null ? "" : m.group(3);
        try {
            return Optional.ofNullable(
                    switch (m.group(2)) {
                        case "running" -> running(id, Integer.parseInt(rest.strip()));
                        case "succeeded" -> {
                            String[] parts = rest.strip().split(" ");
                            if (parts.length != 2) {
                                yield null;
                            }
                            yield succeeded(id, Lsn.parse(parts[0]), Instant.parse(parts[1]));
                        }
                        case "failed" -> failed(id, rest);
                        default -> cancelled(id);
                    });
        } catch (IllegalArgumentException | DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Whether this marker is about the job {@code id}. */
    boolean isFor(String id) {
        return restoreId.equals(id);
    }
}
