package io.recall.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Files of the repository under test; the root comes from the system property Surefire sets. */
final class Repository {

    private Repository() {}

    static Path root() {
        String root = System.getProperty("recall.repository.root");
        if (root == null) {
            throw new IllegalStateException("recall.repository.root is not set: run these tests through Maven"
                    + " (./mvnw -pl deploy-tests -am verify), whose Surefire configuration sets it");
        }
        return Path.of(root).toAbsolutePath().normalize();
    }

    static Path path(String relative) {
        return root().resolve(relative);
    }

    static String read(String relative) {
        try {
            return Files.readString(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
