package io.recall.restore.job;

import io.recall.common.errors.RecallException;

/** A job was stopped from outside ({@link JobControl#stop}): cancelled, or its partition moved, or shutdown. */
final class JobStoppedException extends RecallException {

    private final JobControl.Stop stop;

    JobStoppedException(JobControl.Stop stop, String reason) {
        super("restore " + stop.name().toLowerCase(java.util.Locale.ROOT) + (reason == null ? "" : ": " + reason));
        this.stop = stop;
    }

    JobControl.Stop stop() {
        return stop;
    }
}
