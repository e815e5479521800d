package io.recall.coordinator.source.probe;

import io.recall.coordinator.source.TableName;
import java.util.List;

/**
 * What the probe learned that Recall keeps (not part of the report a user reads).
 *
 * @param systemIdentifier the cluster's system identifier from IDENTIFY_SYSTEM (null if the replication connection
 *     failed); restores compare it to refuse writing into the source itself
 * @param tables the tables the publication will list, after patterns, exclusions and unpublishable tables
 */
public record ProbeFacts(
        int serverVersionNum,
        String systemIdentifier,
        boolean superuser,
        DdlCaptureMode ddlCaptureMode,
        List<TableName> tables) {

    public ProbeFacts {
        tables = List.copyOf(tables);
    }
}
