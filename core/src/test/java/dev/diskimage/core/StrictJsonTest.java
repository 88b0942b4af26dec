package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

    @Test
    void refusesDuplicateKeysAtAnyDepth() {
        assertThatThrownBy(() -> StrictJson.mapper().readTree("{\"a\": 1, \"a\": 2}"))
                .isInstanceOf(JsonProcessingException.class).hasMessageContaining("Duplicate field 'a'");
        assertThatThrownBy(() -> StrictJson.mapper().readTree("{\"x\": {\"b\": 1, \"b\": 1}}"))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void refusesTrailingContentAndDeepNesting() {
        assertThatThrownBy(() -> StrictJson.mapper().readTree("{} {}")).isInstanceOf(JsonProcessingException.class);
        String deep = "[".repeat(StrictJson.MAX_NESTING + 1) + "]".repeat(StrictJson.MAX_NESTING + 1);
        assertThatThrownBy(() -> StrictJson.mapper().readTree(deep)).isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void describesErrorsInOneLineWithoutParserInternals() {
        JsonProcessingException error = null;
        try {
            StrictJson.mapper().readTree("{\"a\": 1,\n \"a\": 2}");
        } catch (JsonProcessingException e) {
            error = e;
        }

        String text = StrictJson.describe(error);

        assertThat(text).contains("Duplicate field 'a'", "line 2").doesNotContain("\n", "Source", "REDACTED");
    }
}
