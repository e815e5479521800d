package io.recall.restore.job;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.errors.InvalidRequestException;
import io.recall.restore.replay.RestoreTarget;
import io.recall.schemas.restore.RestoreCommand;
import io.recall.schemas.restore.RestoreMode;
import io.recall.schemas.restore.RestoreRequest;
import io.recall.schemas.restore.RestoreTargetSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A {@link RestoreRequest} as the worker uses it, checked: exactly one target kind, LSNs parsed. Its
 * {@link #toString()} leaves out the target connection string. Immutable.
 *
 * @param targetConnectionString as it arrived: a {@code v1:} ciphertext, or a clear connection string
 * @param tables the requested tables, or null for every captured table
 * @param latestLsn for {@code latest}: what the stored stream must reach first; null when the request names none
 */
record JobRequest(
        String restoreId,
        SourceId source,
        Lsn lsn,
        Instant time,
        Long xid,
        String restorePoint,
        Lsn restorePointLsn,
        boolean latest,
        boolean inclusive,
        String targetConnectionString,
        boolean overwrite,
        boolean createDatabase,
        List<String> tables,
        Lsn latestLsn,
        String sourceSystemIdentifier,
        String sourceDatabase,
        String requestedBy) {

    /**
     * Reads a request.
     *
     * @throws InvalidRequestException saying what is wrong
     */
    static JobRequest from(RestoreCommand command, RestoreRequest r) {
        SourceId source;
        try {
            source = SourceId.parse(r.getSourceId());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("sourceId '" + r.getSourceId() + "' is not a source id (a UUID)");
        }
        RestoreTargetSpec t = r.getTarget();
        List<String> kinds = new ArrayList<>();
        if (t.getLsn() != null) {
            kinds.add("lsn");
        }
        if (t.getTime() != null) {
            kinds.add("time");
        }
        if (t.getXid() != null) {
            kinds.add("xid");
        }
        if (t.getRestorePoint() != null) {
            kinds.add("restorePoint");
        }
        if (t.getLatest()) {
            kinds.add("latest");
        }
        if (kinds.size() != 1) {
            throw new InvalidRequestException("the target must name exactly one of lsn, time, xid, restorePoint or"
                    + " latest=true; it names " + (kinds.isEmpty() ? "none" : String.join(", ", kinds)));
        }
        return new JobRequest(
                command.getRestoreId(),
                source,
                lsn("target.lsn", t.getLsn()),
                t.getTime(),
                t.getXid(),
                t.getRestorePoint(),
                lsn("restorePointLsn", r.getRestorePointLsn()),
                t.getLatest(),
                r.getInclusive(),
                r.getTargetConnectionString(),
                r.getMode() == RestoreMode.OVERWRITE,
                r.getCreateDatabase(),
                r.getTables() == null ? null : List.copyOf(r.getTables()),
                lsn("latestLsn", r.getLatestLsn()),
                r.getSourceSystemIdentifier(),
                r.getSourceDatabase(),
                command.getRequestedBy());
    }

    private static Lsn lsn(String field, String text) {
        if (text == null) {
            return null;
        }
        try {
            return Lsn.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field + " '" + text + "' is not an LSN (e.g. 0/16B3748)");
        }
    }

    /**
     * The target as the restore engine takes it.
     *
     * @param restorePoints looks a restore point's LSN up in storage when the request does not carry it
     */
    RestoreTarget target(Function<String, Lsn> restorePoints) {
        if (lsn != null) {
            return new RestoreTarget.AtLsn(lsn, inclusive);
        }
        if (time != null) {
            return new RestoreTarget.AtTime(time, inclusive);
        }
        if (xid != null) {
            return new RestoreTarget.AtXid(xid, inclusive);
        }
        if (restorePoint != null) {
            return new RestoreTarget.AtRestorePoint(
                    restorePoint, restorePointLsn != null ? restorePointLsn : restorePoints.apply(restorePoint));
        }
        return new RestoreTarget.Latest();
    }

    @Override
    public String toString() {
        return "JobRequest[" + restoreId + ", source " + source + ", "
                + (lsn != null
                        ? "lsn " + lsn
                        : time != null
                                ? "time " + time
                                : xid != null
                                        ? "xid " + xid
                                        : restorePoint != null ? "restorePoint " + restorePoint : "latest")
                + (inclusive ? "" : " (exclusive)") + (overwrite ? ", overwrite" : "")
                + (createDatabase ? ", createDatabase" : "") + (tables == null ? "" : ", tables " + tables) + "]";
    }
}
