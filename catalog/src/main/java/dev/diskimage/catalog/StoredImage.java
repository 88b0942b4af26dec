package dev.diskimage.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One image's metadata file of {@link LocalImageService}, as JSON: Glance's attribute names in
 * snake_case, absent values left out, extra properties under {@code properties}. Binding goes
 * through {@link StrictJson#bind}, so unknown keys, nulls and values of the wrong type are
 * refused; {@link #check(Path, String)} then checks what the types cannot say.
 */
record StoredImage(String id, String name, String status, String diskFormat, String containerFormat,
        String visibility, String owner, Long size, Long virtualSize, String checksum, String osHashAlgo,
        String osHashValue, Long minDisk, Long minRam, @JsonProperty("protected") Boolean protectedImage,
        String createdAt, String updatedAt, Map<String, String> properties) {

    /** Glance's {@code image_property_quota} default. */
    static final int MAX_PROPERTIES = 128;
    /** Glance's column sizes: property names 255 characters, values 65535. */
    static final int MAX_KEY_LENGTH = 255;
    static final int MAX_VALUE_LENGTH = 65_535;

    static final Set<String> VISIBILITIES = Set.of("public", "private", "shared", "community");
    /** Glance's default {@code disk_formats}. */
    static final Set<String> DISK_FORMATS = Set.of("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2",
            "vdi", "iso", "ploop");
    /** Glance's default {@code container_formats}. */
    static final Set<String> CONTAINER_FORMATS = Set.of("ami", "ari", "aki", "bare", "ovf", "ova", "docker",
            "compressed");

    private static final Pattern MD5_HEX = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{1,256}");
    private static final JsonFactory FACTORY = new JsonFactory();

    /** The fields with defaults filled in, so the rest of the service never sees a null. */
    StoredImage {
        properties = properties == null ? Map.of() : new TreeMap<>(properties);
        minDisk = minDisk == null ? Long.valueOf(0) : minDisk;
        minRam = minRam == null ? Long.valueOf(0) : minRam;
        protectedImage = protectedImage == null ? Boolean.FALSE : protectedImage;
    }

    ImageStatus imageStatus() {
        return ImageStatus.fromName(status);
    }

    Instant created() {
        return Instant.parse(createdAt);
    }

    Instant updated() {
        return Instant.parse(updatedAt);
    }

    /**
     * Reads and checks a metadata file's content.
     *
     * @throws ImageRecordCorruptException naming the file and what is wrong
     */
    static StoredImage parse(Path file, String expectedId, byte[] content) {
        StoredImage image;
        try {
            image = StrictJson.bind(content, StoredImage.class);
        } catch (JsonParseException | StreamConstraintsException e) {
            throw new ImageRecordCorruptException(file, "not valid JSON: " + StrictJson.describe(e), e);
        } catch (JsonProcessingException e) {
            throw new ImageRecordCorruptException(file, "not an image record: " + StrictJson.describe(e), e);
        } catch (RuntimeException e) {
            // Binding a value that does not fit (e.g. a number out of a Long's range) can surface
            // unchecked from the mapper; it is still the file's fault.
            throw new ImageRecordCorruptException(file, "not an image record: "
                    + UntrustedText.sanitize(String.valueOf(e.getMessage()), 200), e);
        }
        if (image == null) {
            throw new ImageRecordCorruptException(file, "empty", null);
        }
        image.check(file, expectedId);
        return image;
    }

    private void check(Path file, String expectedId) {
        if (id == null || !id.equals(expectedId)) {
            throw corrupt(file, "its id " + (id == null ? "is missing" : "'" + UntrustedText.sanitize(id, 100) + "'")
                    + " is not the file's name " + expectedId);
        }
        if (status == null || imageStatus() == ImageStatus.UNKNOWN) {
            throw corrupt(file, "status " + quote(status) + " is not an image status");
        }
        require(file, visibility != null && VISIBILITIES.contains(visibility), "visibility " + quote(visibility)
                + " is not one of " + new java.util.TreeSet<>(VISIBILITIES));
        require(file, createdAt != null && isInstant(createdAt), "created_at " + quote(createdAt)
                + " is not an ISO-8601 instant");
        require(file, updatedAt != null && isInstant(updatedAt), "updated_at " + quote(updatedAt)
                + " is not an ISO-8601 instant");
        require(file, size == null || size >= 0, "size is negative");
        require(file, virtualSize == null || virtualSize >= 0, "virtual_size is negative");
        require(file, minDisk >= 0 && minRam >= 0, "min_disk and min_ram must not be negative");
        require(file, checksum == null || MD5_HEX.matcher(checksum).matches(), "checksum is not an MD5 in hex");
        require(file, osHashValue == null || HEX.matcher(osHashValue).matches(), "os_hash_value is not hex");
        require(file, (osHashAlgo == null) == (osHashValue == null), "os_hash_algo and os_hash_value come together");
        if (imageStatus() == ImageStatus.ACTIVE) {
            require(file, size != null && checksum != null && osHashValue != null,
                    "an active image needs its size, checksum and os_hash_value");
        }
        require(file, properties.size() <= MAX_PROPERTIES, "more than " + MAX_PROPERTIES + " properties");
        for (Map.Entry<String, String> property : properties.entrySet()) {
            require(file, property.getKey().length() <= MAX_KEY_LENGTH && !property.getKey().isEmpty(),
                    "a property name is empty or longer than " + MAX_KEY_LENGTH + " characters");
            require(file, property.getValue().length() <= MAX_VALUE_LENGTH,
                    "property " + quote(property.getKey()) + " is longer than " + MAX_VALUE_LENGTH + " characters");
            require(file, !LocalImageService.CORE_ATTRIBUTES.contains(property.getKey()),
                    "property " + quote(property.getKey()) + " has the name of an attribute");
        }
    }

    private static boolean isInstant(String text) {
        try {
            Instant.parse(text);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static void require(Path file, boolean condition, String reason) {
        if (!condition) {
            throw corrupt(file, reason);
        }
    }

    private static ImageRecordCorruptException corrupt(Path file, String reason) {
        return new ImageRecordCorruptException(file, reason, null);
    }

    private static String quote(String value) {
        return value == null ? "(missing)" : "'" + UntrustedText.sanitize(value, 100) + "'";
    }

    /** The record as the service's API shows it; min_disk, min_ram and protected among the properties. */
    ImageMeta toMeta() {
        ImageMeta.Builder builder = ImageMeta.builder(id).status(imageStatus()).visibility(visibility);
        if (name != null) {
            builder.name(name);
        }
        if (diskFormat != null) {
            builder.diskFormat(diskFormat);
        }
        if (containerFormat != null) {
            builder.containerFormat(containerFormat);
        }
        if (owner != null) {
            builder.owner(owner);
        }
        if (size != null) {
            builder.size(size);
        }
        if (virtualSize != null) {
            builder.virtualSize(virtualSize);
        }
        if (checksum != null) {
            builder.checksum(checksum);
        }
        if (osHashValue != null) {
            builder.multihash(osHashAlgo, osHashValue);
        }
        Map<String, String> all = new LinkedHashMap<>(properties);
        all.put("min_disk", Long.toString(minDisk));
        all.put("min_ram", Long.toString(minRam));
        all.put("protected", Boolean.toString(protectedImage));
        return builder.properties(all).build();
    }

    /**
     * One attribute or property as text, for filters: Glance's names, absent as {@code null}.
     */
    String value(String key) {
        switch (key) {
            case "id":
                return id;
            case "name":
                return name;
            case "status":
                return status;
            case "disk_format":
                return diskFormat;
            case "container_format":
                return containerFormat;
            case "visibility":
                return visibility;
            case "owner":
                return owner;
            case "size":
                return size == null ? null : size.toString();
            case "virtual_size":
                return virtualSize == null ? null : virtualSize.toString();
            case "checksum":
                return checksum;
            case "os_hash_algo":
                return osHashAlgo;
            case "os_hash_value":
                return osHashValue;
            case "min_disk":
                return minDisk.toString();
            case "min_ram":
                return minRam.toString();
            case "protected":
                return protectedImage.toString();
            case "created_at":
                return createdAt;
            case "updated_at":
                return updatedAt;
            default:
                return properties.get(key);
        }
    }

    /** The file's content: UTF-8 JSON, keys in a fixed order, absent values left out. */
    byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartObject();
            json.writeStringField("id", id);
            writeIfSet(json, "name", name);
            json.writeStringField("status", status);
            writeIfSet(json, "disk_format", diskFormat);
            writeIfSet(json, "container_format", containerFormat);
            json.writeStringField("visibility", visibility);
            writeIfSet(json, "owner", owner);
            if (size != null) {
                json.writeNumberField("size", size);
            }
            if (virtualSize != null) {
                json.writeNumberField("virtual_size", virtualSize);
            }
            writeIfSet(json, "checksum", checksum);
            writeIfSet(json, "os_hash_algo", osHashAlgo);
            writeIfSet(json, "os_hash_value", osHashValue);
            json.writeNumberField("min_disk", minDisk);
            json.writeNumberField("min_ram", minRam);
            json.writeBooleanField("protected", protectedImage);
            json.writeStringField("created_at", createdAt);
            json.writeStringField("updated_at", updatedAt);
            json.writeObjectFieldStart("properties");
            for (Map.Entry<String, String> property : properties.entrySet()) {
                json.writeStringField(property.getKey(), property.getValue());
            }
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory failed", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void writeIfSet(JsonGenerator json, String key, String value) throws IOException {
        if (value != null) {
            json.writeStringField(key, value);
        }
    }

    /** A mutable copy, for changes. */
    Draft toDraft() {
        Draft d = new Draft();
        d.id = id;
        d.name = name;
        d.status = status;
        d.diskFormat = diskFormat;
        d.containerFormat = containerFormat;
        d.visibility = visibility;
        d.owner = owner;
        d.size = size;
        d.virtualSize = virtualSize;
        d.checksum = checksum;
        d.osHashAlgo = osHashAlgo;
        d.osHashValue = osHashValue;
        d.minDisk = minDisk;
        d.minRam = minRam;
        d.protectedImage = protectedImage;
        d.createdAt = createdAt;
        d.updatedAt = updatedAt;
        d.properties = new TreeMap<>(properties);
        return d;
    }

    /** The fields of a record being made or changed; not thread-safe. */
    static final class Draft {
        String id;
        String name;
        String status;
        String diskFormat;
        String containerFormat;
        String visibility;
        String owner;
        Long size;
        Long virtualSize;
        String checksum;
        String osHashAlgo;
        String osHashValue;
        Long minDisk;
        Long minRam;
        Boolean protectedImage;
        String createdAt;
        String updatedAt;
        Map<String, String> properties = new TreeMap<>();

        StoredImage build() {
            return new StoredImage(id, name, status, diskFormat, containerFormat, visibility, owner, size,
                    virtualSize, checksum, osHashAlgo, osHashValue, minDisk, minRam, protectedImage, createdAt,
                    updatedAt, properties);
        }
    }
}
