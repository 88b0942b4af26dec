package dev.diskimage.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.IoErrorText;
import dev.diskimage.core.StrictJson;
import dev.diskimage.validation.ImagePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Reads an {@link ImagePolicy} from a JSON file, so that a pipeline keeps its policy in its
 * repository. Keys (all optional; absent keys keep the safe default):
 * {@code allowed_formats} (array of qemu or Glance names), {@code vmdk_allowed_types} (array),
 * {@code allow_backing_files} (boolean), {@code max_virtual_size} (number of bytes or a size
 * string like {@code "1TiB"}), {@code min_virtual_size} (size), {@code qemu_cross_check}
 * (boolean), {@code read_budget} (size). Unknown keys are an error, so a typo never silently
 * weakens a policy, and so is a key given twice, since JSON readers disagree on which copy wins.
 */
final class PolicyFile {
    private static final Set<String> KEYS = Set.of("allowed_formats", "vmdk_allowed_types", "allow_backing_files",
            "max_virtual_size", "min_virtual_size", "qemu_cross_check", "read_budget");
    private static final long MAX_FILE_SIZE = 1 << 20;

    private PolicyFile() {
    }

    /**
     * @throws IllegalArgumentException naming the file and the problem
     */
    static ImagePolicy read(Path file) {
        JsonNode root;
        try {
            if (Files.size(file) > MAX_FILE_SIZE) {
                throw new IllegalArgumentException("policy file " + file + " is larger than 1 MiB");
            }
            root = StrictJson.mapper().readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("policy file " + file + " is not valid JSON: " + StrictJson.describe(e),
                    e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read policy file " + file + ": " + IoErrorText.describe(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("policy file " + file + " must hold a JSON object");
        }
        root.fieldNames().forEachRemaining(key -> {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("policy file " + file + ": unknown key '" + key + "' (known: "
                        + KEYS.stream().sorted().toList() + ")");
            }
        });
        ImagePolicy policy = ImagePolicy.defaults();
        if (root.has("allowed_formats")) {
            Set<DiskFormat> formats = EnumSet.noneOf(DiskFormat.class);
            for (String name : strings(file, root, "allowed_formats")) {
                try {
                    formats.add(DiskFormat.fromName(name));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("policy file " + file + ": 'allowed_formats': " + e.getMessage(),
                            e);
                }
            }
            policy = policy.withAllowedFormats(formats);
        }
        if (root.has("vmdk_allowed_types")) {
            policy = policy.withVmdkAllowedTypes(strings(file, root, "vmdk_allowed_types"));
        }
        if (root.has("allow_backing_files")) {
            policy = policy.withAllowBackingFiles(bool(file, root, "allow_backing_files"));
        }
        if (root.has("max_virtual_size")) {
            policy = policy.withMaxVirtualSize(size(file, root, "max_virtual_size"));
        }
        if (root.has("min_virtual_size")) {
            policy = policy.withMinVirtualSize(size(file, root, "min_virtual_size"));
        }
        if (root.has("qemu_cross_check")) {
            policy = policy.withQemuCrossCheck(bool(file, root, "qemu_cross_check"));
        }
        if (root.has("read_budget")) {
            policy = policy.withReadBudget(size(file, root, "read_budget"));
        }
        return policy;
    }

    private static Set<String> strings(Path file, JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (!node.isArray()) {
            throw new IllegalArgumentException("policy file " + file + ": '" + key + "' must be an array of strings");
        }
        Set<String> values = new LinkedHashSet<>();
        for (JsonNode element : node) {
            if (!element.isTextual()) {
                throw new IllegalArgumentException("policy file " + file + ": '" + key + "' must hold strings only");
            }
            values.add(element.asText());
        }
        return values;
    }

    private static boolean bool(Path file, JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (!node.isBoolean()) {
            throw new IllegalArgumentException("policy file " + file + ": '" + key + "' must be true or false");
        }
        return node.asBoolean();
    }

    private static long size(Path file, JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (node.isIntegralNumber() && node.canConvertToLong() && node.asLong() >= 0) {
            return node.asLong();
        }
        if (node.isTextual()) {
            try {
                return SizeParser.parse(node.asText());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("policy file " + file + ": '" + key + "': " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("policy file " + file + ": '" + key
                + "' must be a non-negative number of bytes or a size like \"1TiB\"");
    }
}
