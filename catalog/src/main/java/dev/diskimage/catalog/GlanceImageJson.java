package dev.diskimage.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageStatus;
import dev.diskimage.core.service.NewImage;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Glance v2's image JSON and this project's records: an answer to {@link ImageMeta}, a
 * {@link NewImage} to a create body, {@link ImageChanges} to a JSON patch. Knows which names are
 * Glance's own attributes (never purged, typed, some read-only) and which are extra properties.
 */
final class GlanceImageJson {

    /** Attributes {@link ImageMeta} has a component for. */
    private static final Set<String> RECORD_FIELDS = Set.of("id", "name", "status", "disk_format",
            "container_format", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "visibility",
            "owner");

    /** Where the data lives and links to the API: not part of an image's description. */
    private static final Set<String> IGNORED = Set.of("locations", "file", "schema", "self", "direct_url", "stores");

    /** Glance's read-only attributes (image schema {@code readOnly}): a change to one is refused here. */
    private static final Set<String> READ_ONLY = Set.of("id", "status", "size", "virtual_size", "checksum",
            "os_hash_algo", "os_hash_value", "created_at", "updated_at", "self", "file", "schema", "locations",
            "direct_url", "stores");

    /** Glance's settable base attributes with a JSON type other than string. */
    private static final Set<String> INTEGERS = Set.of("min_disk", "min_ram");
    private static final Set<String> BOOLEANS = Set.of("protected", "os_hidden");
    private static final String TAGS = "tags";

    /** Glance's base attributes: set with {@code replace}, never removed or purged. */
    private static final Set<String> BASE = union(RECORD_FIELDS, IGNORED, READ_ONLY, INTEGERS, BOOLEANS,
            Set.of(TAGS, "deleted", "deleted_at"));

    /** Glance reserves this prefix for its own properties ({@code os_glance_import_task}, ...). */
    private static final String RESERVED_PREFIX = "os_glance_";

    private GlanceImageJson() {
    }

    /**
     * An image record from Glance's JSON.
     *
     * @throws IllegalArgumentException naming the attribute that does not fit
     */
    static ImageMeta toMeta(JsonNode image) {
        if (image == null || !image.isObject()) {
            throw new IllegalArgumentException("an image record is not a JSON object");
        }
        String id = text(image, "id").orElseThrow(() -> new IllegalArgumentException("an image record has no id"));
        ImageMeta.Builder builder = ImageMeta.builder(id)
                .status(text(image, "status").map(ImageStatus::fromName).orElse(ImageStatus.UNKNOWN))
                .visibility(text(image, "visibility").orElse("private"));
        text(image, "name").ifPresent(builder::name);
        text(image, "disk_format").ifPresent(builder::diskFormat);
        text(image, "container_format").ifPresent(builder::containerFormat);
        size(image, "size").ifPresent(builder::size);
        size(image, "virtual_size").ifPresent(builder::virtualSize);
        text(image, "checksum").ifPresent(builder::checksum);
        Optional<String> algorithm = text(image, "os_hash_algo");
        Optional<String> hash = text(image, "os_hash_value");
        if (algorithm.isPresent() && hash.isPresent()) {
            builder.multihash(algorithm.get(), hash.get());
        }
        text(image, "owner").ifPresent(builder::owner);
        Map<String, String> properties = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = image.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (RECORD_FIELDS.contains(key) || IGNORED.contains(key) || value.isNull()) {
                continue;
            }
            properties.put(key, value.isTextual() ? value.asText() : value.toString());
        }
        return builder.properties(properties).build();
    }

    /** The extra properties of a Glance record: what purge may remove. */
    static Set<String> extraProperties(JsonNode image) {
        Set<String> keys = new TreeSet<>();
        image.fieldNames().forEachRemaining(key -> {
            if (!BASE.contains(key) && !key.startsWith(RESERVED_PREFIX)) {
                keys.add(key);
            }
        });
        return keys;
    }

    /** The body of {@code POST /v2/images}. */
    static String createBody(NewImage image) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, String> property : new TreeMap<>(image.properties()).entrySet()) {
            String key = property.getKey();
            if (RECORD_FIELDS.contains(key)) {
                throw new IllegalArgumentException("property " + name(key)
                        + " is an image attribute that NewImage sets itself");
            }
            body.set(key, value(key, property.getValue()));
        }
        image.id().ifPresent(id -> body.put("id", id));
        body.put("name", image.name());
        body.put("disk_format", image.diskFormat());
        body.put("container_format", image.containerFormat());
        body.put("visibility", image.visibility());
        return body.toString();
    }

    /**
     * The JSON patch ({@code application/openstack-images-v2.1-json-patch}) that makes
     * {@code changes} to {@code current}: {@code replace} for base attributes and existing
     * properties, {@code add} for new ones, {@code remove} for removed properties that exist and,
     * with {@code purge}, for every extra property the changes do not set.
     */
    static ArrayNode patch(JsonNode current, ImageChanges changes, boolean purge) {
        Set<String> existing = extraProperties(current);
        ArrayNode ops = JsonNodeFactory.instance.arrayNode();
        for (Map.Entry<String, String> change : new TreeMap<>(changes.set()).entrySet()) {
            String key = change.getKey();
            String op = BASE.contains(key) || existing.contains(key) || current.has(key) ? "replace" : "add";
            ObjectNode node = ops.addObject();
            node.put("op", op);
            node.put("path", pointer(key));
            node.set("value", value(key, change.getValue()));
        }
        Set<String> removals = new TreeSet<>();
        for (String key : changes.remove()) {
            refuseBase(key, "removed");
            if (existing.contains(key)) {
                removals.add(key);
            }
        }
        if (purge) {
            for (String key : existing) {
                if (!changes.set().containsKey(key)) {
                    removals.add(key);
                }
            }
        }
        for (String key : removals) {
            ObjectNode node = ops.addObject();
            node.put("op", "remove");
            node.put("path", pointer(key));
        }
        return ops;
    }

    /** A value with the JSON type Glance's schema gives the attribute. */
    private static JsonNode value(String key, String value) {
        if (READ_ONLY.contains(key) || key.startsWith(RESERVED_PREFIX)) {
            throw new IllegalArgumentException("attribute " + name(key) + " is read-only in Glance");
        }
        if (INTEGERS.contains(key)) {
            try {
                long number = Long.parseLong(value.trim());
                if (number < 0) {
                    throw new NumberFormatException("negative");
                }
                return JsonNodeFactory.instance.numberNode(number);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("attribute " + key + " must be a whole number of at least 0: "
                        + UntrustedText.sanitize(value, 100), e);
            }
        }
        if (BOOLEANS.contains(key)) {
            if (!value.equals("true") && !value.equals("false")) {
                throw new IllegalArgumentException("attribute " + key + " must be true or false: "
                        + UntrustedText.sanitize(value, 100));
            }
            return JsonNodeFactory.instance.booleanNode(Boolean.parseBoolean(value));
        }
        if (key.equals(TAGS)) {
            try {
                JsonNode tags = StrictJson.tree().readTree(value);
                boolean strings = tags != null && tags.isArray();
                if (strings) {
                    for (JsonNode tag : tags) {
                        strings &= tag.isTextual();
                    }
                }
                if (!strings) {
                    throw new IllegalArgumentException("attribute tags must be a JSON array of strings");
                }
                return tags;
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("attribute tags must be a JSON array of strings: "
                        + StrictJson.describe(e), e);
            }
        }
        return JsonNodeFactory.instance.textNode(value);
    }

    private static void refuseBase(String key, String what) {
        if (BASE.contains(key) || key.startsWith(RESERVED_PREFIX)) {
            throw new IllegalArgumentException("attribute " + name(key) + " is Glance's own and cannot be " + what);
        }
    }

    /** RFC 6901: {@code ~} and {@code /} are escaped in a JSON pointer. */
    static String pointer(String key) {
        return "/" + key.replace("~", "~0").replace("/", "~1");
    }

    private static String name(String key) {
        return UntrustedText.sanitize(key, 100);
    }

    private static Optional<String> text(JsonNode image, String key) {
        JsonNode value = image.get(key);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("attribute " + key + " is not a string");
        }
        return Optional.of(value.asText());
    }

    private static OptionalLong size(JsonNode image, String key) {
        JsonNode value = image.get(key);
        if (value == null || value.isNull()) {
            return OptionalLong.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw new IllegalArgumentException("attribute " + key + " is not a size in bytes: "
                    + UntrustedText.sanitize(value.toString(), 100));
        }
        return OptionalLong.of(value.asLong());
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        Set<String> all = new TreeSet<>();
        for (Set<String> set : sets) {
            all.addAll(set);
        }
        return Set.copyOf(all);
    }
}
