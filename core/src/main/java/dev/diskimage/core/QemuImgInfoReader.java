package dev.diskimage.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Turns the JSON tree of {@code qemu-img info} into {@link QemuImgInfo}, checking every field it
 * reads: required fields present, each field of the expected JSON type, numbers integral and in
 * range. Fields it does not model are copied into the records' {@code unknown} maps as immutable
 * {@link QemuImgValue}s. Errors name
 * the field by its path, e.g. {@code $.format-specific.data.refcount-bits}.
 *
 * <p>In lenient mode (for trees built from human-readable text, where every value started as
 * text) string fields also accept numbers and booleans.
 */
final class QemuImgInfoReader {
    /**
     * Strict JSON (duplicate keys refused, sizes capped), with numbers kept exact: integers as
     * BigInteger, and fractions as BigDecimal so that even {@code 1e400} copies into a
     * {@link QemuImgValue.Num} (as a double it would be infinite).
     */
    private static final ObjectReader MAPPER = StrictJson.tree()
            .with(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static final Set<String> INFO_KEYS = Set.of("filename", "format", "virtual-size", "actual-size",
            "cluster-size", "dirty-flag", "encrypted", "backing-filename", "full-backing-filename",
            "backing-filename-format", "snapshots", "format-specific", "backing-image", "children");
    private static final Set<String> SNAPSHOT_KEYS = Set.of("id", "name", "vm-state-size", "date-sec",
            "date-nsec", "vm-clock-sec", "vm-clock-nsec", "icount");
    private static final Set<String> QCOW2_KEYS = Set.of("compat", "compression-type", "lazy-refcounts",
            "refcount-bits", "corrupt", "extended-l2", "data-file", "data-file-raw", "bitmaps", "encrypt");
    private static final Set<String> VMDK_KEYS = Set.of("create-type", "cid", "parent-cid", "extents");
    private static final Set<String> EXTENT_KEYS = Set.of("filename", "format", "virtual-size",
            "cluster-size", "compressed");
    private static final Set<String> LUKS_KEYS = Set.of("cipher-alg", "cipher-mode", "ivgen-alg",
            "ivgen-hash-alg", "hash-alg", "uuid", "payload-offset", "master-key-iters", "slots", "format");
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final boolean lenient;

    private QemuImgInfoReader(boolean lenient) {
        this.lenient = lenient;
    }

    static QemuImgInfo readJson(String json) {
        if (json == null) {
            throw new QemuImgInfoParseException("qemu-img info JSON is missing");
        }
        if (json.length() > QemuImgInfo.MAX_JSON_CHARS) {
            throw new QemuImgInfoParseException("qemu-img info JSON is " + json.length()
                    + " characters, more than the " + QemuImgInfo.MAX_JSON_CHARS + " accepted");
        }
        JsonNode root = read(json, "qemu-img info");
        if (root == null || root.isMissingNode()) {
            throw new QemuImgInfoParseException("qemu-img info JSON is empty");
        }
        if (root.isArray()) {
            return readChain(root);
        }
        return readTree(root, false);
    }

    /**
     * Parses a small JSON answer of another qemu-img verb ({@code check}, {@code measure}) with
     * the same limits as info.
     */
    static JsonNode parseJson(String json, String what) {
        if (json.length() > QemuImgInfo.MAX_JSON_CHARS) {
            throw new QemuImgInfoParseException(what + " JSON is larger than " + QemuImgInfo.MAX_JSON_CHARS);
        }
        JsonNode root = read(json, what);
        if (root == null || !root.isObject()) {
            throw new QemuImgInfoParseException(what + " JSON is not an object");
        }
        return root;
    }

    /**
     * The tree of {@code json}. Jackson reports a number it cannot hold as an exact decimal (an
     * exponent past an int's range, as in {@code 1e3333333333}) with a NumberFormatException, not
     * as malformed JSON: both are the same typed error here.
     */
    private static JsonNode read(String json, String what) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new QemuImgInfoParseException("malformed " + what + " JSON: " + e.getOriginalMessage(), e);
        } catch (NumberFormatException e) {
            throw new QemuImgInfoParseException("malformed " + what + " JSON: a number out of range: "
                    + UntrustedText.sanitize(e.getMessage(), 200), e);
        }
    }

    /** A non-negative integer field of a verb's JSON answer, if present. */
    static OptionalLong optionalCount(JsonNode parent, String key, String what) {
        return optionalLong(parent, key, what);
    }

    static QemuImgInfo readTree(JsonNode root, boolean lenient) {
        return new QemuImgInfoReader(lenient).info(root, "$");
    }

    /** The {@code --backing-chain} answer: a list, top image first, linked into backing-image. */
    private static QemuImgInfo readChain(JsonNode array) {
        if (array.isEmpty()) {
            throw new QemuImgInfoParseException("qemu-img info JSON is an empty array");
        }
        QemuImgInfoReader reader = new QemuImgInfoReader(false);
        QemuImgInfo linked = null;
        for (int i = array.size() - 1; i >= 0; i--) {
            QemuImgInfo info = reader.info(array.get(i), "$[" + i + "]");
            linked = linked == null ? info : info.withBackingImage(linked);
        }
        return linked;
    }

    private QemuImgInfo info(JsonNode node, String path) {
        requireObject(node, path);
        String backingKey = "backing-image";
        Optional<QemuImgInfo> backing = node.has(backingKey)
                ? Optional.of(info(node.get(backingKey), path + "." + backingKey))
                : Optional.empty();
        return new QemuImgInfo(
                requiredText(node, "filename", path),
                requiredText(node, "format", path),
                requiredLong(node, "virtual-size", path),
                optionalLong(node, "actual-size", path),
                optionalLong(node, "cluster-size", path),
                optionalBoolean(node, "dirty-flag", path).orElse(false),
                optionalBoolean(node, "encrypted", path).orElse(false),
                optionalText(node, "backing-filename", path),
                optionalText(node, "full-backing-filename", path),
                optionalText(node, "backing-filename-format", path),
                list(node, "snapshots", path, this::snapshot),
                formatSpecific(node, path),
                backing,
                list(node, "children", path, this::child),
                unknown(node, INFO_KEYS));
    }

    private QemuImgInfo.Snapshot snapshot(JsonNode node, String path) {
        requireObject(node, path);
        long dateSec = requiredLong(node, "date-sec", path);
        long dateNsec = optionalLong(node, "date-nsec", path).orElse(0);
        long clockSec = optionalLong(node, "vm-clock-sec", path).orElse(0);
        long clockNsec = optionalLong(node, "vm-clock-nsec", path).orElse(0);
        if (dateNsec >= NANOS_PER_SECOND || clockNsec >= NANOS_PER_SECOND) {
            throw new QemuImgInfoParseException("nanoseconds out of range at " + path);
        }
        Instant date;
        try {
            date = Instant.ofEpochSecond(dateSec, dateNsec);
        } catch (java.time.DateTimeException e) {
            throw new QemuImgInfoParseException("date-sec out of range at " + path + ": " + dateSec, e);
        }
        return new QemuImgInfo.Snapshot(
                requiredText(node, "id", path),
                optionalText(node, "name", path).orElse(""),
                optionalLong(node, "vm-state-size", path).orElse(0),
                date,
                Duration.ofSeconds(clockSec, clockNsec),
                optionalLong(node, "icount", path),
                unknown(node, SNAPSHOT_KEYS));
    }

    private QemuImgInfo.Child child(JsonNode node, String path) {
        requireObject(node, path);
        return new QemuImgInfo.Child(requiredText(node, "name", path), info(field(node, "info", path), path + ".info"));
    }

    private Optional<QemuImgFormatSpecific> formatSpecific(JsonNode info, String infoPath) {
        JsonNode node = info.get("format-specific");
        if (node == null) {
            return Optional.empty();
        }
        String path = infoPath + ".format-specific";
        requireObject(node, path);
        String type = requiredText(node, "type", path);
        JsonNode data = node.get("data");
        String dataPath = path + ".data";
        if (data == null) {
            data = JsonNodeFactory.instance.objectNode();
        }
        switch (type) {
            case "qcow2":
                return Optional.of(qcow2(data, dataPath));
            case "vmdk":
                return Optional.of(vmdk(data, dataPath));
            case "luks":
                return Optional.of(luks(data, dataPath));
            default:
                return Optional.of(new QemuImgFormatSpecific.Other(type, value(data)));
        }
    }

    private QemuImgFormatSpecific.Qcow2 qcow2(JsonNode node, String path) {
        requireObject(node, path);
        Optional<QemuImgFormatSpecific.Qcow2Encryption> encrypt = Optional.empty();
        if (node.has("encrypt")) {
            String encPath = path + ".encrypt";
            JsonNode enc = node.get("encrypt");
            requireObject(enc, encPath);
            String format = requiredText(enc, "format", encPath);
            encrypt = Optional.of(new QemuImgFormatSpecific.Qcow2Encryption(format,
                    "luks".equals(format) ? Optional.of(luks(enc, encPath)) : Optional.empty()));
        }
        return new QemuImgFormatSpecific.Qcow2(
                requiredText(node, "compat", path),
                optionalText(node, "compression-type", path),
                optionalBoolean(node, "lazy-refcounts", path),
                optionalLong(node, "refcount-bits", path),
                optionalBoolean(node, "corrupt", path),
                optionalBoolean(node, "extended-l2", path),
                optionalText(node, "data-file", path),
                optionalBoolean(node, "data-file-raw", path),
                list(node, "bitmaps", path, this::bitmap),
                encrypt,
                unknown(node, QCOW2_KEYS));
    }

    private QemuImgFormatSpecific.Qcow2Bitmap bitmap(JsonNode node, String path) {
        requireObject(node, path);
        return new QemuImgFormatSpecific.Qcow2Bitmap(
                requiredText(node, "name", path),
                requiredLong(node, "granularity", path),
                list(node, "flags", path, (flag, flagPath) -> text(flag, flagPath)));
    }

    private QemuImgFormatSpecific.Vmdk vmdk(JsonNode node, String path) {
        requireObject(node, path);
        return new QemuImgFormatSpecific.Vmdk(
                requiredText(node, "create-type", path),
                requiredLong(node, "cid", path),
                requiredLong(node, "parent-cid", path),
                list(node, "extents", path, this::extent),
                unknown(node, VMDK_KEYS));
    }

    private QemuImgFormatSpecific.VmdkExtent extent(JsonNode node, String path) {
        requireObject(node, path);
        return new QemuImgFormatSpecific.VmdkExtent(
                requiredText(node, "filename", path),
                optionalText(node, "format", path).orElse(""),
                requiredLong(node, "virtual-size", path),
                optionalLong(node, "cluster-size", path),
                optionalBoolean(node, "compressed", path),
                unknown(node, EXTENT_KEYS));
    }

    private QemuImgFormatSpecific.Luks luks(JsonNode node, String path) {
        requireObject(node, path);
        return new QemuImgFormatSpecific.Luks(
                requiredText(node, "cipher-alg", path),
                requiredText(node, "cipher-mode", path),
                requiredText(node, "ivgen-alg", path),
                optionalText(node, "ivgen-hash-alg", path),
                requiredText(node, "hash-alg", path),
                optionalText(node, "uuid", path),
                optionalLong(node, "payload-offset", path),
                optionalLong(node, "master-key-iters", path),
                list(node, "slots", path, this::slot),
                unknown(node, LUKS_KEYS));
    }

    private QemuImgFormatSpecific.LuksSlot slot(JsonNode node, String path) {
        requireObject(node, path);
        return new QemuImgFormatSpecific.LuksSlot(
                optionalBoolean(node, "active", path).orElseThrow(() -> missing("active", path)),
                optionalLong(node, "iters", path),
                optionalLong(node, "stripes", path),
                requiredLong(node, "key-offset", path));
    }

    // ---- field access with type checks ----

    private interface ElementReader<T> {
        T read(JsonNode node, String path);
    }

    private <T> List<T> list(JsonNode parent, String key, String path, ElementReader<T> reader) {
        JsonNode node = parent.get(key);
        if (node == null) {
            return List.of();
        }
        String listPath = path + "." + key;
        if (!node.isArray()) {
            throw wrongType(listPath, "an array", node);
        }
        List<T> items = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            items.add(reader.read(node.get(i), listPath + "[" + i + "]"));
        }
        return items;
    }

    private static JsonNode field(JsonNode parent, String key, String path) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            throw missing(key, path);
        }
        return node;
    }

    private String requiredText(JsonNode parent, String key, String path) {
        return text(field(parent, key, path), path + "." + key);
    }

    private Optional<String> optionalText(JsonNode parent, String key, String path) {
        JsonNode node = parent.get(key);
        return node == null ? Optional.empty() : Optional.of(text(node, path + "." + key));
    }

    private String text(JsonNode node, String path) {
        if (node.isTextual()) {
            return node.textValue();
        }
        if (lenient && (node.isNumber() || node.isBoolean())) {
            return node.asText();
        }
        throw wrongType(path, "a string", node);
    }

    private static long requiredLong(JsonNode parent, String key, String path) {
        return longValue(field(parent, key, path), path + "." + key);
    }

    private static OptionalLong optionalLong(JsonNode parent, String key, String path) {
        JsonNode node = parent.get(key);
        return node == null ? OptionalLong.empty() : OptionalLong.of(longValue(node, path + "." + key));
    }

    /** A non-negative integer that fits a signed 64-bit long: every size and count qemu reports. */
    private static long longValue(JsonNode node, String path) {
        if (!node.isIntegralNumber()) {
            throw wrongType(path, "an integer", node);
        }
        if (!node.canConvertToLong() || node.longValue() < 0) {
            throw new QemuImgInfoParseException(path + " is out of range (0 to 2^63-1): " + node.asText());
        }
        return node.longValue();
    }

    private static Optional<Boolean> optionalBoolean(JsonNode parent, String key, String path) {
        JsonNode node = parent.get(key);
        if (node == null) {
            return Optional.empty();
        }
        if (!node.isBoolean()) {
            throw wrongType(path + "." + key, "a boolean", node);
        }
        return Optional.of(node.booleanValue());
    }

    private static void requireObject(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw wrongType(path, "an object", node);
        }
    }

    private static Map<String, QemuImgValue> unknown(JsonNode node, Set<String> known) {
        Map<String, QemuImgValue> unknown = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!known.contains(entry.getKey())) {
                unknown.put(entry.getKey(), value(entry.getValue()));
            }
        }
        return unknown;
    }

    /**
     * An immutable copy of a JSON tree. Recursion is bounded because the strict mapper caps
     * nesting depth; trees from human text are two or three levels deep.
     */
    static QemuImgValue value(JsonNode node) {
        if (node.isTextual()) {
            return new QemuImgValue.Text(node.textValue());
        }
        if (node.isNumber()) {
            return new QemuImgValue.Num(node.decimalValue());
        }
        if (node.isBoolean()) {
            return new QemuImgValue.Bool(node.booleanValue());
        }
        if (node.isArray()) {
            List<QemuImgValue> items = new ArrayList<>(node.size());
            node.forEach(item -> items.add(value(item)));
            return new QemuImgValue.Items(items);
        }
        if (node.isObject()) {
            Map<String, QemuImgValue> fields = new LinkedHashMap<>();
            node.properties().forEach(entry -> fields.put(entry.getKey(), value(entry.getValue())));
            return new QemuImgValue.Fields(fields);
        }
        // null, and node kinds a parsed tree does not contain (binary, POJO, missing)
        return new QemuImgValue.Null();
    }

    private static QemuImgInfoParseException missing(String key, String path) {
        return new QemuImgInfoParseException("required field " + path + "." + key + " is missing");
    }

    private static QemuImgInfoParseException wrongType(String path, String expected, JsonNode actual) {
        String what = actual == null ? "nothing" : actual.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        return new QemuImgInfoParseException(path + " must be " + expected + " but is " + what);
    }
}
