package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

    @Test
    void refusesDuplicateKeysAtAnyDepth() {
        assertThatThrownBy(() -> StrictJson.tree().readTree("{\"a\": 1, \"a\": 2}"))
                .isInstanceOf(JsonProcessingException.class).hasMessageContaining("Duplicate field 'a'");
        assertThatThrownBy(() -> StrictJson.tree().readTree("{\"x\": {\"b\": 1, \"b\": 1}}"))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void refusesTrailingContentAndDeepNesting() {
        assertThatThrownBy(() -> StrictJson.tree().readTree("{} {}")).isInstanceOf(JsonProcessingException.class);
        String deep = "[".repeat(StrictJson.MAX_NESTING + 1) + "]".repeat(StrictJson.MAX_NESTING + 1);
        assertThatThrownBy(() -> StrictJson.tree().readTree(deep)).isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void describesErrorsInOneLineWithoutParserInternals() {
        JsonProcessingException error = null;
        try {
            StrictJson.tree().readTree("{\"a\": 1,\n \"a\": 2}");
        } catch (JsonProcessingException e) {
            error = e;
        }

        String text = StrictJson.describe(error);

        assertThat(text).contains("Duplicate field 'a'", "line 2").doesNotContain("\n", "Source", "REDACTED");
    }

    /** A schema of our own, as a policy file or a catalog entry would be. */
    record Settings(String name, Boolean enabled, Long limit, java.util.List<String> tags, Mode mode) {
    }

    enum Mode {
        FAST, SAFE
    }

    @Test
    void bindsOurSchemaFromSnakeCaseKeysAndLeavesAbsentKeysNull() throws Exception {
        Settings settings = StrictJson.bind(
                "{\"name\": \"a\", \"enabled\": true, \"tags\": [\"x\"], \"mode\": \"SAFE\"}".getBytes(), Settings.class);

        assertThat(settings).isEqualTo(new Settings("a", true, null, java.util.List.of("x"), Mode.SAFE));
    }

    @Test
    void refusesWhatOurSchemaDoesNotDeclare() {
        assertThatThrownBy(() -> StrictJson.bind("{\"nmae\": \"a\"}".getBytes(), Settings.class))
                .isInstanceOf(com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException.class);
    }

    @Test
    void refusesNullsAndCoercionsInOurSchema() {
        for (String document : new String[] {"{\"name\": null}", "{\"tags\": [null]}", "{\"enabled\": \"true\"}",
                "{\"enabled\": 1}", "{\"limit\": \"12\"}", "{\"limit\": 1.5}", "{\"name\": 7}", "{\"mode\": 1}",
                "{\"tags\": \"x\"}", "{\"name\": \"a\", \"name\": \"b\"}", "{} {}"}) {
            assertThatThrownBy(() -> StrictJson.bind(document.getBytes(), Settings.class))
                    .as(document).isInstanceOf(JsonProcessingException.class);
        }
    }

    @Test
    void bytesThatAreNoTextAreMalformedJsonNotAnIoFailure() {
        // Zero bytes first make the parser read UTF-32; "sums" then decodes to a code point above U+10FFFF.
        byte[] document = new byte[80];
        System.arraycopy("sums".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, document, 71, 4);

        assertThatThrownBy(() -> StrictJson.bind(document, Settings.class))
                .isInstanceOf(com.fasterxml.jackson.core.JsonParseException.class)
                .hasMessageContaining("not valid text");
    }

    @Test
    void namesTheKeyWhoseValueIsRefused() {
        assertThatThrownBy(() -> StrictJson.bind("{\"tags\": [\"a\", null]}".getBytes(), Settings.class))
                .isInstanceOfSatisfying(com.fasterxml.jackson.databind.JsonMappingException.class,
                        e -> assertThat(e.getPath().get(0).getFieldName()).isEqualTo("tags"));
        assertThatThrownBy(() -> StrictJson.bind("{\"limit\": true}".getBytes(), Settings.class))
                .isInstanceOfSatisfying(com.fasterxml.jackson.databind.JsonMappingException.class,
                        e -> assertThat(e.getPath().get(0).getFieldName()).isEqualTo("limit"));
    }

    @Test
    void treeReadersRefuseDuplicateKeys() {
        assertThat(StrictJson.tree().isEnabled(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION))
                .isTrue();
    }
}
