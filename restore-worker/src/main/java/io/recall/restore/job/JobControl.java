package io.recall.restore.job;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stops one running job from other threads: a cancel request (the job reports CANCELLED), a revoked partition or a
 * shutting-down worker (the job just stops; the next owner of its partition runs it again). Stopping runs the
 * registered hooks (cancel the target's running statement) and interrupts the job's thread, which ends a running
 * {@code pg_restore} and any wait. Thread-safe.
 */
final class JobControl {

    /** Why a job stops before its end. */
    enum Stop {
        /** A RestoreCancel for the job: report CANCELLED and commit. */
        CANCELLED,
        /** Its partition moved to another worker: stop quietly, do not commit. */
        REVOKED,
        /** This worker shuts down: stop quietly, do not commit. */
        SHUTDOWN
    }

    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
    private volatile Thread thread;
    private volatile Stop stop;
    private volatile String reason;

    /** The thread the job runs on, which {@link #stop} interrupts. */
    void runsOn(Thread t) {
        this.thread = t;
    }

    /** Stops the job; the first call wins. */
    void stop(Stop why, String because) {
        synchronized (this) {
            if (stop != null) {
                return;
            }
            reason = because;
            stop = why;
        }
        for (Runnable hook : hooks) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                // best effort: the interrupt below stops the job anyway
            }
        }
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    /** Why the job was stopped, or null while it may run. */
    Stop stopped() {
        return stop;
    }

    String reason() {
        return reason;
    }

    /** Throws {@link JobStoppedException} once the job was stopped. */
    void check() {
        Stop s = stop;
        if (s != null) {
            throw new JobStoppedException(s, reason);
        }
    }

    /** Sleeps, ending early with {@link JobStoppedException} when the job is stopped. */
    void sleep(Duration d) {
        check();
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            check();
            throw new JobStoppedException(Stop.SHUTDOWN, "interrupted");
        }
    }

    /** Runs {@code hook} when the job is stopped, until the returned handle is closed. */
    AutoCloseable onStop(Runnable hook) {
        hooks.add(hook);
        if (stop != null) {
            hook.run();
        }
        return () -> hooks.remove(hook);
    }
}
