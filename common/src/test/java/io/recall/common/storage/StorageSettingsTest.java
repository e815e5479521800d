package io.recall.common.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.storage.StorageSettings.ServerSideEncryption;
import io.recall.common.storage.StorageSettings.Type;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StorageSettingsTest {

    @Test
    void localSettingsNeedOnlyARoot() {
        StorageSettings settings = StorageSettings.local(Path.of("/var/lib/recall/blobs"));

        assertThat(settings.type()).isEqualTo(Type.LOCAL);
        assertThat(settings.prefix()).isEmpty();
        assertThat(settings.sse()).isEqualTo(ServerSideEncryption.NONE);
        assertThatThrownBy(() -> StorageSettings.local(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("storage.local-root ");
    }

    @Test
    void s3SettingsHaveDefaultsAndNormalisedPrefix() {
        StorageSettings settings = StorageSettings.s3("backups")
                .prefix("/recall/prod/")
                .endpoint(URI.create("http://127.0.0.1:9000"))
                .region("eu-west-1")
                .pathStyle(true)
                .credentials("AKID", "SECRET")
                .build();

        assertThat(settings.prefix()).isEqualTo("recall/prod");
        assertThat(settings.partSizeBytes()).isEqualTo(16 * 1024 * 1024);
        assertThat(settings.sse()).isEqualTo(ServerSideEncryption.NONE);
        assertThat(settings.toString()).contains("AKID").doesNotContain("SECRET");
    }

    @Test
    void theCanonicalConstructorFillsDefaultsForBoundProperties() {
        StorageSettings settings =
                new StorageSettings(Type.S3, null, "b", null, null, " ", false, "", "", null, null, 0).validate();

        assertThat(settings.prefix()).isEmpty();
        assertThat(settings.region()).isNull();
        assertThat(settings.accessKey()).isNull();
        assertThat(settings.sse()).isEqualTo(ServerSideEncryption.NONE);
        assertThat(settings.partSizeBytes()).isEqualTo(StorageSettings.DEFAULT_PART_SIZE_BYTES);
    }

    @Test
    void invalidSettingsNameTheSetting() {
        assertInvalid(
                new StorageSettings(null, null, null, null, null, null, false, null, null, null, null, 0),
                "storage.type ");
        assertInvalid(() -> StorageSettings.s3(null).build(), "storage.bucket ");
        assertInvalid(() -> StorageSettings.s3("a/b").build(), "storage.bucket ");
        assertInvalid(() -> StorageSettings.s3("b").prefix("a/../b").build(), "storage.prefix ");
        assertInvalid(
                () -> StorageSettings.s3("b")
                        .endpoint(URI.create("s3.example.com"))
                        .build(),
                "storage.endpoint ");
        assertInvalid(
                () -> StorageSettings.s3("b")
                        .endpoint(URI.create("ftp://s3.example.com"))
                        .build(),
                "storage.endpoint ");
        assertInvalid(() -> StorageSettings.s3("b").credentials("AKID", null).build(), "storage.secret-key ");
        assertInvalid(() -> StorageSettings.s3("b").credentials(null, "SECRET").build(), "storage.access-key ");
        assertInvalid(() -> StorageSettings.s3("b").partSizeBytes(1024 * 1024).build(), "storage.part-size-bytes ");
        assertInvalid(
                new StorageSettings(
                        Type.S3, null, "b", null, null, null, false, null, null, ServerSideEncryption.AES256, "key", 0),
                "storage.kms-key-id ");
        assertThat(StorageSettings.s3("b")
                        .kms("arn:aws:kms:eu-west-1:1:key/k")
                        .build()
                        .sse())
                .isEqualTo(ServerSideEncryption.KMS);
    }

    @Test
    void openingInvalidSettingsFailsFast() {
        StorageSettings noBucket =
                new StorageSettings(Type.S3, null, null, null, null, null, false, null, null, null, null, 0);

        assertThatThrownBy(() -> BlobStores.open(noBucket))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("storage.bucket");
    }

    private static void assertInvalid(StorageSettings settings, String messageStart) {
        assertInvalid(settings::validate, messageStart);
    }

    private static void assertInvalid(Runnable build, String messageStart) {
        assertThatThrownBy(build::run)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(messageStart);
    }
}
