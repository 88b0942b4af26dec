package dev.diskimage.catalog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Feeds arbitrary documents, and well-formed documents with arbitrary names, handles, URLs and
 * timestamps, to the repository parser: it either refuses with a {@link TemplateRepositoryException}
 * or gives versions whose store names are single file names and whose handles stay below their
 * source's root or base URL.
 */
class TemplateRepositoryFuzzTest {
    private static final Path ROOT = Path.of("/srv/templates");

    @FuzzTest(maxDuration = "10s")
    void anyDocumentIsRefusedOrSafe(FuzzedDataProvider data) {
        byte[] document;
        if (data.consumeBoolean()) {
            document = data.consumeRemainingAsBytes();
        } else {
            JsonNodeFactory json = JsonNodeFactory.instance;
            ObjectNode root = json.objectNode();
            root.put("name", data.consumeString(40));
            ObjectNode sources = root.putObject("sources");
            ObjectNode file = sources.putObject(data.consumeString(10));
            file.put("type", "file");
            file.putObject("args").put("root", data.consumeString(40));
            ObjectNode web = sources.putObject("web");
            web.put("type", "http");
            web.putObject("args").put("baseurl", data.consumeString(60));
            ObjectNode version = root.putObject("templates").putObject(data.consumeString(20))
                    .putObject("versions").putObject(data.consumeString(20));
            version.put("source", data.consumeBoolean() ? "web" : data.consumeString(10));
            version.put("handle", data.consumeString(80));
            if (data.consumeBoolean()) {
                version.put("timestamp", data.consumeLong());
            } else {
                version.put("timestamp", data.consumeDouble());
            }
            document = root.toString().getBytes(StandardCharsets.UTF_8);
        }
        TemplateRepository repo;
        try {
            repo = TemplateRepository.parse("fuzz.json", document, Optional.of(ROOT));
        } catch (TemplateRepositoryException e) {
            assertThat(e.getMessage()).startsWith("template repository fuzz.json");
            return;
        }
        for (Template template : repo.templates().values()) {
            for (TemplateVersion v : template.versions().values()) {
                assertThat(v.storeName()).doesNotContain("/", "\0").doesNotStartWith(".");
                assertThat(v.storeName().split(":")).hasSize(3);
                for (String suffix : new String[] {"", ".xz", ".hash", ".xz.metadata"}) {
                    if (v.source() instanceof FileTemplateSource f) {
                        assertThat(f.resolve(v.handle() + suffix)).startsWith(f.root());
                    } else {
                        HttpTemplateSource h = (HttpTemplateSource) v.source();
                        String url = h.resolve(v.handle() + suffix).toString();
                        assertThat(url).startsWith(h.baseUrl().toString());
                        assertThat(url.substring(h.baseUrl().toString().length())).doesNotContain("?", "#", "..");
                    }
                }
            }
        }
    }
}
