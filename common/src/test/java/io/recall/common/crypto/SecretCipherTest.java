package io.recall.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretCipherTest {

    private final String k1 = SecretCipher.generateKey();
    private final String k2 = SecretCipher.generateKey();

    @Test
    void roundTripsAndNamesTheKey() {
        SecretCipher cipher = new SecretCipher(Map.of("k1", k1), "k1");
        String sealed = cipher.encrypt("hunter2");
        assertThat(sealed).startsWith("v1:k1:").doesNotContain("hunter2");
        assertThat(cipher.decrypt(sealed)).isEqualTo("hunter2");
        assertThat(cipher.encrypt("hunter2")).isNotEqualTo(sealed); // fresh IV each time
    }

    @Test
    void rotationKeepsOldSecretsReadable() {
        String old = new SecretCipher(Map.of("k1", k1), "k1").encrypt("pw");
        SecretCipher rotated = new SecretCipher(Map.of("k1", k1, "k2", k2), "k2");
        assertThat(rotated.decrypt(old)).isEqualTo("pw");
        String resealed = rotated.reencrypt(old);
        assertThat(SecretCipher.keyIdOf(resealed)).isEqualTo("k2");
        assertThat(new SecretCipher(Map.of("k2", k2), "k2").decrypt(resealed)).isEqualTo("pw");
    }

    @Test
    void tamperingAndRelabellingAreDetected() {
        SecretCipher both = new SecretCipher(Map.of("k1", k1, "k2", k1), "k1");
        String sealed = both.encrypt("pw");
        String relabelled = sealed.replace("v1:k1:", "v1:k2:");
        assertThatThrownBy(() -> both.decrypt(relabelled)).hasMessageContaining("failed authentication");
        assertThatThrownBy(() -> new SecretCipher(Map.of("k1", k1), "k1").decrypt(sealed.replace("v1:k1:", "v1:k9:")))
                .hasMessageContaining("not in the configured keyring");
    }

    @Test
    void rejectsWrongKeySizes() {
        assertThatThrownBy(() -> new SecretCipher(Map.of("k", "AAAA"), "k")).hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> new SecretCipher(Map.of("k", k1), "other")).hasMessageContaining("not in the keyring");
    }
}
