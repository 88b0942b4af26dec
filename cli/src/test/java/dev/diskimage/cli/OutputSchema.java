package dev.diskimage.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The published JSON Schema of {@code image-check --json} lines (docs/image-check-output.schema.json),
 * so that every JSON line a test sees is also checked against the documented contract.
 */
final class OutputSchema {
    /** Where the schema lives, relative to the cli module (Surefire runs in the module directory). */
    static final Path FILE = Path.of("..", "docs", "image-check-output.schema.json");

    private static final Schema SCHEMA = load();

    private OutputSchema() {
    }

    /** The schema violations of one output line; empty when it conforms. */
    static List<String> violations(JsonNode line) {
        return SCHEMA.validate(line).stream().map(Error::toString).toList();
    }

    private static Schema load() {
        try (InputStream in = Files.newInputStream(FILE)) {
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
