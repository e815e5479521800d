package io.recall.common.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;

class ConnectionStringTest {

    @Test
    void parsesUriWithEncodedPasswordAndOptions() {
        ConnectionString cs = ConnectionString.parse(
                "postgresql://app%40x:p%40ss%3Aw0rd%2F@db.example.com:6543/sales?sslmode=verify-full&application_name=r");
        assertThat(cs.user()).isEqualTo("app@x");
        assertThat(cs.password()).isEqualTo("p@ss:w0rd/");
        assertThat(cs.host()).isEqualTo("db.example.com");
        assertThat(cs.port()).isEqualTo(6543);
        assertThat(cs.database()).isEqualTo("sales");
        assertThat(cs.sslMode()).isEqualTo("verify-full");
        assertThat(cs.jdbcProperties().getProperty("sslmode")).isEqualTo("verify-full");
        assertThat(cs.jdbcProperties().getProperty("ApplicationName")).isEqualTo("r");
        assertThat(cs.libpqEnvironment())
                .containsEntry("PGPASSWORD", "p@ss:w0rd/")
                .containsEntry("PGSSLMODE", "verify-full");
    }

    @Test
    void parsesKeyValueWithQuotes() {
        ConnectionString cs =
                ConnectionString.parse("host=10.0.0.5 port = 5433 dbname=app user=u password='sp ace' sslmode=require");
        assertThat(cs.host()).isEqualTo("10.0.0.5");
        assertThat(cs.port()).isEqualTo(5433);
        assertThat(cs.database()).isEqualTo("app");
        assertThat(cs.password()).isEqualTo("sp ace");
        assertThat(cs.sslMode()).isEqualTo("require");
    }

    @Test
    void keyValueQuotedPasswordKeepsSpaces() {
        ConnectionString cs = ConnectionString.parse("host=h user=u password='a b\\'c'");
        assertThat(cs.password()).isEqualTo("a b'c");
        assertThat(cs.database()).isEqualTo("u");
        assertThat(cs.port()).isEqualTo(5432);
    }

    @Test
    void ipv6Host() {
        ConnectionString cs = ConnectionString.parse("postgres://u@[::1]:5999/d");
        assertThat(cs.host()).isEqualTo("::1");
        assertThat(cs.port()).isEqualTo(5999);
        assertThat(cs.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5999/d");
    }

    @Test
    void maskedFormNeverShowsPassword() {
        ConnectionString cs = ConnectionString.parse("postgresql://u:S3cretPass@h:5432/d?sslmode=require");
        assertThat(cs.masked()).isEqualTo("postgresql://u:****@h:5432/d?sslmode=require");
        assertThat(cs.toString()).doesNotContain("S3cretPass");
        assertThat(ConnectionString.parse(cs.toUriWithPassword())).isEqualTo(cs);
    }

    @Test
    void refusesNonDatabaseUrlsAndBadOptions() {
        assertThatThrownBy(() -> ConnectionString.parse("https://example.com/"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not a PostgreSQL connection string");
        assertThatThrownBy(() -> ConnectionString.parse("just some words")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ConnectionString.parse("postgresql://u@h/d?sslmode=always"))
                .hasMessageContaining("sslmode");
        assertThatThrownBy(() -> ConnectionString.parse("postgresql://u@h/d?bogus=1"))
                .hasMessageContaining("bogus");
        assertThatThrownBy(() -> ConnectionString.parse("postgresql://u@h:99999/d"))
                .hasMessageContaining("port");
        assertThatThrownBy(() -> ConnectionString.parse("postgresql://h/d")).hasMessageContaining("no user");
        // a key passphrase would have to travel to the workers; Recall takes unencrypted key files instead
        assertThatThrownBy(() -> ConnectionString.parse("postgresql://u@h/d?sslpassword=secret"))
                .hasMessageContaining("sslpassword")
                .hasMessageNotContaining("=secret");
        assertThatThrownBy(() -> ConnectionString.parse("host=a,b user=u")).hasMessageContaining("several hosts");
    }

    @Test
    void errorMessagesNeverRepeatThePassword() {
        assertThatThrownBy(() -> ConnectionString.parse("postgresql://u:TopSecret@h:notaport/d"))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("TopSecret"));
    }
}
