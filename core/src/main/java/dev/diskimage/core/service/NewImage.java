package dev.diskimage.core.service;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The image record to create before its data is uploaded (Glance's {@code POST /v2/images}).
 *
 * @param id the id to give the image, or empty to let the service choose one
 * @param name the display name
 * @param diskFormat the disk format with Glance's names ({@code qcow2}, {@code raw}, {@code vhd}, ...)
 * @param containerFormat the container format, {@code bare} for a plain disk image
 * @param visibility {@code private}, {@code shared}, {@code public} or {@code community}
 * @param properties extra properties (e.g. the signature properties)
 */
public record NewImage(Optional<String> id, String name, String diskFormat, String containerFormat,
        String visibility, Map<String, String> properties) {

    /** Validates and copies the parts. */
    public NewImage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(diskFormat, "diskFormat");
        Objects.requireNonNull(containerFormat, "containerFormat");
        Objects.requireNonNull(visibility, "visibility");
        properties = Map.copyOf(properties);
    }

    /**
     * A private, bare image with a name and disk format, and no extra properties.
     *
     * @param name the display name
     * @param diskFormat the disk format with Glance's names
     * @return the record
     */
    public static NewImage of(String name, String diskFormat) {
        return new NewImage(Optional.empty(), name, diskFormat, "bare", "private", Map.of());
    }

    /**
     * This record with extra properties.
     *
     * @param values the properties
     * @return the new record
     */
    public NewImage withProperties(Map<String, String> values) {
        return new NewImage(id, name, diskFormat, containerFormat, visibility, values);
    }

    /**
     * This record with a visibility.
     *
     * @param value e.g. {@code public}
     * @return the new record
     */
    public NewImage withVisibility(String value) {
        return new NewImage(id, name, diskFormat, containerFormat, value, properties);
    }

    /**
     * This record with a chosen id.
     *
     * @param value the id
     * @return the new record
     */
    public NewImage withId(String value) {
        return new NewImage(Optional.of(value), name, diskFormat, containerFormat, visibility, properties);
    }
}
