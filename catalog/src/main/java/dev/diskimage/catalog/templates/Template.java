package dev.diskimage.catalog.templates;

import dev.diskimage.core.UntrustedText;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A template of a repository and its versions.
 *
 * @param repository the repository's name
 * @param name the template's name
 * @param versions the versions by name, at least one; an unmodifiable sorted copy is kept
 */
public record Template(String repository, String name, Map<String, TemplateVersion> versions) {

    /**
     * Copies the versions.
     *
     * @throws IllegalArgumentException if there is no version
     */
    public Template {
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(name, "name");
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("template " + name + " has no version");
        }
        versions = Collections.unmodifiableMap(new TreeMap<>(versions));
    }

    /**
     * The newest version: the one with the latest timestamp (as lago chooses); between equal
     * timestamps the greatest version name, so the choice never depends on document order.
     *
     * @return the latest version
     */
    public TemplateVersion latest() {
        return versions.values().stream()
                .max(Comparator.comparing(TemplateVersion::timestamp).thenComparing(TemplateVersion::version))
                .orElseThrow();
    }

    /**
     * The version by that name.
     *
     * @param version a version name
     * @return the version
     * @throws TemplateNotFoundException if the template has no such version; the message lists those it has
     */
    public TemplateVersion version(String version) {
        TemplateVersion found = versions.get(version);
        if (found == null) {
            throw new TemplateNotFoundException("template " + name + " of repository " + repository
                    + " has no version " + UntrustedText.sanitize(version, 200)
                    + " (versions: " + String.join(", ", versions.keySet()) + ")");
        }
        return found;
    }
}
