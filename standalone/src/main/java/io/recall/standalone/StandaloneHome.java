package io.recall.standalone;

import io.recall.common.crypto.SecretCipher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The standalone data directory ({@code ./data} by default): created owner-only, it holds the metadata database,
 * the secrets key, the metadata password and the first admin token, each generated on first start and kept across
 * restarts. Not thread-safe; used once at start-up.
 */
final class StandaloneHome {

    static final String SECRETS_KEY_ID = "standalone-1";

    private final Path root;
    private final boolean firstStart;
    private final String secretsKey;
    private final String adminToken;
    private final String metadataPassword;

    private StandaloneHome(
            Path root, boolean firstStart, String secretsKey, String adminToken, String metadataPassword) {
        this.root = root;
        this.firstStart = firstStart;
        this.secretsKey = secretsKey;
        this.adminToken = adminToken;
        this.metadataPassword = metadataPassword;
    }

    static StandaloneHome open(Path root) {
        try {
            Files.createDirectories(root);
            restrict(root, "rwx------");
            Path tokenFile = root.resolve("admin-token");
            boolean first = !Files.exists(tokenFile);
            String key = secret(root.resolve("secrets.key"), SecretCipher::generateKey);
            String password = secret(root.resolve("metadata.password"), () -> random(24));
            String token = secret(tokenFile, () -> "rcl_" + random(32));
            return new StandaloneHome(root.toAbsolutePath().normalize(), first, key, token, password);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the data directory " + root, e);
        }
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Reads a secret file, or creates it owner-only (0600) with a fresh value. */
    private static String secret(Path file, Supplier<String> fresh) throws IOException {
        if (!Files.exists(file)) {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(
                        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, fresh.get() + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                Files.delete(tmp);
            }
        }
        String value = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (value.isEmpty()) {
            throw new IllegalStateException(file + " is empty: delete it to have a new one generated");
        }
        return value;
    }

    private static void restrict(Path dir, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system (Windows): rely on the user's profile directory permissions
        }
    }

    Path root() {
        return root;
    }

    boolean firstStart() {
        return firstStart;
    }

    String secretsKey() {
        return secretsKey;
    }

    String adminToken() {
        return adminToken;
    }

    String metadataPassword() {
        return metadataPassword;
    }
}
