package io.recall.standalone.checker;

/**
 * One injected fault and what came of it.
 *
 * @param kind what was done
 * @param beforeCheckpoint the checkpoint whose workload stretch it was injected in; for a restore worker killed
 *     mid-job, the checkpoint that restore restores
 * @param detail what happened, for the report
 * @param recovered whether Recall was working again within the wait: capture streaming and durable past the fault,
 *     segments archived past it, or the killed restore done by another worker
 */
record Fault(Kind kind, int beforeCheckpoint, String detail, boolean recovered) {

    /** The kinds of fault the checker injects; all but the last while the writers run. */
    enum Kind {
        WALSENDER_TERMINATED("a", "pg_terminate_backend of the source's walsender while the writers run"),
        OPEN_TRANSACTION_ACROSS_WALSENDER_TERMINATION(
                "b",
                "a transaction (BEGIN + writes above logical_decoding_work_mem) left open while the walsender is"
                        + " terminated, a checkpoint taken while it is open, committed after"),
        CAPTURE_KILLED(
                "c",
                "SIGKILL of the capture process while a transaction is in flight (open, above"
                        + " logical_decoding_work_mem) and the writers run; a new capture process started; the"
                        + " transaction committed after a checkpoint"),
        SINK_KILLED("d", "SIGKILL of the sink process while the writers run; a new sink process started"),
        KAFKA_RESTARTED("e", "the Kafka broker stopped for a while and started again while the writers run"),
        S3_UNAVAILABLE("f", "the S3 endpoint refusing connections for a while the writers run"),
        SOURCE_RESTARTED(
                "g",
                "the source PostgreSQL restarted (fast shutdown: every connection cut, the walsender with them)"
                        + " while the writers run"),
        RESTORE_WORKER_KILLED("h", "SIGKILL of the restore worker process in the middle of a restore job");

        private final String letter;
        private final String description;

        Kind(String letter, String description) {
            this.letter = letter;
            this.description = description;
        }

        String letter() {
            return letter;
        }

        String description() {
            return description;
        }

        /**
         * Whether a transaction above {@code logical_decoding_work_mem} is open across it, committed after the
         * checkpoint that follows.
         */
        boolean leavesTransactionOpen() {
            return this == OPEN_TRANSACTION_ACROSS_WALSENDER_TERMINATION || this == CAPTURE_KILLED;
        }

        /** Whether it is injected while the writers run (every kind but the restore worker's). */
        boolean duringWorkload() {
            return this != RESTORE_WORKER_KILLED;
        }
    }
}
