package dev.diskimage.core.service;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What an image service says about an image: Glance v2's image record. Every value is the
 * service's claim, to be verified against the bytes (size, checksum, multihash, format).
 *
 * @param id the image's id in its service
 * @param name the display name, if any
 * @param status the life-cycle state
 * @param diskFormat the declared disk format with Glance's names ({@code qcow2}, {@code vhd},
 *     {@code raw}, ...), if set
 * @param containerFormat the declared container format ({@code bare}, {@code ova}, ...), if set
 * @param size the data's size in bytes, once uploaded
 * @param virtualSize the disk's virtual size in bytes, if the service knows it
 * @param checksum the MD5 of the data as lower-case hex, once uploaded
 * @param osHashAlgo the multihash algorithm ({@code sha512} by default), once uploaded
 * @param osHashValue the multihash of the data as lower-case hex, once uploaded
 * @param visibility {@code public}, {@code private}, {@code shared} or {@code community}
 * @param owner the owning project, if any
 * @param properties every other property, the signature properties among them
 */
public record ImageMeta(String id, Optional<String> name, ImageStatus status, Optional<String> diskFormat,
        Optional<String> containerFormat, OptionalLong size, OptionalLong virtualSize, Optional<String> checksum,
        Optional<String> osHashAlgo, Optional<String> osHashValue, String visibility, Optional<String> owner,
        Map<String, String> properties) {

    /** Validates and copies the parts; sizes must not be negative. */
    public ImageMeta {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(diskFormat, "diskFormat");
        Objects.requireNonNull(containerFormat, "containerFormat");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(virtualSize, "virtualSize");
        Objects.requireNonNull(checksum, "checksum");
        Objects.requireNonNull(osHashAlgo, "osHashAlgo");
        Objects.requireNonNull(osHashValue, "osHashValue");
        Objects.requireNonNull(visibility, "visibility");
        Objects.requireNonNull(owner, "owner");
        properties = Map.copyOf(properties);
        if (size.isPresent() && size.getAsLong() < 0) {
            throw new IllegalArgumentException("image " + id + ": negative size " + size.getAsLong());
        }
        if (virtualSize.isPresent() && virtualSize.getAsLong() < 0) {
            throw new IllegalArgumentException("image " + id + ": negative virtual size " + virtualSize.getAsLong());
        }
    }

    /**
     * A builder for an image record, for services and tests.
     *
     * @param id the image's id
     * @return a builder with status {@code queued}, visibility {@code shared} and nothing else set
     */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    /**
     * A builder that starts from this record, to change a few parts.
     *
     * @return a builder holding every part of this record
     */
    public Builder toBuilder() {
        Builder builder = new Builder(id);
        builder.name = name;
        builder.status = status;
        builder.diskFormat = diskFormat;
        builder.containerFormat = containerFormat;
        builder.size = size;
        builder.virtualSize = virtualSize;
        builder.checksum = checksum;
        builder.osHashAlgo = osHashAlgo;
        builder.osHashValue = osHashValue;
        builder.visibility = visibility;
        builder.owner = owner;
        builder.properties.putAll(properties);
        return builder;
    }

    /**
     * One extra property.
     *
     * @param key the property's name
     * @return its value, if set
     */
    public Optional<String> property(String key) {
        return Optional.ofNullable(properties.get(key));
    }

    /**
     * A name for messages: the id, and the display name when there is one.
     *
     * @return e.g. {@code 6b1c... ("cirros")}
     */
    public String describe() {
        return name.map(n -> id + " (\"" + n + "\")").orElse(id);
    }

    /** Builds an {@link ImageMeta}; not thread-safe. */
    public static final class Builder {
        private final String id;
        private Optional<String> name = Optional.empty();
        private ImageStatus status = ImageStatus.QUEUED;
        private Optional<String> diskFormat = Optional.empty();
        private Optional<String> containerFormat = Optional.empty();
        private OptionalLong size = OptionalLong.empty();
        private OptionalLong virtualSize = OptionalLong.empty();
        private Optional<String> checksum = Optional.empty();
        private Optional<String> osHashAlgo = Optional.empty();
        private Optional<String> osHashValue = Optional.empty();
        private String visibility = "shared";
        private Optional<String> owner = Optional.empty();
        private final Map<String, String> properties = new LinkedHashMap<>();

        private Builder(String id) {
            this.id = Objects.requireNonNull(id, "id");
        }

        /**
         * Sets the display name.
         *
         * @param value the name
         * @return this builder
         */
        public Builder name(String value) {
            this.name = Optional.of(value);
            return this;
        }

        /**
         * Sets the status.
         *
         * @param value the status
         * @return this builder
         */
        public Builder status(ImageStatus value) {
            this.status = Objects.requireNonNull(value, "status");
            return this;
        }

        /**
         * Sets the disk format (Glance's name).
         *
         * @param value e.g. {@code qcow2}
         * @return this builder
         */
        public Builder diskFormat(String value) {
            this.diskFormat = Optional.of(value);
            return this;
        }

        /**
         * Sets the container format.
         *
         * @param value e.g. {@code bare}
         * @return this builder
         */
        public Builder containerFormat(String value) {
            this.containerFormat = Optional.of(value);
            return this;
        }

        /**
         * Sets the data's size.
         *
         * @param bytes the size in bytes
         * @return this builder
         */
        public Builder size(long bytes) {
            this.size = OptionalLong.of(bytes);
            return this;
        }

        /**
         * Sets the virtual size.
         *
         * @param bytes the virtual size in bytes
         * @return this builder
         */
        public Builder virtualSize(long bytes) {
            this.virtualSize = OptionalLong.of(bytes);
            return this;
        }

        /**
         * Sets the MD5 checksum.
         *
         * @param hex lower-case hex
         * @return this builder
         */
        public Builder checksum(String hex) {
            this.checksum = Optional.of(hex);
            return this;
        }

        /**
         * Sets the multihash.
         *
         * @param algorithm e.g. {@code sha512}
         * @param hex the hash as lower-case hex
         * @return this builder
         */
        public Builder multihash(String algorithm, String hex) {
            this.osHashAlgo = Optional.of(algorithm);
            this.osHashValue = Optional.of(hex);
            return this;
        }

        /**
         * Sets the visibility.
         *
         * @param value e.g. {@code private}
         * @return this builder
         */
        public Builder visibility(String value) {
            this.visibility = Objects.requireNonNull(value, "visibility");
            return this;
        }

        /**
         * Sets the owning project.
         *
         * @param value the project id
         * @return this builder
         */
        public Builder owner(String value) {
            this.owner = Optional.of(value);
            return this;
        }

        /**
         * Sets one extra property.
         *
         * @param key its name
         * @param value its value
         * @return this builder
         */
        public Builder property(String key, String value) {
            properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Replaces the extra properties.
         *
         * @param values the properties
         * @return this builder
         */
        public Builder properties(Map<String, String> values) {
            properties.clear();
            properties.putAll(values);
            return this;
        }

        /**
         * Builds the record.
         *
         * @return the image record
         */
        public ImageMeta build() {
            return new ImageMeta(id, name, status, diskFormat, containerFormat, size, virtualSize, checksum,
                    osHashAlgo, osHashValue, visibility, owner, properties);
        }
    }
}
