package io.recall.common.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SqlIdentifiersTest {

    @Test
    void quotesAlwaysAndEscapesEmbeddedQuotes() {
        assertThat(SqlIdentifiers.quote("orders")).isEqualTo("\"orders\"");
        assertThat(SqlIdentifiers.quote("we\"ird; DROP TABLE x")).isEqualTo("\"we\"\"ird; DROP TABLE x\"");
        assertThat(SqlIdentifiers.qualified("My Schema", "T")).isEqualTo("\"My Schema\".\"T\"");
        assertThat(SqlIdentifiers.literal("it's")).isEqualTo("'it''s'");
        assertThatThrownBy(() -> SqlIdentifiers.quote("a\0b")).isInstanceOf(IllegalArgumentException.class);
    }
}
