package dev.diskimage.catalog.templates;

import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.core.DiskFormat;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A template version as a {@link TemplateStore} keeps it.
 *
 * @param version the version
 * @param path the stored image, {@code repo:template:version} (raw) or
 *     {@code repo:template:version.<format>}; never rewritten in place
 * @param format the stored image's format
 * @param checksum the published digest of the image as fetched (before any conversion), also
 *     in the {@code .hash} beside it
 * @param metadata the version's metadata, a JSON object as published, also in the
 *     {@code .metadata} beside it
 * @param created true when this call fetched and stored it, false when it was already stored
 */
public record StoredTemplate(TemplateVersion version, Path path, DiskFormat format, Checksum checksum,
                             String metadata, boolean created) {

    /** Checks that no component is null. */
    public StoredTemplate {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(checksum, "checksum");
        Objects.requireNonNull(metadata, "metadata");
    }
}
