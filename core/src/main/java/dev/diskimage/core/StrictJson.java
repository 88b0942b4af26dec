package dev.diskimage.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one JSON reader set-up for every JSON document this project reads from outside: policy
 * files, qemu-img output, LUKS2 metadata, service answers. Duplicate keys are an error (two
 * parsers could otherwise each believe a different copy), trailing content is an error, and
 * nesting, string and number lengths are capped so a hostile document cannot exhaust memory.
 */
public final class StrictJson {
    /** Deepest nesting accepted in any document we read. */
    public static final int MAX_NESTING = 256;
    /** Longest string value accepted, in characters. */
    public static final int MAX_STRING = 1 << 20;
    /** Longest number accepted, in digits: a u64 has 20. */
    public static final int MAX_NUMBER_DIGITS = 32;

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING)
                            .maxStringLength(MAX_STRING)
                            .maxNumberLength(MAX_NUMBER_DIGITS)
                            .build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private StrictJson() {
    }

    /** The shared, thread-safe strict mapper. Do not reconfigure it; derive readers from it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * A one-line description of a parse error for a human: what is wrong and where (line and
     * column), without the parser's internal source description.
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
}
