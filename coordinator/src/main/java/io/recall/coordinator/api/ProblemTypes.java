package io.recall.coordinator.api;

import java.net.URI;

/** The {@code type} URIs of Recall's RFC 9457 problem details; each names one kind of failure a client can act on. */
public final class ProblemTypes {

    private static final String BASE = "https://recall.dev/problems/";

    public static final URI INVALID_REQUEST = URI.create(BASE + "invalid-request");
    public static final URI INVALID_CONNECTION_STRING = URI.create(BASE + "invalid-connection-string");
    public static final URI NOT_FOUND = URI.create(BASE + "not-found");
    public static final URI CONFLICT = URI.create(BASE + "conflict");
    public static final URI SLOT_IN_USE = URI.create(BASE + "slot-in-use");
    public static final URI KAFKA_UNAVAILABLE = URI.create(BASE + "kafka-unavailable");
    public static final URI STORAGE_UNAVAILABLE = URI.create(BASE + "storage-unavailable");
    public static final URI PROBE_FAILED = URI.create(BASE + "probe-failed");
    public static final URI SOURCE_AUTHENTICATION_FAILED = URI.create(BASE + "source-authentication-failed");
    public static final URI SOURCE_UNREACHABLE = URI.create(BASE + "source-unreachable");
    public static final URI SOURCE_UNKNOWN_DATABASE = URI.create(BASE + "source-unknown-database");
    public static final URI SOURCE_NOT_POSTGRES = URI.create(BASE + "source-not-postgresql");
    public static final URI SOURCE_CONNECTION_FAILED = URI.create(BASE + "source-connection-failed");
    public static final URI TARGET_OUTSIDE_WINDOW = URI.create(BASE + "target-outside-recovery-window");
    public static final URI UNKNOWN_RESTORE_POINT = URI.create(BASE + "unknown-restore-point");
    public static final URI TARGET_IS_SOURCE = URI.create(BASE + "target-is-source");
    public static final URI UNAUTHENTICATED = URI.create(BASE + "unauthenticated");
    public static final URI FORBIDDEN = URI.create(BASE + "forbidden");
    public static final URI INTERNAL = URI.create(BASE + "internal");

    private ProblemTypes() {}
}
