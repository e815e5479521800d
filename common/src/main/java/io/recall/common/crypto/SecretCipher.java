package io.recall.common.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secrets (source passwords) with AES-256-GCM for storage at rest and for Kafka.
 *
 * <p>Rotation-ready: every ciphertext names the key it was sealed with ({@code v1:<keyId>:<base64(iv|ct|tag)>}), so
 * a keyring may hold old keys for decryption while new secrets use the active one. The key id is bound as
 * associated data, so a ciphertext cannot be re-labelled to another key. Thread-safe.
 */
public final class SecretCipher {

    private static final String PREFIX = "v1";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final Map<String, SecretKey> keys;
    private final String activeKeyId;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param base64Keys key id to a base64-encoded 32-byte key
     * @param activeKeyId the key new secrets are sealed with; must be in {@code base64Keys}
     */
    public SecretCipher(Map<String, String> base64Keys, String activeKeyId) {
        Objects.requireNonNull(activeKeyId, "active key id");
        if (!base64Keys.containsKey(activeKeyId)) {
            throw new IllegalArgumentException("the active secrets key '" + activeKeyId + "' is not in the keyring");
        }
        this.keys = base64Keys.entrySet().stream()
                .collect(java.util.stream.Collectors.toUnmodifiableMap(
                        Map.Entry::getKey, e -> toKey(e.getKey(), e.getValue())));
        this.activeKeyId = activeKeyId;
        for (String id : keys.keySet()) {
            if (id.isEmpty() || id.contains(":")) {
                throw new IllegalArgumentException("secrets key id '" + id + "' must be non-empty and contain no ':'");
            }
        }
    }

    private static SecretKey toKey(String id, String base64) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("secrets key '" + id + "' is not valid base64");
        }
        if (raw.length != 32) {
            throw new IllegalArgumentException(
                    "secrets key '" + id + "' must be 32 bytes (AES-256), base64-encoded; it has " + raw.length);
        }
        return new SecretKeySpec(raw, "AES");
    }

    /** A fresh random key, base64-encoded, for configuration. */
    public static String generateKey() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    public String activeKeyId() {
        return activeKeyId;
    }

    public String encrypt(String plaintext) {
        Objects.requireNonNull(plaintext, "plaintext");
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, keys.get(activeKeyId), new GCMParameterSpec(TAG_BITS, iv));
            c.updateAAD(activeKeyId.getBytes(StandardCharsets.UTF_8));
            byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out =
                    ByteBuffer.allocate(iv.length + ct.length).put(iv).put(ct).array();
            return PREFIX + ":" + activeKeyId + ":" + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /** The key id a ciphertext was sealed with, without decrypting it. */
    public static String keyIdOf(String ciphertext) {
        String[] parts = ciphertext.split(":", 3);
        if (parts.length != 3 || !PREFIX.equals(parts[0])) {
            throw new IllegalArgumentException("not a Recall ciphertext");
        }
        return parts[1];
    }

    public String decrypt(String ciphertext) {
        String keyId = keyIdOf(ciphertext);
        SecretKey key = keys.get(keyId);
        if (key == null) {
            throw new IllegalStateException("secret was sealed with key '" + keyId
                    + "', which is not in the configured keyring: add it to recall.secrets.keys");
        }
        byte[] in = Base64.getDecoder().decode(ciphertext.substring(PREFIX.length() + keyId.length() + 2));
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, IV_BYTES));
            c.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
            return new String(c.doFinal(in, IV_BYTES, in.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(
                    "secret sealed with key '" + keyId + "' failed authentication: wrong key"
                            + " or tampered ciphertext",
                    e);
        }
    }

    /** Re-seals a secret under the active key (key rotation); returns it unchanged if already under it. */
    public String reencrypt(String ciphertext) {
        return keyIdOf(ciphertext).equals(activeKeyId) ? ciphertext : encrypt(decrypt(ciphertext));
    }
}
