package io.recall.testsupport;

import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.IOException;
import java.io.InputStream;

/**
 * Supplies zonky's PostgreSQL bundle for one major version from this library's own resources, where the build
 * unpacked it. A record, so zonky (which caches extracted bundles per resolver) extracts each major once per JVM.
 */
record BundledPostgres(int major) implements PgBinaryResolver {

    private static final String SYSTEM = "Linux";
    private static final String HARDWARE = "x86_64";

    String resource() {
        return "io/recall/testsupport/postgres/" + major + "/postgres-linux-x86_64.txz";
    }

    /** Whether this JVM's platform and classpath can run this major from a bundle. */
    boolean available() {
        return "Linux".equalsIgnoreCase(System.getProperty("os.name"))
                && ("amd64".equals(System.getProperty("os.arch")) || HARDWARE.equals(System.getProperty("os.arch")))
                && BundledPostgres.class.getClassLoader().getResource(resource()) != null;
    }

    @Override
    public InputStream getPgBinary(String system, String machineHardware) throws IOException {
        if (!SYSTEM.equals(system) || !HARDWARE.equals(machineHardware)) {
            throw new IOException(
                    "Only Linux x86_64 PostgreSQL bundles are packaged, not " + system + " " + machineHardware);
        }
        InputStream stream = BundledPostgres.class.getClassLoader().getResourceAsStream(resource());
        if (stream == null) {
            throw new IOException("No PostgreSQL " + major + " bundle on the classpath at " + resource());
        }
        return stream;
    }
}
