package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The BOM lists every module the parent publishes, at the project's version, and nothing else:
 * adding a module to the parent without adding it to {@code bom/pom.xml} fails here.
 */
class BomCompletenessIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final String GROUP = "dev.diskimage";

    /** Parses a pom without fetching anything (no DTDs, no external entities). */
    private static Element pom(Path file) throws IOException, ParserConfigurationException, SAXException {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setExpandEntityReferences(false);
        Document document = factory.newDocumentBuilder().parse(file.toFile());
        return document.getDocumentElement();
    }

    /** The direct child elements of {@code parent} named {@code name}. */
    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                found.add(element);
            }
        }
        return found;
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        assertThat(found).as("<%s> in <%s>", name, parent.getTagName()).hasSize(1);
        return found.get(0);
    }

    private static String text(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0).getTextContent().strip();
    }

    /** A module's property, or null. */
    private static String property(Element pom, String name) {
        List<Element> properties = children(pom, "properties");
        return properties.isEmpty() ? null : text(properties.get(0), name);
    }

    @Test
    void theBomListsEveryPublishedModuleAtTheProjectVersion() throws Exception {
        Element parent = pom(ROOT.resolve("pom.xml"));
        Element bom = pom(ROOT.resolve("bom/pom.xml"));

        Map<String, String> published = new TreeMap<>();
        for (Element module : children(child(parent, "modules"), "module")) {
            Path dir = ROOT.resolve(module.getTextContent().strip());
            Element modulePom = pom(dir.resolve("pom.xml"));
            String packaging = text(modulePom, "packaging");
            boolean deployed = !"true".equals(property(modulePom, "maven.deploy.skip"));
            if (deployed && (packaging == null || packaging.equals("jar"))) {
                published.put(text(modulePom, "artifactId"), dir.getFileName().toString());
            }
        }
        assertThat(published).as("published jar modules of the parent").containsKeys(
                "diskimage-core", "diskimage-validation", "diskimage-cli").doesNotContainKeys(
                "diskimage-bench", "diskimage-it-tests", "diskimage-bom");

        List<String> listed = new ArrayList<>();
        for (Element dependency : children(child(child(bom, "dependencyManagement"), "dependencies"), "dependency")) {
            assertThat(text(dependency, "groupId")).isEqualTo(GROUP);
            assertThat(text(dependency, "version")).isEqualTo("${project.version}");
            listed.add(text(dependency, "artifactId"));
        }
        assertThat(listed).as("diskimage-bom's dependencyManagement")
                .containsExactlyInAnyOrderElementsOf(published.keySet());
    }

    @Test
    void theBomIsStandaloneAndVersionedWithTheParent() throws Exception {
        Element parent = pom(ROOT.resolve("pom.xml"));
        Element bom = pom(ROOT.resolve("bom/pom.xml"));

        assertThat(children(bom, "parent")).as("the BOM must not inherit the parent's third-party versions").isEmpty();
        assertThat(text(bom, "groupId")).isEqualTo(text(parent, "groupId"));
        assertThat(text(bom, "version")).isEqualTo(text(parent, "version"));
        assertThat(text(bom, "packaging")).isEqualTo("pom");
        assertThat(children(child(parent, "modules"), "module")).extracting(Node::getTextContent).contains("bom");
    }
}
