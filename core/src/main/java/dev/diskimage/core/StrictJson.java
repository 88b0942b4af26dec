package dev.diskimage.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The one JSON reader set-up for every JSON document this project reads from outside: policy
 * files, qemu-img output, LUKS2 metadata, service answers. Duplicate keys are an error (two
 * parsers could otherwise each believe a different copy), trailing content is an error, and
 * nesting, string and number lengths are capped so a hostile document cannot exhaust memory.
 *
 * <p>Two entry points, because two kinds of documents arrive: {@link #tree()} reads documents
 * whose schema belongs to someone else (qemu-img, LUKS2), where the caller checks the keys it
 * needs; {@link #bind(byte[], Class)} reads documents whose schema is ours (policy files) straight into
 * a record and refuses anything the record does not declare, so a typo can never silently
 * weaken a setting. No caller gets the shared mapper itself, so none can reconfigure it for
 * everyone else.
 */
public final class StrictJson {
    /** Deepest nesting accepted in any document we read. */
    public static final int MAX_NESTING = 256;
    /** Longest string value accepted, in characters. */
    public static final int MAX_STRING = 1 << 20;
    /** Longest number accepted, in digits: a u64 has 20. */
    public static final int MAX_NUMBER_DIGITS = 32;

    /**
     * Mappers are built on first use (holder classes): a Jackson mapper loads hundreds of
     * classes, and most short {@code image-check} runs never read any JSON.
     */
    private static final class Trees {
        static final ObjectMapper MAPPER = strictMapper().build();
    }

    private static final class OwnSchemas {
        static final ObjectMapper MAPPER = ownSchemaMapper();
    }

    private StrictJson() {
    }

    /**
     * A reader for JSON trees from documents whose schema is not ours; thread-safe and immutable.
     *
     * @return a reader of the shared strict mapper, for {@code readTree}
     */
    public static ObjectReader tree() {
        return Trees.MAPPER.reader();
    }

    /**
     * Binds a document of our own schema to {@code type} (a record whose component names are the
     * snake_case keys in camelCase). Unknown keys, {@code null} anywhere, numbers for enums and
     * text-to-number or text-to-boolean coercions are all refused; a missing key leaves its
     * component {@code null} (or zero/false for primitives) so the record can apply its default.
     *
     * @param <T> the record type
     * @param document the JSON document's bytes, normally UTF-8
     * @param type the record class to bind to
     * @return the bound value, or {@code null} for an empty document
     * @throws JsonProcessingException for malformed JSON ({@code JsonParseException}), an
     *     unknown key ({@code UnrecognizedPropertyException}) or a value that does not fit its
     *     key ({@code JsonMappingException} whose path names the key)
     */
    public static <T> T bind(byte[] document, Class<T> type) throws JsonProcessingException {
        JsonNode root;
        try {
            root = OwnSchemas.MAPPER.readTree(document);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (CharConversionException e) {
            // Bytes that are no text in the encoding the parser detected (UTF-8, -16 or -32 by the
            // first bytes): as malformed as any other broken document.
            throw new JsonParseException(null, "not valid text: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("reading an in-memory document failed", e);
        }
        if (root == null || root.isMissingNode()) {
            return null;
        }
        refuseNulls(root);
        return OwnSchemas.MAPPER.treeToValue(root, type);
    }

    /** Explicit nulls are refused: "absent" is how our schemas say "use the default". */
    private static void refuseNulls(JsonNode node) throws JsonMappingException {
        if (node.isNull()) {
            throw MismatchedInputException.from((JsonParser) null, Object.class, "null is not allowed here");
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                try {
                    refuseNulls(field.getValue());
                } catch (JsonMappingException e) {
                    throw JsonMappingException.wrapWithPath(e, node, field.getKey());
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                try {
                    refuseNulls(node.get(i));
                } catch (JsonMappingException e) {
                    throw JsonMappingException.wrapWithPath(e, node, i);
                }
            }
        }
    }

    /**
     * A one-line description of a parse error for a human: what is wrong and where (line and
     * column), without the parser's internal source description.
     *
     * @param error the error {@link #bind(byte[], Class)} or a {@link #tree()} reader threw
     * @return the first line of the parser's message, sanitized and cut to 300 characters
     *     ({@code "malformed JSON"} when there is none), followed by
     *     {@code " at line L, column C"} when the location is known
     */
    public static String describe(JsonProcessingException error) {
        String what = error.getOriginalMessage();
        int newline = what == null ? -1 : what.indexOf('\n');
        if (newline >= 0) {
            what = what.substring(0, newline);
        }
        JsonLocation where = error.getLocation();
        String location = where == null || where.getLineNr() < 0 ? ""
                : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
        return UntrustedText.sanitize(what == null ? "malformed JSON" : what, 300) + location;
    }

    private static JsonMapper.Builder strictMapper() {
        return JsonMapper.builder(JsonFactory.builder()
                        .streamReadConstraints(StreamReadConstraints.builder()
                                .maxNestingDepth(MAX_NESTING)
                                .maxStringLength(MAX_STRING)
                                .maxNumberLength(MAX_NUMBER_DIGITS)
                                .build())
                        .build())
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    private static ObjectMapper ownSchemaMapper() {
        JsonMapper mapper = strictMapper()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        for (LogicalType type : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean,
                LogicalType.Textual}) {
            mapper.coercionConfigFor(type)
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        }
        return mapper;
    }
}
