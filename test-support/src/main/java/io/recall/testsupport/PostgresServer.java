package io.recall.testsupport;

import java.nio.file.Path;

/**
 * One way of running a PostgreSQL server process for a {@link PostgresCluster}. Not thread-safe: the cluster
 * serialises calls.
 */
interface PostgresServer {

    /** Starts the server; the first call also creates the cluster (initdb) with password authentication. */
    void start();

    /** Stops the server (fast shutdown), keeping the data directory. */
    void stop();

    Path dataDirectory();

    /** A description of what runs the server, for messages. */
    String description();
}
