package dev.diskimage.catalog.templates;

import java.time.Instant;
import java.util.Objects;

/**
 * One version of a template: which source holds it, its handle there (the image's path
 * relative to the source root), and when it was made. Its store name,
 * {@code repository:template:version}, is the file the {@link TemplateStore} keeps it as.
 *
 * @param repository the repository's name
 * @param template the template's name
 * @param version the version's name
 * @param source where the image is fetched from
 * @param handle the image's path relative to the source root; relative, without {@code ..}
 * @param timestamp when the version was made; the newest is a template's latest version
 */
public record TemplateVersion(String repository, String template, String version, TemplateSource source,
                              String handle, Instant timestamp) {

    /** Checks that no component is null. */
    public TemplateVersion {
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(timestamp, "timestamp");
    }

    /**
     * The name the store keeps this version under (lago's naming), also its sidecars' base name.
     *
     * @return {@code repository:template:version}
     */
    public String storeName() {
        return repository + ":" + template + ":" + version;
    }

    @Override
    public String toString() {
        return storeName();
    }
}
