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

    @Test
    void splitsDottedNamesOutsideQuotesAndFoldsOnlyWhenAsked() {
        assertThat(SqlIdentifiers.splitName("Public.Orders", true)).containsExactly("public", "orders");
        assertThat(SqlIdentifiers.splitName("Public.Orders", false)).containsExactly("Public", "Orders");
        assertThat(SqlIdentifiers.splitName("\"My.Schema\".\"We\"\"ird\"", true))
                .containsExactly("My.Schema", "We\"ird");
        assertThat(SqlIdentifiers.splitName("a.b.c", true)).containsExactly("a", "b", "c");
        assertThatThrownBy(() -> SqlIdentifiers.splitName("\"open.b", true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unbalanced");
    }
}
